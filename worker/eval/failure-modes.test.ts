import { describe, expect, it } from "vitest";
import {
  type FailureRecord,
  type WindowRef,
  clusterFailures,
  errorSignatureOf,
  normaliseReason,
} from "./failure-modes";
import { graderHint } from "./fix-hints";

const windows: WindowRef[] = [
  { windowId: "w2", closedAt: "2026-12-01T11:00:00.000Z", gradedCount: 10 },
  { windowId: "w1", closedAt: "2026-12-01T10:00:00.000Z", gradedCount: 20 },
];

/**
 * A realistic day of a support bot: a missing refund call in most failures, an order
 * lookup that times out with varying ids, latency over budget with varying numbers,
 * and one answer missing from the reference under an older grader version.
 */
function supportBotFailures(): FailureRecord[] {
  const failures: FailureRecord[] = [];
  for (let i = 0; i < 6; i++) {
    failures.push({
      traceId: `t-refund-${i}`,
      windowId: i < 2 ? "w1" : "w2",
      graderId: "grd_refund",
      graderVersion: 2,
      reason: "tool `refund` was never called",
      tool: "refund",
    });
  }
  for (const [i, order] of ["A17", "B-2291", "C9"].entries()) {
    failures.push({
      traceId: `t-lookup-${i}`,
      windowId: "w1",
      graderId: "grd_errors",
      graderVersion: 1,
      reason: `span \`lookup_order\` (tool) ended in error: timeout after ${3000 + i * 17} ms for order "${order}"`,
    });
  }
  for (const ms of [4100, 5230]) {
    failures.push({
      traceId: `t-slow-${ms}`,
      windowId: "w2",
      graderId: "grd_latency",
      graderVersion: 1,
      reason: `latency ${ms} ms exceeds the budget of 3000 ms`,
    });
  }
  failures.push({
    traceId: "t-old",
    windowId: "w1",
    graderId: "grd_refund",
    graderVersion: 1,
    reason: "tool `refund` was never called",
    tool: "refund",
  });
  return failures;
}

describe("clusterFailures", () => {
  it("groups a realistic mix into modes by grader version, normalised reason, tool and error signature, largest first", () => {
    const modes = clusterFailures(supportBotFailures(), windows);
    expect(modes.map((m) => [m.graderId, m.graderVersion, m.count, m.tool])).toEqual([
      ["grd_refund", 2, 6, "refund"],
      ["grd_errors", 1, 3, "lookup_order"],
      ["grd_latency", 1, 2, null],
      ["grd_refund", 1, 1, "refund"],
    ]);
    expect(modes[0]!.share).toBeCloseTo(6 / 12);
    expect(modes[1]!.errorSignature).toBe('timeout after <n> ms for order "…"');
    expect(modes[2]!.reason).toBe("latency <n> ms exceeds the budget of <n> ms");
  });

  it("never merges failures of two versions of one grader", () => {
    const modes = clusterFailures(supportBotFailures(), windows).filter((m) => m.graderId === "grd_refund");
    expect(modes.map((m) => m.graderVersion).sort()).toEqual([1, 2]);
  });

  it("draws each mode's trend over the windows, oldest first, as a count and a rate among graded traces", () => {
    const refund = clusterFailures(supportBotFailures(), windows)[0]!;
    expect(refund.trend).toEqual([
      { windowId: "w1", closedAt: "2026-12-01T10:00:00.000Z", count: 2, rate: 0.1 },
      { windowId: "w2", closedAt: "2026-12-01T11:00:00.000Z", count: 4, rate: 0.4 },
    ]);
  });

  it("gives at most three example traces and links dataset cases by source trace or by recorded failure", () => {
    const modes = clusterFailures(supportBotFailures(), windows, [
      { caseId: "case-a", sourceTraceId: "t-refund-0", failure: null },
      {
        caseId: "case-b",
        sourceTraceId: "t-gone",
        failure: {
          graderId: "grd_latency",
          graderVersion: 1,
          reason: "latency 9999 ms exceeds the budget of 3000 ms",
        },
      },
      { caseId: "case-c", sourceTraceId: null, failure: null },
    ]);
    expect(modes[0]!.exampleTraceIds).toEqual(["t-refund-0", "t-refund-1", "t-refund-2"]);
    expect(modes[0]!.exampleCaseIds).toEqual(["case-a"]);
    expect(modes[2]!.exampleCaseIds).toEqual(["case-b"]);
    expect(modes.reduce((n, m) => n + m.caseCount, 0)).toBe(2);
  });

  it("has no modes without failures", () => {
    expect(clusterFailures([], windows)).toEqual([]);
  });
});

describe("normaliseReason and errorSignatureOf", () => {
  it("removes what varies between occurrences of one failure", () => {
    expect(normaliseReason("Order 4f1c2a9e-1b2c-4d5e-8f90-123456789abc not found ")).toBe("order <id> not found");
    expect(normaliseReason("expected 'shipped' but got 'pending'")).toBe("expected '…' but got '…'");
    expect(errorSignatureOf("the trace ended in error")).toBe("error");
    expect(errorSignatureOf("latency 10 ms")).toBeNull();
  });
});

describe("graderHint", () => {
  const mode = (graderId: string, reason: string, tool: string | null = null) =>
    clusterFailures([{ traceId: "t", windowId: null, graderId, graderVersion: 1, reason, tool }], [])[0]!;

  it("names the tool a tool_called grader wants, and its arguments when the call was made wrongly", () => {
    const missing = graderHint(mode("g", "tool `refund` was never called", "refund"), {
      graderId: "g",
      version: 1,
      name: "refunds",
      definition: { kind: "rule", check: "tool_called", tool: "refund" },
    });
    expect(missing.detail).toMatchObject({ kind: "tool_missing", tool: "refund" });
    const wrongArgs = graderHint(
      mode("g", "tool `refund` was called once but never with amount equal to 20", "refund"),
      {
        graderId: "g",
        version: 1,
        name: "refunds",
        definition: { kind: "rule", check: "tool_called", tool: "refund", args: [{ path: "amount", equals: 20 }] },
      },
    );
    expect(wrongArgs.detail).toMatchObject({ kind: "tool_argument", tool: "refund" });
    expect(wrongArgs.title).toContain("amount");
  });

  it("names the budget of a budget grader", () => {
    const hint = graderHint(mode("g", "latency 5000 ms exceeds the budget of 3000 ms"), {
      graderId: "g",
      version: 1,
      name: "fast",
      definition: { kind: "rule", check: "latency_budget", ms: 3000 },
    });
    expect(hint.detail).toMatchObject({ kind: "budget", budget: "latency_ms", limit: 3000 });
  });

  it("points at the error and its tool for no_error_spans", () => {
    const hint = graderHint(mode("g", "span `lookup_order` (tool) ended in error: timeout"), {
      graderId: "g",
      version: 1,
      name: "no errors",
      definition: { kind: "rule", check: "no_error_spans" },
    });
    expect(hint.detail).toMatchObject({ kind: "error_handling", tool: "lookup_order", errorSignature: "timeout" });
  });
});
