/**
 * Grading what arrived before a grader: traces sent while an agent has no grader are
 * counted as ungraded (with the reason), creating the first grader says how many wait
 * and how to grade them, and a regrade grades them as ordinary windows of at most
 * maxTraces, idempotently. Also: a batch that overflows a window opens the next one.
 */
import { describe, expect, it } from "vitest";
import { call, createProject, getJson, sampleTrace } from "./helpers";
import { closeWindow, ingest, send, setWindow, settleWindow, traceScores, windows } from "./grading-helpers";

const containsShipped = { kind: "rule", check: "contains", text: "shipped" };

interface Ungraded {
  count: number;
  reason: string | null;
}

async function ungradedOf(apiKey: string): Promise<{ windows: Ungraded; window: Ungraded }> {
  const list = await (await getJson(apiKey, "/api/agents/support-bot/windows")).json<{ ungraded: Ungraded }>();
  const status = await (await getJson(apiKey, "/api/agents/support-bot/window")).json<{ ungraded: Ungraded }>();
  return { windows: list.ungraded, window: status.ungraded };
}

/** Sends traces before any grader exists and lets their window close (grading nothing). */
async function tracesBeforeGraders(apiKey: string, projectId: string, n: number, failing: number) {
  const traces = Array.from({ length: n }, (_, i) =>
    sampleTrace({ id: `early-${String(i).padStart(3, "0")}`, output: i < failing ? "lost in transit" : "it shipped" }),
  );
  await ingest(apiKey, traces);
  await closeWindow(apiKey);
  await settleWindow(projectId);
  return traces;
}

describe("traces sent before the agent had a grader", () => {
  it("are counted as ungraded, with the reason, in both window responses", async () => {
    const { apiKey, id } = await createProject();
    await tracesBeforeGraders(apiKey, id, 5, 2);
    const ungraded = await ungradedOf(apiKey);
    expect(ungraded.windows).toEqual({ count: 5, reason: "no_enabled_graders" });
    expect(ungraded.window).toEqual({ count: 5, reason: "no_enabled_graders" });
    expect(await windows(apiKey)).toEqual([]);
  });

  it("are announced when the first grader is created, and graded by a regrade as windows of maxTraces", async () => {
    const { apiKey, id } = await createProject();
    await tracesBeforeGraders(apiKey, id, 7, 3);
    const created = await send(apiKey, "POST", "/api/graders", {
      agent: "support-bot",
      name: "shipping",
      definition: containsShipped,
    });
    expect(created.status).toBe(201);
    const grader = await created.json<{ id: string; waiting: { count: number; regrade: string; message: string } }>();
    expect(grader.waiting).toMatchObject({ count: 7, regrade: "POST /api/agents/support-bot/regrade" });
    expect(grader.waiting.message).toMatch(/^7 finished traces of this agent were sent before it could be graded/);
    expect((await ungradedOf(apiKey)).windows).toEqual({ count: 7, reason: null });

    await setWindow(apiKey, { maxTraces: 3 });
    const started = await send(apiKey, "POST", "/api/agents/support-bot/regrade", {});
    expect(started.status).toBe(202);
    const regrade = await started.json<{ regradeId: string; traces: number; windows: number; state: string }>();
    expect(regrade).toMatchObject({ traces: 7, windows: 3, state: "running" });

    // Asking again starts nothing new.
    // No body at all (`curl -X POST`) means the same as `{}`.
    const againRes = await call("/api/agents/support-bot/regrade", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(againRes.status).toBe(202);
    const again = await againRes.json<typeof regrade>();
    expect(again, JSON.stringify(again)).toMatchObject({ traces: 7 });
    expect(again.regradeId).toBe(regrade.regradeId);

    await settleWindow(id);
    const progress = await getJson(apiKey, `/api/agents/support-bot/regrades/${regrade.regradeId}`);
    expect(await progress.json()).toMatchObject({ state: "done", traces: 7, windows: 3, gradedWindows: 3 });
    const graded = await windows(apiKey);
    expect(graded.map((w) => w.traceCount).sort()).toEqual([1, 3, 3]);
    expect(graded.reduce((sum, w) => sum + w.passCount, 0)).toBe(4);
    expect(await ungradedOf(apiKey)).toEqual({
      windows: { count: 0, reason: null },
      window: { count: 0, reason: null },
    });

    const cases = await (await getJson(apiKey, "/api/datasets/agent:support-bot/versions/latest/cases")).json<{
      cases: {
        sourceTraceId: string;
        guard: boolean;
        failure: unknown;
        stats: { occurrences: number; lastFailure: unknown };
      }[];
    }>();
    // Every failing trace has the same input, so they are one case, naming the grader and showing the latest output.
    const failures = cases.cases.filter((c) => !c.guard);
    expect(failures.map((c) => c.sourceTraceId)).toEqual(["early-000"]);
    const failure = {
      graderId: grader.id,
      graderVersion: 1,
      name: "shipping",
      reason: "output does not contain `shipped`",
    };
    expect(failures[0]!.failure).toEqual({ ...failure, failures: [failure] });
    expect(failures[0]!.stats).toMatchObject({
      occurrences: 3,
      lastFailure: { traceId: "early-002", output: "lost in transit", failures: [failure] },
    });
  });

  it("regrades only the named graders and the time range, superseding only those graders' scores", async () => {
    const { apiKey, id } = await createProject();
    const shipping = await (
      await send(apiKey, "POST", "/api/graders", {
        agent: "support-bot",
        name: "shipping",
        definition: containsShipped,
      })
    ).json<{ id: string }>();
    const tone = await (
      await send(apiKey, "POST", "/api/graders", {
        agent: "support-bot",
        name: "tone",
        definition: { kind: "rule", check: "not_contains", text: "idiot" },
      })
    ).json<{ id: string }>();
    const early = sampleTrace({
      id: "t-early",
      startTime: "2026-11-01T10:00:00.000Z",
      endTime: "2026-11-01T10:00:01.000Z",
      output: "it shipped",
    });
    const late = sampleTrace({ id: "t-late", output: "it shipped" });
    await ingest(apiKey, [early, late]);
    await closeWindow(apiKey);
    await settleWindow(id);

    await send(apiKey, "PATCH", `/api/graders/${shipping.id}`, {
      definition: { ...containsShipped, text: "delivered" },
    });
    const res = await send(apiKey, "POST", "/api/agents/support-bot/regrade", {
      from: "2026-11-01T00:00:00Z",
      to: "2026-11-02T00:00:00Z",
      graderIds: [shipping.id],
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ traces: 1, graders: [{ graderId: shipping.id, version: 2 }] });
    await settleWindow(id);

    const current = (await traceScores(apiKey, "t-early")).scores.filter((s) => !s.superseded);
    expect(current.map((s) => [s.graderId, s.graderVersion, s.verdict]).sort()).toEqual(
      [
        [shipping.id, 2, "fail"],
        [tone.id, 1, "pass"],
      ].sort(),
    );
    const lateScores = (await traceScores(apiKey, "t-late")).scores;
    expect(lateScores.every((s) => s.graderVersion === 1 && !s.superseded)).toBe(true);
  });

  it("refuses a regrade without graders, or with another agent's grader, and says what to do", async () => {
    const { apiKey } = await createProject();
    const none = await send(apiKey, "POST", "/api/agents/support-bot/regrade", {});
    expect(none.status).toBe(409);
    expect(await none.json()).toMatchObject({ error: { code: "no_enabled_graders" } });
    const unknown = await send(apiKey, "POST", "/api/agents/support-bot/regrade", { graderIds: ["grd_nope"] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(
      /^graderIds: 'grd_nope' is not a grader of agent support-bot/,
    );
    const reversed = await send(apiKey, "POST", "/api/agents/support-bot/regrade", {
      from: "2026-11-02T00:00:00Z",
      to: "2026-11-01T00:00:00Z",
    });
    expect(reversed.status).toBe(400);
    const missing = await getJson(apiKey, "/api/agents/support-bot/regrades/rg_nope");
    expect(missing.status).toBe(404);
  });
});

describe("window size", () => {
  it("closes a window at maxTraces when one batch overflows it, and opens the next", async () => {
    const { apiKey, id } = await createProject();
    await send(apiKey, "POST", "/api/graders", { agent: "support-bot", name: "shipping", definition: containsShipped });
    await setWindow(apiKey, { maxTraces: 4 });
    await ingest(
      apiKey,
      Array.from({ length: 10 }, () => sampleTrace()),
    );
    await settleWindow(id);
    const graded = await windows(apiKey);
    expect(graded.map((w) => w.traceCount)).toEqual([4, 4]);
    const status = await (await getJson(apiKey, "/api/agents/support-bot/window")).json<{
      open: { traceCount: number };
    }>();
    expect(status.open.traceCount).toBe(2);
  });
});
