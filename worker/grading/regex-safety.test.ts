import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_REGEX_PATTERN_LENGTH, regexProblem } from "./regex-safety";

describe("regexProblem", () => {
  it.each([
    "^\\d+$",
    "refund|return",
    "(\\d{1,3}\\.){3}\\d{1,3}",
    "^[A-Z]{3}-\\d{4}$",
    "(?:foo)+bar",
    "\\p{L}+",
    "[(+*]+",
    "(?<year>\\d{4})-\\k<year>",
    "a{2,}",
    "(a|b)*c",
  ])("accepts %s", (pattern) => {
    expect(regexProblem(pattern, "u")).toBeNull();
  });

  it.each([
    ["(a+)+$", "nests a repetition"],
    ["^(\\w+\\s?)*$", "nests a repetition"],
    ["((ab)*c)+", "nests a repetition"],
    ["(?:x*y*)*z", "nests a repetition"],
    ["(a{1,50}){1,50}", "nests a repetition"],
    ["^(a|a)*$", "alternatives are identical"],
  ])("refuses %s", (pattern, reason) => {
    expect(regexProblem(pattern)).toContain(reason);
  });

  it("quotes the offending part and suggests a rewrite", () => {
    expect(regexProblem("^x(a+)+$")).toBe(
      "pattern nests a repetition inside a repetition (`(a+)+`), which can backtrack exponentially; rewrite it without the outer quantifier, e.g. `(a+)+` as `a+`",
    );
  });

  it("reports syntax errors", () => {
    expect(regexProblem("(abc")).toMatch(/^invalid regular expression: /);
    expect(regexProblem("a**")).toMatch(/^invalid regular expression: /);
  });

  it("accepts only stateless flags, each once", () => {
    expect(regexProblem("a", "imsu")).toBeNull();
    expect(regexProblem("a", "g")).toMatch(/flag `g` is not supported/);
    expect(regexProblem("a", "y")).toMatch(/flag `y`/);
    expect(regexProblem("a", "ii")).toBe("flags must not repeat");
  });

  it("never throws, and every accepted pattern compiles", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-c()|*+?{}0-9,\\[\]^$.]{0,30}$/), (pattern) => {
        const problem = regexProblem(pattern);
        if (problem === null) expect(() => new RegExp(pattern)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it("caps the pattern length", () => {
    expect(regexProblem("a".repeat(MAX_REGEX_PATTERN_LENGTH + 1))).toMatch(/the limit is 1000/);
  });

  it("the accepted IP pattern really is fast on a hostile input", () => {
    const started = performance.now();
    /^(\d{1,3}\.){3}\d{1,3}$/.test(`${"1.".repeat(5000)}x`);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
