import { describe, expect, it } from "vitest";
import { type EvalCaseRef, type EvalResult, caseOutcome, computeRunMetrics, datasetBaseline } from "./metrics";

const failure = (caseId: string, baseline = datasetBaseline(false)): EvalCaseRef => ({
  caseId,
  guard: false,
  baseline,
});
const guard = (caseId: string, baseline = datasetBaseline(true)): EvalCaseRef => ({ caseId, guard: true, baseline });
const result = (caseId: string, verdict: EvalResult["verdict"], repeat = 0, reason: string = verdict): EvalResult => ({
  caseId,
  repeat,
  verdict,
  reason,
});

describe("caseOutcome", () => {
  it("calls repeats that disagree flaky, even when one of them errored", () => {
    expect(caseOutcome(["pass", "fail"])).toBe("flaky");
    expect(caseOutcome(["pass", "error", "fail"])).toBe("flaky");
  });
  it("never lets an error count as a pass", () => {
    expect(caseOutcome(["pass", "error"])).toBe("error");
    expect(caseOutcome(["error"])).toBe("error");
  });
  it("waits for every repeat before deciding", () => {
    expect(caseOutcome(["pass", null])).toBe("pending");
  });
});

describe("computeRunMetrics", () => {
  it("a fixed failure case raises the improvement rate and is listed as fixed and improved", () => {
    const cases = [failure("f1"), failure("f2"), failure("f3"), failure("f4"), guard("g1")];
    const before = computeRunMetrics(
      cases,
      cases.map((c) => result(c.caseId, c.guard ? "pass" : "fail")),
      1,
    );
    const after = computeRunMetrics(
      cases,
      cases.map((c) => result(c.caseId, c.guard || c.caseId === "f2" ? "pass" : "fail")),
      1,
    );
    expect(before.metrics.improvementRate).toBe(0);
    expect(after.metrics.improvementRate).toBe(0.25);
    expect(after.metrics.fixed).toEqual(["f2"]);
    expect(after.metrics.improved).toEqual(["f2"]);
    expect(after.metrics.regressionCount).toBe(0);
    expect(after.metrics.improvementRateCI!.low).toBeLessThan(0.25);
    expect(after.metrics.improvementRateCI!.high).toBeGreaterThan(0.25);
  });

  it("a guard case that now fails is exactly one regression, and guard cases stay out of the improvement rate", () => {
    const cases = [failure("f1"), guard("g1"), guard("g2")];
    const { metrics } = computeRunMetrics(cases, [result("f1", "pass"), result("g1", "fail"), result("g2", "pass")], 1);
    expect(metrics.regressionCount).toBe(1);
    expect(metrics.regressed).toEqual(["g1"]);
    expect(metrics.improvementRate).toBe(1);
    expect(metrics.failureCaseCount).toBe(1);
    expect(metrics.guardCaseCount).toBe(2);
  });

  it("compares against a baseline run's outcomes, not the case kind, when a run is the baseline", () => {
    // f1 passed in the accepted run and fails now: a regression although it is a failure case.
    // f2 was flaky in the baseline: failing now is not a regression.
    const cases = [failure("f1", "pass"), failure("f2", "flaky"), guard("g1", "fail")];
    const { metrics } = computeRunMetrics(cases, [result("f1", "fail"), result("f2", "fail"), result("g1", "pass")], 1);
    expect(metrics.regressed).toEqual(["f1"]);
    expect(metrics.improved).toEqual(["g1"]);
  });

  it("sets a case whose repeats alternate apart: neither improvement nor regression", () => {
    const cases = [failure("f1"), guard("g1")];
    const results = [
      result("f1", "pass", 0),
      result("f1", "fail", 1),
      result("f1", "pass", 2),
      result("g1", "fail", 0),
      result("g1", "pass", 1),
      result("g1", "fail", 2),
    ];
    const { metrics, cases: reports } = computeRunMetrics(cases, results, 3);
    expect(metrics.flaky).toEqual(["f1", "g1"]);
    expect(metrics.counts.flaky).toBe(2);
    expect(metrics.improvementRate).toBe(0);
    expect(metrics.regressionCount).toBe(0);
    expect(metrics.improved).toEqual([]);
    expect(reports[0]!.repeats).toEqual(["pass", "fail", "pass"]);
  });

  it("records a timed-out case as an error with its reason, never a pass, and counts it against the pass rate", () => {
    const cases = [failure("f1"), guard("g1")];
    const { metrics, cases: reports } = computeRunMetrics(
      cases,
      [result("f1", "error", 0, "the candidate did not answer within 5000 ms"), result("g1", "pass")],
      1,
    );
    expect(metrics.errored).toEqual(["f1"]);
    expect(metrics.improvementRate).toBe(0);
    expect(metrics.regressionCount).toBe(0);
    expect(metrics.passRate).toBe(0.5);
    expect(reports[0]!.reason).toBe("the candidate did not answer within 5000 ms");
  });

  it("counts each (case, repeat) once however often a retried result arrives", () => {
    const cases = [failure("f1")];
    const { metrics } = computeRunMetrics(cases, [result("f1", "pass"), result("f1", "fail"), result("f1", "pass")], 1);
    expect(metrics.completed).toBe(1);
    expect(metrics.counts.pass).toBe(1);
    expect(metrics.flaky).toEqual([]);
  });

  it("ignores results for unknown cases or out-of-range repeats", () => {
    const { metrics } = computeRunMetrics([failure("f1")], [result("nope", "pass"), result("f1", "pass", 4)], 2);
    expect(metrics.completed).toBe(0);
    expect(metrics.counts.pending).toBe(1);
    expect(metrics.passRate).toBeNull();
  });

  it("reports progress while repeats are missing and decides nothing about those cases", () => {
    const { metrics } = computeRunMetrics(
      [failure("f1"), guard("g1")],
      [result("f1", "pass", 0), result("g1", "fail", 0)],
      2,
    );
    expect(metrics.completed).toBe(2);
    expect(metrics.total).toBe(4);
    expect(metrics.counts.pending).toBe(2);
    expect(metrics.regressionCount).toBe(0);
  });

  it("has no improvement rate for a version made only of guard cases", () => {
    const { metrics } = computeRunMetrics([guard("g1")], [result("g1", "pass")], 1);
    expect(metrics.improvementRate).toBeNull();
    expect(metrics.improvementRateCI).toBeNull();
  });

  it("refuses a repeat count that is not a whole number", () => {
    expect(() => computeRunMetrics([], [], 0)).toThrow(RangeError);
  });
});
