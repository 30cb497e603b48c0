import { describe, expect, it } from "vitest";
import { grade, gradeTrace, gradeWindow } from "./grade";
import { graderOf, makeTrace } from "../../test/fixtures/grading";

describe("exact_match", () => {
  const grader = graderOf({ kind: "metric", metric: "exact_match" });

  it("passes when the output equals metadata.reference", () => {
    expect(grade(makeTrace(), grader)).toMatchObject({ verdict: "pass", score: 1 });
  });

  it("fails with both values quoted", () => {
    const result = grade(makeTrace({ output: "It shipped." }), grader);
    expect(result).toMatchObject({ verdict: "fail", score: 0 });
    expect(result.reason).toBe(
      "output `It shipped.` differs from the reference `Your order A17 has shipped and arrives Friday.`",
    );
  });

  it("skips a trace without a reference (null counts as none)", () => {
    expect(grade(makeTrace({ metadata: {} }), grader)).toMatchObject({
      verdict: "skipped",
      score: null,
      reason: "no reference: `metadata.reference` is empty and none was given",
    });
    expect(grade(makeTrace({ metadata: { reference: null } }), grader).verdict).toBe("skipped");
  });

  it("prefers an explicit reference (an eval run's dataset case)", () => {
    expect(grade(makeTrace({ output: "42" }), grader, { reference: "42" }).verdict).toBe("pass");
    expect(grade(makeTrace(), grader, { reference: "other" }).verdict).toBe("fail");
  });

  it('compares typed JSON values: the text "42" is not the number 42', () => {
    const result = grade(makeTrace({ output: "42" }), grader, { reference: 42 });
    expect(result.verdict).toBe("fail");
    expect(result.reason).toMatch(/string versus number; set `coerce`/);
    expect(grade(makeTrace({ output: 42 }), grader, { reference: 42 }).verdict).toBe("pass");
    expect(grade(makeTrace({ output: true }), grader, { reference: "true" }).verdict).toBe("fail");
    expect(grade(makeTrace({ output: null }), grader, { reference: "null" }).verdict).toBe("fail");
  });

  it("compares as text with `coerce`", () => {
    const coerced = graderOf({ kind: "metric", metric: "exact_match", coerce: true });
    expect(grade(makeTrace({ output: "42" }), coerced, { reference: 42 }).verdict).toBe("pass");
    expect(grade(makeTrace({ output: "42 " }), coerced, { reference: 42 }).verdict).toBe("fail");
  });

  it("fails a missing target against a reference", () => {
    expect(grade(makeTrace({ output: undefined }), grader, { reference: "" }).verdict).toBe("fail");
  });

  it("compares structured values regardless of key order", () => {
    const trace = makeTrace({
      output: { a: 1, b: [1, { c: 2, d: 3 }] },
      metadata: { expected: { answer: { b: [1, { d: 3, c: 2 }], a: 1 } } },
    });
    const nested = graderOf({ kind: "metric", metric: "exact_match", referencePath: "metadata.expected.answer" });
    expect(grade(trace, nested).verdict).toBe("pass");
  });

  it("is strict about case and whitespace", () => {
    expect(grade(makeTrace({ output: "your order A17 has shipped and arrives Friday." }), grader).verdict).toBe("fail");
  });
});

describe("normalized_match", () => {
  const grader = graderOf({ kind: "metric", metric: "normalized_match" });

  it("ignores case and whitespace by default, not punctuation", () => {
    const trace = makeTrace({ output: "  your ORDER a17 has shipped   and arrives\nfriday. " });
    expect(grade(trace, grader)).toMatchObject({ verdict: "pass", score: 1 });
    const comma = makeTrace({ output: "your order A17 has shipped, and arrives Friday." });
    expect(grade(comma, grader).verdict).toBe("fail");
  });

  it("keeps a router label's punctuation by default", () => {
    const label = (output: string) => makeTrace({ output, metadata: { reference: "billing" } });
    expect(grade(label("billing"), grader).verdict).toBe("pass");
    expect(grade(label(" Billing\n"), grader).verdict).toBe("pass");
    expect(grade(label("billing."), grader).verdict).toBe("fail");
    expect(grade(label('"billing"'), grader).verdict).toBe("fail");
    expect(grade(label("billings"), grader).verdict).toBe("fail");
  });

  it("strips punctuation only when asked", () => {
    const loose = graderOf({ kind: "metric", metric: "normalized_match", stripPunctuation: true });
    const trace = makeTrace({ output: "  your ORDER a17 has shipped,   and arrives friday " });
    expect(grade(trace, loose)).toMatchObject({ verdict: "pass", score: 1 });
    expect(grade(makeTrace({ output: "billing.", metadata: { reference: "billing" } }), loose).verdict).toBe("pass");
  });

  it("honours each option", () => {
    const exactCase = graderOf({ kind: "metric", metric: "normalized_match", caseSensitive: true });
    expect(grade(makeTrace({ output: "Billing", metadata: { reference: "billing" } }), exactCase).verdict).toBe("fail");
    const untrimmed = graderOf({ kind: "metric", metric: "normalized_match", trim: false });
    expect(grade(makeTrace({ output: "billing ", metadata: { reference: "billing" } }), untrimmed).verdict).toBe(
      "fail",
    );
    const spaced = graderOf({ kind: "metric", metric: "normalized_match", collapseWhitespace: false });
    expect(grade(makeTrace({ output: "new  york", metadata: { reference: "new york" } }), spaced).verdict).toBe("fail");
    expect(grade(makeTrace({ output: "new  york", metadata: { reference: "new york" } }), grader).verdict).toBe("pass");
  });

  it("still fails on different words", () => {
    expect(grade(makeTrace({ output: "Your order A18 has shipped and arrives Friday." }), grader).verdict).toBe("fail");
  });

  it("reads a custom target against a custom reference path", () => {
    const trace = makeTrace({ output: { answer: " Paris" }, metadata: { expected: { answer: "paris" } } });
    const g = graderOf({
      kind: "metric",
      metric: "normalized_match",
      target: "output.answer",
      referencePath: "metadata.expected.answer",
    });
    expect(grade(trace, g).verdict).toBe("pass");
  });
});

describe("similarity", () => {
  it("scores token F1 by default and applies the threshold", () => {
    const trace = makeTrace({ output: "the cat sat", metadata: { reference: "the cat sat down" } });
    const loose = grade(trace, graderOf({ kind: "metric", metric: "similarity", threshold: 0.8 }));
    expect(loose.verdict).toBe("pass");
    expect(loose.score).toBeCloseTo(6 / 7, 10);
    const strict = grade(trace, graderOf({ kind: "metric", metric: "similarity", threshold: 0.9 }));
    expect(strict).toMatchObject({ verdict: "fail", reason: "token_f1 similarity 0.857 is below the threshold 0.9" });
    expect(strict.score).toBeCloseTo(6 / 7, 10);
  });

  it("can use normalised Levenshtein", () => {
    const trace = makeTrace({ output: "kitten", metadata: { reference: "sitting" } });
    const result = grade(
      trace,
      graderOf({ kind: "metric", metric: "similarity", algorithm: "levenshtein", threshold: 0.5 }),
    );
    expect(result.score).toBeCloseTo(1 - 3 / 7, 10);
    expect(result.verdict).toBe("pass");
  });

  it("skips without a reference", () => {
    expect(grade(makeTrace({ metadata: {} }), graderOf({ kind: "metric", metric: "similarity" })).verdict).toBe(
      "skipped",
    );
  });
});

describe("latency_percentile (window-level)", () => {
  const traceTaking = (ms: number, i: number) =>
    makeTrace({
      id: `r${i}`,
      startTime: "2026-11-26T10:00:00.000Z",
      endTime: new Date(Date.parse("2026-11-26T10:00:00.000Z") + ms).toISOString(),
    });
  const window = Array.from({ length: 20 }, (_, i) => traceTaking((i + 1) * 100, i)); // 100..2000 ms

  it("gives one score for the window: pass within budget", () => {
    const grader = graderOf({ kind: "metric", metric: "latency_percentile", percentile: 50, budgetMs: 1100 });
    const [score] = gradeWindow(window, [grader]);
    expect(score).toMatchObject({ graderId: grader.graderId, verdict: "pass", score: 1 });
    expect(score!.reason).toBe("p50 latency 1050 ms over 20 traces is within budget 1100 ms");
  });

  it("fails over budget with score budget / pXX", () => {
    const grader = graderOf({ kind: "metric", metric: "latency_percentile", percentile: 95, budgetMs: 1000 });
    const [score] = gradeWindow(window, [grader]);
    expect(score!.verdict).toBe("fail");
    expect(score!.score).toBeCloseTo(1000 / 1905, 10);
    expect(score!.reason).toBe("p95 latency 1905 ms over 20 traces exceeds budget 1000 ms");
  });

  it("skips a window with too few timed traces", () => {
    const grader = graderOf({ kind: "metric", metric: "latency_percentile", budgetMs: 1000, minSamples: 30 });
    expect(gradeWindow(window, [grader])[0]).toMatchObject({
      verdict: "skipped",
      reason: "only 20 of 20 traces have a latency; p95 needs at least 30",
    });
  });

  it("only looks at traces its filter matches", () => {
    const tagged = window.map((t, i) => ({ ...t, tags: i < 10 ? ["fast"] : [] }));
    const grader = graderOf({
      kind: "metric",
      metric: "latency_percentile",
      percentile: 100,
      budgetMs: 1000,
      minSamples: 1,
      filter: { hasTag: "fast" },
    });
    expect(gradeWindow(tagged, [grader])[0]!.verdict).toBe("pass");
  });

  it("is left out of per-trace grading and skipped by grade()", () => {
    const grader = graderOf({ kind: "metric", metric: "latency_percentile", budgetMs: 1000 });
    expect(gradeTrace(makeTrace(), [grader])).toEqual([]);
    expect(grade(makeTrace(), grader).verdict).toBe("skipped");
  });
});
