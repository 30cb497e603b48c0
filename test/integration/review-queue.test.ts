/**
 * Human review through the worker: disputes between linked graders queue a trace, a
 * reviewer's verdict changes the trace's final verdict, its window's rollup and the
 * regression dataset, verdicts are idempotent per reviewer, and agreement is measured.
 */
import { describe, expect, it } from "vitest";
import { allCases, api, expectJson } from "./dataset-helpers";
import { closeWindow, createGrader, ingest, send, setWindow } from "./grading-helpers";
import { createProject, sampleTrace } from "./helpers";

/** Two graders of the same criterion: "the answer says the order shipped". */
async function linkedGraders(apiKey: string) {
  const strict = await createGrader(apiKey, {
    name: "says shipped",
    definition: { kind: "rule", check: "contains", text: "shipped", target: "output.answer" },
  });
  const loose = await createGrader(apiKey, {
    name: "mentions the order state",
    definition: { kind: "rule", check: "regex", pattern: "shipped|on its way", target: "output.answer" },
  });
  await expectJson(
    api(apiKey, "POST", "/api/agents/support-bot/grader-links", {
      graderA: strict.id,
      graderB: loose.id,
      criterion: "says the order shipped",
    }),
    201,
  );
  return { strict, loose };
}

const agreeingTrace = (n: number) =>
  sampleTrace({ id: `agree-${n}`, input: `Where is order ${n}?`, output: { answer: "It shipped." } });
/** Built so the strict grader fails and the loose one passes: a dispute. */
const disputedTrace = sampleTrace({
  id: "disputed-1",
  input: "Where is order D?",
  output: { answer: "It is on its way." },
});

async function gradedWindow(apiKey: string, traces: unknown[]) {
  await setWindow(apiKey, { maxTraces: 1000, minGraded: 1 });
  await ingest(apiKey, traces);
  const closed = await closeWindow(apiKey);
  expect(closed.status).toBe(200);
  return closed.body.closedWindowId!;
}

async function windowPassCount(apiKey: string, windowId: string): Promise<number> {
  const { windows } = await expectJson<{ windows: { id: string; passCount: number }[] }>(
    api(apiKey, "GET", "/api/agents/support-bot/windows"),
    200,
  );
  return windows.find((w) => w.id === windowId)!.passCount;
}

describe("review queue", () => {
  it("queues a trace on which linked graders disagree, and a reviewer's pass makes it pass and leaves the dataset", async () => {
    const { apiKey } = await createProject();
    await linkedGraders(apiKey);
    const windowId = await gradedWindow(apiKey, [agreeingTrace(1), disputedTrace]);

    // Default policy (human_overrides, any_fail without a human): the strict fail fails it.
    const before = await expectJson(api(apiKey, "GET", "/api/traces/disputed-1/verdict"), 200);
    expect(before.finalVerdict).toMatchObject({ verdict: "fail", disputed: true, policy: "human_overrides" });
    expect(before.finalVerdict.disputes[0]).toContain('"says the order shipped"');
    expect(await windowPassCount(apiKey, windowId)).toBe(1);
    const dataset = await expectJson(api(apiKey, "GET", "/api/datasets?agent=support-bot"), 200);
    const datasetId = dataset.datasets[0].id;
    expect((await allCases(apiKey, datasetId, "latest")).map((c) => c.sourceTraceId)).toContain("disputed-1");

    const queue = await expectJson(api(apiKey, "GET", "/api/review-queue?agent=support-bot&reason=disputed"), 200);
    expect(queue.items.map((i: { traceId: string }) => i.traceId)).toEqual(["disputed-1"]);
    const item = queue.items[0];
    expect(item.trace).toMatchObject({ input: "Where is order D?", output: { answer: "It is on its way." } });
    expect(item.scores.map((s: { verdict: string }) => s.verdict).sort()).toEqual(["fail", "pass"]);

    const verdict = await expectJson(
      api(apiKey, "POST", `/api/review-queue/${item.id}/verdict`, {
        verdict: "pass",
        reviewer: "ann",
        note: "on its way means shipped",
      }),
      201,
    );
    expect(verdict.finalVerdict).toMatchObject({ before: "fail", verdict: "pass" });
    expect(verdict.datasetChange).toBe("removed");

    const after = await expectJson(api(apiKey, "GET", "/api/traces/disputed-1/verdict"), 200);
    expect(after.finalVerdict).toMatchObject({ verdict: "pass" });
    expect(after.finalVerdict.reason).toMatch(/^decided by review/);
    expect(after.humanScores).toMatchObject([{ kind: "human", reviewer: "ann", verdict: "pass" }]);
    // Every score stays visible behind the verdict.
    expect(after.scores).toHaveLength(2);
    expect(await windowPassCount(apiKey, windowId)).toBe(2);
    expect((await allCases(apiKey, datasetId, "latest")).map((c) => c.sourceTraceId)).not.toContain("disputed-1");
    // Reviewed: no longer pending.
    const rest = await expectJson(api(apiKey, "GET", "/api/review-queue"), 200);
    expect(rest.items).toEqual([]);
  });

  it("a user queues a passing trace, and a reviewer's fail adds it to the regression dataset", async () => {
    const { apiKey } = await createProject();
    await createGrader(apiKey, {
      name: "says shipped",
      definition: { kind: "rule", check: "contains", text: "shipped", target: "output.answer" },
    });
    const windowId = await gradedWindow(apiKey, [agreeingTrace(7)]);
    const queued = await expectJson(
      api(apiKey, "POST", "/api/review-queue", { traceId: "agree-7", note: "customer complained" }),
      201,
    );
    expect(queued).toMatchObject({ reason: "user", state: "pending", detail: "customer complained" });
    // Queueing again returns the same pending item.
    expect((await expectJson(api(apiKey, "POST", "/api/review-queue", { traceId: "agree-7" }), 200)).id).toBe(
      queued.id,
    );

    const verdict = await expectJson(
      api(apiKey, "POST", `/api/review-queue/${queued.id}/verdict`, {
        verdict: "fail",
        reviewer: "bo",
        note: "wrong order",
      }),
      201,
    );
    expect(verdict).toMatchObject({ finalVerdict: { before: "pass", verdict: "fail" }, datasetChange: "added" });
    expect(await windowPassCount(apiKey, windowId)).toBe(0);
    const { datasets } = await expectJson(api(apiKey, "GET", "/api/datasets?agent=support-bot"), 200);
    const cases = await allCases(apiKey, datasets[0].id, "latest");
    expect(cases).toMatchObject([
      { sourceTraceId: "agree-7", failure: { graderId: "human:bo", reason: "wrong order" } },
    ]);
  });

  it("is idempotent per item and reviewer, and refuses what it cannot apply", async () => {
    const { apiKey } = await createProject();
    const other = await createProject("other");
    await createGrader(apiKey, {
      name: "says shipped",
      definition: { kind: "rule", check: "contains", text: "shipped", target: "output.answer" },
    });
    await gradedWindow(apiKey, [agreeingTrace(9)]);
    const item = await expectJson(api(apiKey, "POST", "/api/review-queue", { traceId: "agree-9" }), 201);
    const path = `/api/review-queue/${item.id}/verdict`;

    await expectJson(api(apiKey, "POST", path, { verdict: "pass", reviewer: "ann" }), 201);
    const replay = await expectJson(api(apiKey, "POST", path, { verdict: "pass", reviewer: "ann" }), 200);
    expect(replay.verdict).toMatchObject({ reviewer: "ann", verdict: "pass" });
    const changed = await expectJson(api(apiKey, "POST", path, { verdict: "fail", reviewer: "ann" }), 409);
    expect(changed.error.message).toContain("already gave");
    const late = await expectJson(api(apiKey, "POST", path, { verdict: "fail", reviewer: "cy" }), 409);
    expect(late.error.message).toContain("no longer pending");
    const foreign = await expectJson(api(other.apiKey, "POST", path, { verdict: "fail", reviewer: "eve" }), 404);
    expect(foreign.error.code).toBe("not_found");
    const bad = await expectJson(api(apiKey, "POST", path, { verdict: "maybe", reviewer: "ann" }), 400);
    expect(bad.error.code).toBe("invalid_request");
    const unknown = await expectJson(api(apiKey, "POST", "/api/review-queue", { traceId: "never-sent" }), 404);
    expect(unknown.error.code).toBe("not_found");
  });

  it("measures agreement of linked graders and of graders with humans", async () => {
    const { apiKey } = await createProject();
    const { strict, loose } = await linkedGraders(apiKey);
    await gradedWindow(apiKey, [agreeingTrace(1), agreeingTrace(2), agreeingTrace(3), disputedTrace]);
    const report = await expectJson(api(apiKey, "GET", "/api/agents/support-bot/agreement"), 200);
    // 4 traces judged by both: 3 agree (pass/pass), 1 differs.
    expect(report.linkedPairs).toMatchObject([{ n: 4, agree: 3, percentAgreement: 0.75 }]);
    expect([report.linkedPairs[0].graderA, report.linkedPairs[0].graderB].sort()).toEqual([strict.id, loose.id].sort());
    expect(report.withHumans).toEqual([]);
    expect(report.calibration.enabled).toBe(false);
  });

  it("review settings default to the documented policy and can be changed per agent", async () => {
    const { apiKey } = await createProject();
    const defaults = await expectJson(api(apiKey, "GET", "/api/agents/support-bot/review-settings"), 200);
    expect(defaults).toMatchObject({
      settings: { policy: "human_overrides", reviewSampleRate: 0, calibration: { enabled: false } },
      custom: null,
    });
    const set = await expectJson(
      send(apiKey, "PUT", "/api/agents/support-bot/review-settings", {
        policy: "majority",
        calibration: { enabled: true, minVerdicts: 2 },
      }),
      200,
    );
    expect(set.settings).toMatchObject({
      policy: "majority",
      calibration: { enabled: true, minVerdicts: 2, kappaThreshold: 0.6 },
    });
    const bad = await expectJson(
      send(apiKey, "PUT", "/api/agents/support-bot/review-settings", { policy: "loudest" }),
      400,
    );
    expect(bad.error.message).toContain("policy");
  });
});
