import { describe, expect, it } from "vitest";
import { closest, didYouMean } from "./did-you-mean.ts";

describe("didYouMean", () => {
  it("suggests the closest candidate for a typo, ignoring case", () => {
    expect(didYouMean("listLenght", ["listName", "listLength", "address"])).toBe(
      '; did you mean "listLength"?',
    );
    expect(closest("QUEUENAME", ["queueName", "mode"])).toBe("queueName");
  });

  it("suggests nothing when no candidate is close", () => {
    expect(didYouMean("zzzzzz", ["listName", "listLength"])).toBe("");
    expect(didYouMean("anything", [])).toBe("");
  });

  it("allows more edits for longer words", () => {
    // 3 edits: too many for a 6-letter word, fine for a 16-letter one.
    expect(closest("abcxyz", ["abcdef"])).toBeUndefined();
    expect(closest("activationValXXX", ["activationValue"])).toBe("activationValue");
  });
});
