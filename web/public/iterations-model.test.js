import { describe, expect, it } from "vitest";
import {
  caseDrillDown,
  evalRunView,
  failureModesView,
  iterationsView,
  progressText,
  rateWithInterval,
} from "./iterations-model.js";

const candidate = (label) => ({ label, version: null, endpoint: null, suggestionIds: [] });

describe("the iterations model", () => {
  it("lists runs oldest first with their metrics and the accepted baseline", () => {
    const runs = iterationsView({
      agent: "support-bot",
      iterations: [
        {
          id: "run_b",
          candidate: candidate("prompt-v4"),
          datasetVersion: 3,
          status: "completed",
          accepted: false,
          createdAt: "2026-12-02T00:00:00.000Z",
          improvementRate: 0.75,
          regressionCount: 1,
          flakyCount: 0,
          errorCount: 0,
          passRate: 0.8,
          passRateCI: { low: 0.49, high: 0.94 },
        },
        {
          id: "run_a",
          candidate: candidate("prompt-v3"),
          datasetVersion: 3,
          status: "completed",
          accepted: true,
          createdAt: "2026-12-01T00:00:00.000Z",
          improvementRate: 0.25,
          regressionCount: 0,
        },
      ],
    });
    expect(runs.map((r) => [r.id, r.label, r.accepted])).toEqual([
      ["run_a", "prompt-v3", true],
      ["run_b", "prompt-v4", false],
    ]);
    expect(runs[1]).toMatchObject({ improvementRate: 0.75, regressionCount: 1, passRateCI: { low: 0.49, high: 0.94 } });
    expect(runs[0]).toMatchObject({ flakyCount: null, passRate: null, passRateCI: null });
  });

  it("reads one run's progress, metrics and case lists from `metrics`", () => {
    const run = evalRunView({
      id: "run_b",
      candidate: candidate("prompt-v4"),
      status: "running",
      accepted: false,
      metrics: {
        completed: 4,
        total: 6,
        counts: { pass: 3, fail: 1, error: 0, flaky: 1, pending: 2 },
        improvementRate: 0.5,
        improvementRateCI: { low: 0.1, high: 0.9 },
        regressionCount: 1,
        passRate: 0.75,
        passRateCI: null,
        fixed: ["f1"],
        improved: ["f1"],
        regressed: ["g1"],
        flaky: ["f2"],
        errored: [],
      },
    });
    expect(run).toMatchObject({ improvementRate: 0.5, regressionCount: 1, flakyCount: 1, errorCount: 0 });
    expect(run.lists).toEqual({ improved: ["f1"], regressed: ["g1"], flaky: ["f2"], errored: [] });
    expect(progressText(run)).toBe("4 of 6 results recorded, running");
    expect(rateWithInterval(run.improvementRate, run.improvementRateCI)).toBe("50% (95% CI 10%–90%)");
    expect(rateWithInterval(null, null)).toBe("–");
  });

  it("puts a case's input, expected answer and failing grader reasons side by side", () => {
    const run = {
      cases: [{ caseId: "g1", guard: true, outcome: "fail", baseline: "pass", repeats: ["fail", "fail"], reason: "x" }],
      results: [
        {
          caseId: "g1",
          repeat: 0,
          verdict: "fail",
          reason: "1 grader failed",
          scores: [
            { graderId: "grd_a", graderVersion: 2, verdict: "fail", reason: "`shipped` not found" },
            { graderId: "grd_b", graderVersion: 1, verdict: "pass", reason: "ok" },
          ],
        },
        {
          caseId: "g1",
          repeat: 1,
          verdict: "fail",
          reason: "1 grader failed",
          scores: [{ graderId: "grd_a", graderVersion: 2, verdict: "fail", reason: "`shipped` not found" }],
        },
      ],
    };
    const [g1] = caseDrillDown(["g1"], run, new Map([["g1", { id: "g1", input: "where?", expected: "It shipped" }]]));
    expect(g1).toEqual({
      caseId: "g1",
      guard: true,
      outcome: "fail",
      baseline: "pass",
      repeats: ["fail", "fail"],
      input: "where?",
      expected: "It shipped",
      answers: [],
      reasons: ["repeat 0: grd_a@2: `shipped` not found", "repeat 1: grd_a@2: `shipped` not found"],
    });
  });

  it("shows what the candidate answered, once for repeats that answered alike", () => {
    const result = (repeat, output, verdict = "fail") => ({
      caseId: "f1",
      repeat,
      verdict,
      reason: "",
      scores: [],
      output,
    });
    const run = {
      cases: [{ caseId: "f1", guard: false, outcome: "flaky", baseline: "fail", repeats: ["fail", "pass", "fail"] }],
      results: [result(2, "I don't know"), result(1, { answer: "It shipped" }, "pass"), result(0, "I don't know")],
    };
    const [f1] = caseDrillDown(["f1"], run, new Map());
    expect(f1.answers).toEqual([
      { repeats: [0, 2], output: "I don't know" },
      { repeats: [1], output: { answer: "It shipped" } },
    ]);
    const timedOut = { ...run, results: [{ ...result(0, null, "error"), reason: "timeout" }] };
    expect(caseDrillDown(["f1"], timedOut, new Map())[0].answers).toEqual([]);
  });

  it("reads failure modes with the grader, reason, share and first suggested fix", () => {
    const modes = failureModesView({
      modes: [
        {
          graderId: "grd_a",
          graderVersion: 2,
          graderName: "mentions shipping",
          reason: "`<n>` not found",
          exampleReason: "`shipped` not found",
          tool: null,
          count: 12,
          share: 0.6,
          exampleTraceIds: ["t1", "t2"],
          suggestions: [{ id: "sug_1", title: "Say when the order shipped", tried: null }],
        },
      ],
    });
    expect(modes).toEqual([
      {
        grader: "mentions shipping v2",
        reason: "`shipped` not found",
        tool: null,
        count: 12,
        share: 0.6,
        examples: ["t1", "t2"],
        fix: { id: "sug_1", title: "Say when the order shipped", tried: false },
      },
    ]);
    const withJudge = failureModesView({
      modes: [
        {
          graderId: "grd_a",
          suggestions: [
            { id: "sug_1", source: "grader_hint", title: "Check the grader's rubric", tried: null },
            { id: "sug_2", source: "judge", title: "Answer instead of refusing", tried: { runId: "run_1" } },
          ],
        },
      ],
    });
    expect(withJudge[0].fix).toEqual({ id: "sug_2", title: "Answer instead of refusing", tried: true });
  });
});
