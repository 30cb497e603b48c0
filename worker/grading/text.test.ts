import { describe, expect, it } from "vitest";
import { canonicalJson, excerpt, jsonEquals, normalizeText, toText, valueAtPath } from "./text";

describe("valueAtPath", () => {
  const root = { metadata: { expected: { answer: "42" } }, spans: [{ output: "x" }] };

  it("follows object keys and array indexes", () => {
    expect(valueAtPath(root, ["metadata", "expected", "answer"])).toBe("42");
    expect(valueAtPath(root, ["spans", "0", "output"])).toBe("x");
  });

  it("is undefined for missing steps, non-numeric indexes and inherited properties", () => {
    expect(valueAtPath(root, ["metadata", "nope", "answer"])).toBeUndefined();
    expect(valueAtPath(root, ["spans", "first"])).toBeUndefined();
    expect(valueAtPath(root, ["metadata", "constructor"])).toBeUndefined();
    expect(valueAtPath(root, ["__proto__"])).toBeUndefined();
  });
});

describe("toText", () => {
  it("keeps strings, stringifies JSON, and makes missing values empty", () => {
    expect(toText("hi")).toBe("hi");
    expect(toText({ a: [1] })).toBe('{"a":[1]}');
    expect(toText(null)).toBe("null");
    expect(toText(undefined)).toBe("");
    expect(toText(10n)).toBe("10");
  });
});

describe("jsonEquals / canonicalJson", () => {
  it("ignores key order but not array order", () => {
    expect(jsonEquals({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEquals([1, 2], [2, 1])).toBe(false);
    expect(jsonEquals({ a: undefined }, {})).toBe(false);
    expect(jsonEquals(null, {})).toBe(false);
    expect(jsonEquals("1", 1)).toBe(false);
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });
});

describe("normalizeText", () => {
  it("folds case, punctuation, symbols, whitespace and compatibility forms", () => {
    expect(normalizeText("  The Answer is:\n42!! ")).toBe("the answer is 42");
    expect(normalizeText("ｆｕｌｌｗｉｄｔｈ")).toBe("fullwidth");
    expect(normalizeText("don't")).toBe("don t");
  });
});

describe("excerpt", () => {
  it("shortens long text onto one line", () => {
    expect(excerpt("a\nb")).toBe("a b");
    expect(excerpt("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
  });
});
