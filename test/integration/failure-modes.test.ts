import { describe, expect, it } from "vitest";
import { api, expectJson } from "./dataset-helpers";
import { createGrader, ingest, setWindow, settleWindow } from "./grading-helpers";
import { createProject, sampleTrace } from "./helpers";

const refundSpan = {
  id: "s9",
  parentId: null,
  type: "tool",
  name: "refund",
  startTime: "2026-11-26T10:00:00.200Z",
  endTime: "2026-11-26T10:00:00.300Z",
  status: "ok",
  input: { amount: 20 },
};

describe("failure modes", () => {
  it("groups graded failures into modes with a grader hint, and marks the hint tried by the run that names it", async () => {
    const { apiKey, id } = await createProject();
    const refund = await createGrader(apiKey, {
      name: "refunds",
      definition: { kind: "rule", check: "tool_called", tool: "refund" },
    });
    const fast = await createGrader(apiKey, {
      name: "fast",
      definition: { kind: "rule", check: "latency_budget", ms: 1000 },
    });
    await setWindow(apiKey, { maxTraces: 5, minGraded: 1 });
    // Sample traces take 1.5 s: four miss the refund call and all four are too slow; one calls refund but is too slow.
    const traces = [sampleTrace(), sampleTrace(), sampleTrace(), sampleTrace(), sampleTrace()];
    traces[4]!.spans = [...(traces[4]!.spans as unknown[]), refundSpan] as never;
    await ingest(apiKey, traces);
    await settleWindow(id);

    const report = await expectJson(api(apiKey, "GET", "/api/agents/support-bot/failure-modes"), 200);
    expect(report.totalFailures).toBe(9);
    expect(report.modes.map((m: any) => [m.graderId, m.count, m.tool])).toEqual([
      [fast.id, 5, null],
      [refund.id, 4, "refund"],
    ]);
    const refundMode = report.modes[1];
    expect(refundMode.exampleTraceIds).toHaveLength(3);
    expect(refundMode.trend.map((p: any) => p.count)).toEqual([4]);
    expect(refundMode.suggestions).toHaveLength(1);
    expect(refundMode.suggestions[0]).toMatchObject({
      source: "grader_hint",
      detail: { kind: "tool_missing", tool: "refund" },
      tried: null,
    });
    expect(report.modes[0].suggestions[0].detail).toMatchObject({ kind: "budget", budget: "latency_ms", limit: 1000 });

    // Asking again stores nothing new: the suggestion keeps its id.
    const again = await expectJson(api(apiKey, "GET", "/api/agents/support-bot/failure-modes"), 200);
    expect(again.modes[1].suggestions[0].id).toBe(refundMode.suggestions[0].id);

    const dataset = await expectJson(
      api(apiKey, "POST", "/api/datasets", { name: "refund cases", agent: "support-bot" }),
      201,
    );
    await expectJson(
      api(apiKey, "POST", `/api/datasets/${dataset.id}/cases`, { input: "refund me", expected: "done" }),
      201,
    );
    const run = await expectJson(
      api(apiKey, "POST", "/api/eval-runs", {
        agent: "support-bot",
        candidate: { label: "prompt-v4", suggestionIds: [refundMode.suggestions[0].id] },
        dataset: dataset.id,
        datasetVersion: "latest",
      }),
      201,
    );
    const after = await expectJson(api(apiKey, "GET", "/api/agents/support-bot/failure-modes"), 200);
    expect(after.modes[1].suggestions[0].tried).toMatchObject({ runId: run.id });
  });

  it("refuses a range whose start is not before its end", async () => {
    const { apiKey } = await createProject();
    const res = await expectJson(
      api(apiKey, "GET", "/api/agents/support-bot/failure-modes?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z"),
      400,
    );
    expect(res.error.code).toBe("invalid_range");
  });
});
