import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ScoreResult } from "./definitions";
import { histogramBin, percentile, summariseLatencies, summariseWindow, wilsonInterval } from "./statistics";

describe("wilsonInterval", () => {
  it("matches known values", () => {
    const { low, high } = wilsonInterval(8, 10);
    expect(low).toBeCloseTo(0.4902, 4);
    expect(high).toBeCloseTo(0.9433, 4);
    const half = wilsonInterval(50, 100);
    expect(half.low).toBeCloseTo(0.4038, 4);
    expect(half.high).toBeCloseTo(0.5962, 4);
  });

  it("stays within [0, 1] at the extremes and is not degenerate", () => {
    const none = wilsonInterval(0, 10);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.2775, 4);
    const all = wilsonInterval(10, 10);
    expect(all.low).toBeCloseTo(0.7225, 4);
    expect(all.high).toBe(1);
  });

  it("is the whole range with no trials, and narrows as n grows", () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    const small = wilsonInterval(8, 10);
    const large = wilsonInterval(800, 1000);
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
  });

  it("widens with z", () => {
    const z95 = wilsonInterval(8, 10);
    const z99 = wilsonInterval(8, 10, 2.576);
    expect(z99.low).toBeLessThan(z95.low);
    expect(z99.high).toBeGreaterThan(z95.high);
  });

  it("always brackets the observed proportion inside [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))),
        ([passes, n]) => {
          const { low, high } = wilsonInterval(passes, n);
          const p = passes / n;
          expect(low).toBeGreaterThanOrEqual(0);
          expect(high).toBeLessThanOrEqual(1);
          expect(low).toBeLessThanOrEqual(p + 1e-12);
          expect(high).toBeGreaterThanOrEqual(p - 1e-12);
        },
      ),
    );
  });

  it("rejects impossible counts", () => {
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError);
  });
});

describe("percentile", () => {
  it("interpolates linearly between ranks", () => {
    const values = [10, 20, 30, 40];
    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 50)).toBe(25);
    expect(percentile(values, 100)).toBe(40);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1, 10);
  });

  it("lies between the minimum and maximum and grows with p", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p) => {
          const sorted = [...values].sort((a, b) => a - b);
          const value = percentile(sorted, p)!;
          expect(value).toBeGreaterThanOrEqual(sorted[0]!);
          expect(value).toBeLessThanOrEqual(sorted[sorted.length - 1]!);
          expect(percentile(sorted, Math.min(100, p + 1))!).toBeGreaterThanOrEqual(value);
        },
      ),
    );
  });

  it("handles one and no values", () => {
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it("rejects percentiles outside [0, 100]", () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it("summariseLatencies sorts and ignores non-finite values", () => {
    expect(summariseLatencies([300, 100, Number.NaN, 200])).toEqual({
      p50: 200,
      p90: 280,
      p95: 290,
      p99: 298,
      max: 300,
    });
    expect(summariseLatencies([])).toEqual({ p50: null, p90: null, p95: null, p99: null, max: null });
  });
});

describe("histogramBin", () => {
  it("puts 1 in the top bin and edges in the upper bin", () => {
    expect([0, 0.05, 0.1, 0.55, 0.99, 1].map(histogramBin)).toEqual([0, 0, 1, 5, 9, 9]);
  });
});

describe("summariseWindow", () => {
  const score = (
    graderId: string,
    graderVersion: number,
    verdict: ScoreResult["verdict"],
    value?: number,
  ): ScoreResult => ({
    graderId,
    graderVersion,
    verdict,
    score: value ?? (verdict === "pass" ? 1 : verdict === "fail" ? 0 : null),
    reason: "",
  });

  const scores = new Map<string, ScoreResult[]>([
    ["t1", [score("a", 1, "pass"), score("sim", 1, "pass", 0.85)]],
    ["t2", [score("a", 1, "fail"), score("sim", 1, "pass", 0.95)]],
    ["t3", [score("a", 2, "pass"), score("sim", 1, "error")]],
    ["t4", [score("a", 2, "error")]],
    ["t5", [score("sim", 1, "skipped")]],
    ["t6", []],
  ]);

  it("counts traces by final verdict", () => {
    const rollup = summariseWindow(scores, [100, 200], { minGraded: 2 });
    expect(rollup).toMatchObject({
      traceCount: 6,
      gradedCount: 3,
      passCount: 2,
      failCount: 1,
      errorCount: 1,
      skippedCount: 2,
      insufficient: false,
    });
    expect(rollup.passRate).toBeCloseTo(2 / 3, 10);
    expect(rollup.passRateCI).toEqual(wilsonInterval(2, 3));
  });

  it("keeps grader versions in separate buckets", () => {
    const rollup = summariseWindow(scores, [], { minGraded: 1 });
    expect(rollup.perGraderVersion.map((b) => [b.graderId, b.graderVersion, b.count])).toEqual([
      ["a", 1, 2],
      ["a", 2, 2],
      ["sim", 1, 4],
    ]);
    const [a1, a2, sim] = rollup.perGraderVersion;
    expect(a1).toMatchObject({ pass: 1, fail: 1, error: 0, passRate: 0.5, meanScore: 0.5 });
    expect(a2).toMatchObject({ pass: 1, fail: 0, error: 1, passRate: 1, insufficient: false });
    expect(sim).toMatchObject({ pass: 2, error: 1, skipped: 1 });
    expect(sim!.meanScore).toBeCloseTo(0.9, 10);
    expect(sim!.scoreHistogram).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(a1!.ci).toEqual(wilsonInterval(1, 2));
  });

  it("flags a window with too few graded traces but keeps its pass rate", () => {
    const rollup = summariseWindow(scores, [], { minGraded: 10 });
    expect(rollup.insufficient).toBe(true);
    expect(rollup.passRate).toBeCloseTo(2 / 3, 10);
    expect(rollup.perGraderVersion.every((b) => b.insufficient)).toBe(true);
  });

  it("has no pass rate when nothing was graded", () => {
    const rollup = summariseWindow({ t1: [score("a", 1, "skipped")] }, [], { minGraded: 1 });
    expect(rollup).toMatchObject({
      traceCount: 1,
      gradedCount: 0,
      passRate: null,
      passRateCI: null,
      insufficient: true,
    });
    expect(rollup.perGraderVersion[0]).toMatchObject({ passRate: null, ci: null, meanScore: null });
  });

  it("accepts a plain record and summarises latencies", () => {
    const rollup = summariseWindow({ t1: [score("a", 1, "pass")] }, [1000, 3000, 2000], { minGraded: 1 });
    expect(rollup.latencyMs).toMatchObject({ p50: 2000, max: 3000 });
  });
});
