import { describe, expect, it } from "vitest";
import { gjsonGet, splitGjsonPath } from "./gjson-path.ts";

const document = {
  name: { first: "Tom", last: "Anderson" },
  age: 37,
  children: ["Sara", "Alex", "Jack"],
  "fav.movie": "Deer Hunter",
  friends: [
    { first: "Dale", last: "Murphy", age: 44, nets: ["ig", "fb", "tw"] },
    { first: "Roger", last: "Craig", age: 68, nets: ["fb", "tw"] },
    { first: "Jane", last: "Murphy", age: 47, nets: ["ig", "tw"] },
  ],
  components: { worker: { tasks: 12, "queue:depth": "1500m" } },
  flags: { on: true, off: false, none: null },
  "0": "zero key",
};

describe("gjsonGet", () => {
  it.each([
    ["age", "Number", 37],
    ["name.last", "String", "Anderson"],
    ["children.1", "String", "Alex"],
    ["children.#", "Number", 3],
    ["friends.1.first", "String", "Roger"],
    ["friends.#", "Number", 3],
    ["fav\\.movie", "String", "Deer Hunter"],
    ["components.worker.tasks", "Number", 12],
    ["components.worker.queue:depth", "String", "1500m"],
    ["0", "String", "zero key"],
    ["child*.2", "String", "Jack"],
    ["c?ildren.0", "String", "Sara"],
    ['friends.#(last=="Murphy").first', "String", "Dale"],
    ["friends.#(age>47).first", "String", "Roger"],
    ["friends.#(age>=68).first", "String", "Roger"],
    ["friends.#(age<45).age", "Number", 44],
    ["friends.#(age<=47).first", "String", "Dale"],
    ['friends.#(first!="Dale").age', "Number", 68],
    ["friends.#(nets.2).first", "String", "Dale"],
    ["flags.on", "True", true],
    ["flags.off", "False", false],
    ["flags.none", "Null", null],
    ["missing", "Null", null],
    ["name.first.x", "Null", null],
    ["children.7", "Null", null],
    ['friends.#(last=="Nobody").first', "Null", null],
  ])("%s → %s %j", (path, type, value) => {
    expect(gjsonGet(document, path)).toEqual({ type, value });
  });

  it("collects arrays for # followed by a path and for #(...)#", () => {
    expect(gjsonGet(document, "friends.#.age")).toEqual({ type: "JSON", value: [44, 68, 47] });
    expect(gjsonGet(document, 'friends.#(last=="Murphy")#.first')).toEqual({
      type: "JSON",
      value: ["Dale", "Jane"],
    });
    expect(gjsonGet(document, "name")).toMatchObject({ type: "JSON" });
  });

  it("reads the length of an array at the top", () => {
    expect(gjsonGet([1, 2], "#")).toEqual({ type: "Number", value: 2 });
  });

  it("rejects a query value that is not a literal", () => {
    expect(() => gjsonGet(document, "friends.#(last==Murphy).first")).toThrow(/quoted string, a number/);
  });
});

describe("splitGjsonPath", () => {
  it("splits at unescaped dots outside queries", () => {
    expect(splitGjsonPath('a\\.b.#(c.d=="x.y").e').map((component) => component.key)).toEqual([
      "a.b",
      '#(c.d=="x.y")',
      "e",
    ]);
  });
});
