import { describe, expect, it } from "vitest";
import { levenshteinDistance, levenshteinSimilarity, similarity, tokenF1, tokens } from "./similarity";

describe("levenshteinDistance", () => {
  it.each([
    ["kitten", "sitting", 3],
    ["", "abc", 3],
    ["abc", "", 3],
    ["flaw", "lawn", 2],
    ["same", "same", 0],
    ["prefix-A-suffix", "prefix-BB-suffix", 2],
  ])("%s → %s is %i", (a, b, d) => {
    expect(levenshteinDistance(a, b)).toBe(d);
    expect(levenshteinDistance(b, a)).toBe(d);
  });
});

describe("levenshteinSimilarity", () => {
  it("is 1 for equal strings (even empty) and 0 for totally different ones", () => {
    expect(levenshteinSimilarity("", "")).toBe(1);
    expect(levenshteinSimilarity("abc", "abc")).toBe(1);
    expect(levenshteinSimilarity("abc", "xyz")).toBe(0);
  });

  it("stays fast on long texts by comparing bounded prefixes", () => {
    const a = "lorem ipsum ".repeat(2000);
    const b = "ipsum lorem ".repeat(2000);
    const started = performance.now();
    const score = levenshteinSimilarity(a, b);
    expect(score).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("tokenF1", () => {
  it("scores word overlap independent of order, case and punctuation", () => {
    expect(tokenF1("Paris, France!", "france paris")).toBe(1);
    expect(tokenF1("the cat sat", "the cat sat down")).toBeCloseTo(6 / 7, 10);
    expect(tokenF1("a b", "c d")).toBe(0);
  });

  it("counts repeated words as a multiset", () => {
    // predicted: the×3; reference: the×1 → overlap 1, precision 1/3, recall 1.
    expect(tokenF1("the the the", "the")).toBeCloseTo(0.5, 10);
  });

  it("treats two empty texts as identical and one empty as disjoint", () => {
    expect(tokenF1("", "  ")).toBe(1);
    expect(tokenF1("", "x")).toBe(0);
  });

  it("tokens() normalises", () => {
    expect(tokens("  Hello,   WORLD... ")).toEqual(["hello", "world"]);
  });
});

describe("similarity", () => {
  it("normalises before Levenshtein unless told not to", () => {
    expect(similarity("levenshtein", "Hello!", "hello")).toBe(1);
    expect(similarity("levenshtein", "Hello!", "hello", false)).toBeCloseTo(1 - 2 / 6, 10);
  });
});
