import { describe, expect, it } from "vitest";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { labelSelectorProblem } from "./label-selector.ts";
import { hidden, resourceValue, scanFloat, scanInt } from "./resource-value.ts";

describe("labelSelectorProblem", () => {
  it.each([
    "app=demo",
    "app==demo",
    "app!=demo",
    "app in (demo1, demo2),deploy in (deploy1, deploy2)",
    "tier notin (cache)",
    "!canary",
    "app",
    "example.com/team=payments",
    "replicas>2",
  ])("accepts %s", (selector) => expect(labelSelectorProblem(selector)).toBeUndefined());

  it.each([
    ["app in (demo", 'unbalanced "("'],
    ["app=demo,", "an empty requirement"],
    ["app=de mo", "label value"],
    ["-app=demo", "label key"],
    ["replicas>two", "needs an integer"],
    ["app in ()", "the set of values is empty"],
  ])("refuses %s", (selector, problem) => expect(labelSelectorProblem(selector)).toContain(problem));

  it("makes a bad podSelector a parameter error", () => {
    const prepared = withErrorMessages(
      prepareScalerTrigger("kubernetes-workload", { podSelector: "app in (a", value: "1" }),
    );
    expect(prepared.errors).toEqual(['podSelector is not a label selector: unbalanced "("']);
  });
});

describe("kubernetes-resource values", () => {
  it("reads a leading number as Go's Sscanf does", () => {
    expect(scanFloat(" 12.5 requests")).toBe(12.5);
    expect(scanInt("12.7")).toBe(12);
    expect(() => scanFloat("many")).toThrow('error parsing value as float64: "many" is not a number');
  });

  it("never quotes a Secret's value in an error", () => {
    const secret = "canary-value-7f3";
    for (const [format, type, location] of [
      ["number", "float64", undefined],
      ["number", "int64", undefined],
      ["number", "quantity", undefined],
      ["yaml", "float64", "a"],
      ["yaml", "quantity", "a"],
      ["json", "quantity", "a"],
    ] as const) {
      const text = format === "number" ? secret : format === "yaml" ? `a: ${secret}` : `{"a": "${secret}"}`;
      expect(() => resourceValue(text, format, type, location, hidden)).toThrow(/the Secret's value|got:/);
      try {
        resourceValue(text, format, type, location, hidden);
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
      }
    }
  });
});
