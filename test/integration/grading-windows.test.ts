/**
 * The AgentWindow end to end: windows close at N traces and, for a quiet agent, at T
 * via the alarm; sampling is deterministic; corrupted traces are quarantined, not
 * graded; a grader that throws on one trace costs only that score; grading is
 * exactly-once in effect across repeated runs and injected D1 failures; a re-finished
 * trace supersedes its earlier scores; rollups carry CIs and say when they are thin.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isSampledIn, wilsonInterval } from "../../worker/grading";
import { gradeClosedWindow } from "../../durable-objects/agent-window/grade-window";
import { sha256Hex } from "../../worker/storage/hash";
import { agentWindow } from "../../worker/storage/durable-objects";
import { FORGET_SEEN_SQL, SEEN_RETENTION_MS } from "../../durable-objects/agent-window/schema";
import { traceObjectKey } from "../../worker/storage/r2";
import { countRows, createProject, getJson, sampleTrace, silenceExpectedErrors } from "./helpers";
import { closeWindow, createGrader, ingest, setWindow, settleWindow, traceScores, windows } from "./grading-helpers";

const containsShipped = { kind: "rule", check: "contains", text: "shipped" };
const scope = (projectId: string) => ({ projectId, agent: "support-bot" });

/** Stores bytes in R2 as ingest would and returns the ref a TraceShard hands on. */
async function storeRaw(projectId: string, traceId: string, body: unknown, suffix = "") {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const sha256 = await sha256Hex(bytes);
  const r2Key = traceObjectKey(projectId, "support-bot", traceId) + suffix;
  await env.TRACES.put(r2Key, bytes, { sha256 });
  return { traceId, r2Key, sha256, version: null };
}

function withEnv(projectId: string, windowEnv: Env) {
  return runInDurableObject(agentWindow(env, projectId, "support-bot"), (instance) => {
    (instance as unknown as { env: Env }).env = windowEnv;
  });
}

describe("closing windows", () => {
  it("grades a window as soon as it holds N traces, and marks the traces graded", async () => {
    const { apiKey, id } = await createProject();
    const grader = await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    await setWindow(apiKey, { maxTraces: 3, minGraded: 2 });
    const traces = [sampleTrace(), sampleTrace(), sampleTrace({ output: "lost in transit" })];
    await ingest(apiKey, traces.slice(0, 2));
    await settleWindow(id);
    expect(await windows(apiKey)).toEqual([]);
    expect(
      (await getJson(apiKey, "/api/agents/support-bot/window").then((r) => r.json<{ open: { traceCount: number } }>()))
        .open.traceCount,
    ).toBe(2);

    await ingest(apiKey, traces.slice(2));
    await settleWindow(id);
    const [window] = await windows(apiKey);
    expect(window).toMatchObject({ traceCount: 3, gradedCount: 3, passCount: 2, insufficient: false });
    expect(window!.rollup.perGraderVersion).toMatchObject([
      { graderId: grader.id, graderVersion: 1, pass: 2, fail: 1 },
    ]);
    for (const t of traces) {
      const read = await (await getJson(apiKey, `/api/traces/${t.id}`)).json<{ state: string }>();
      expect(read.state).toBe("graded");
    }
    expect(await countRows("scores", "project_id = ?", id)).toBe(3);
  });

  it("grades a quiet agent's window when its oldest trace is T old (alarm)", async () => {
    const { apiKey, id } = await createProject();
    await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    await setWindow(apiKey, { maxTraces: 50, maxAgeMs: 60_000 });
    const trace = sampleTrace();
    await ingest(apiKey, [trace]);
    const stub = agentWindow(env, id, "support-bot");
    const status = await stub.status();
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).toBe(Date.parse(status.open!.dueAt!));

    // An early alarm run (at-least-once delivery) leaves a young window open and re-arms.
    await runDurableObjectAlarm(stub);
    expect((await stub.status()).open?.traceCount).toBe(1);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(alarm);

    // Time passes: the oldest trace is now older than T.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE window_members SET added_at = added_at - 61000");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await settleWindow(id);
    const [window] = await windows(apiKey);
    expect(window).toMatchObject({ traceCount: 1, passCount: 1, insufficient: true });
    expect(window!.rollup.insufficientReason).toContain("at least 20");
    expect((await stub.status()).open).toBeNull();
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("samples deterministically by trace id", async () => {
    const { apiKey, id } = await createProject();
    await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    await setWindow(apiKey, { sampleRate: 0.5 });
    const traces = Array.from({ length: 40 }, (_, i) => sampleTrace({ id: `sampled-${i}` }));
    await ingest(apiKey, traces);
    await closeWindow(apiKey);
    const expected = traces
      .filter((t) => isSampledIn(t.id, 0.5))
      .map((t) => t.id)
      .sort();
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.length).toBeLessThan(35);
    const graded = await env.DB.prepare("SELECT id FROM traces WHERE project_id = ? AND state = 'graded' ORDER BY id")
      .bind(id)
      .all<{ id: string }>();
    expect(graded.results.map((r) => r.id)).toEqual(expected);
    expect((await windows(apiKey))[0]!.traceCount).toBe(expected.length);
  });
});

describe("what grading tolerates", () => {
  it("quarantines a corrupted or missing trace instead of grading it", async () => {
    const { apiKey, id } = await createProject();
    await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    const [good, altered, missing] = [sampleTrace(), sampleTrace(), sampleTrace()];
    await ingest(apiKey, [good, altered, missing]);
    await env.TRACES.put(
      traceObjectKey(id, "support-bot", altered.id),
      JSON.stringify({ ...altered, output: "tampered" }),
    );
    await env.TRACES.delete(traceObjectKey(id, "support-bot", missing.id));
    await closeWindow(apiKey);

    const [window] = await windows(apiKey);
    expect(window).toMatchObject({ traceCount: 1, passCount: 1 });
    expect(window!.rollup.quarantinedCount).toBe(2);
    for (const t of [altered, missing]) {
      expect((await traceScores(apiKey, t.id)).scores).toEqual([]);
      const read = await getJson(apiKey, `/api/traces/${t.id}`);
      expect(read.status).toBe(409);
      expect((await read.json<{ error: { code: string } }>()).error.code).toBe("trace_corrupted");
    }
    expect((await traceScores(apiKey, good.id)).state).toBe("graded");
  });

  it("a grader that throws on one trace gives that trace an error score and grades the rest", async () => {
    const { apiKey, id } = await createProject();
    const shipping = await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    const lookup = await createGrader(apiKey, {
      name: "lookup",
      definition: { kind: "rule", check: "tool_called", tool: "lookup_order" },
    });
    const normal = [sampleTrace(), sampleTrace()];
    await ingest(apiKey, normal);
    // Bytes that verify but whose spans are not a list: the tool grader's code throws on it.
    const odd = await storeRaw(id, "odd-trace", {
      id: "odd-trace",
      agent: "support-bot",
      output: "shipped",
      spans: { not: "a list" },
    });
    expect(await agentWindow(env, id, "support-bot").addFinished(scope(id), [odd])).toBe(1);
    expect((await closeWindow(apiKey)).status).toBe(200);

    const oddScores = (await traceScores(apiKey, "odd-trace")).scores;
    expect(oddScores.find((s) => s.graderId === lookup.id)).toMatchObject({ verdict: "error" });
    expect(oddScores.find((s) => s.graderId === shipping.id)).toMatchObject({ verdict: "pass" });
    for (const t of normal) {
      expect((await traceScores(apiKey, t.id)).scores.map((s) => s.verdict)).toEqual(["pass", "pass"]);
    }
    const [window] = await windows(apiKey);
    expect(window!.rollup.perGraderVersion.find((g) => g.graderId === lookup.id)).toMatchObject({ pass: 2, error: 1 });
  });
});

describe("exactly-once in effect", () => {
  it("grading the same closed window twice writes nothing new", async () => {
    const { apiKey, id } = await createProject();
    const a = await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    const b = await createGrader(apiKey, {
      name: "lookup",
      definition: { kind: "rule", check: "tool_called", tool: "lookup_order" },
    });
    const traces = [sampleTrace(), sampleTrace({ output: "lost" }), sampleTrace()];
    await ingest(apiKey, traces);
    await closeWindow(apiKey);
    const [first] = await windows(apiKey);
    expect(await countRows("scores", "project_id = ?", id)).toBe(6);

    // What a crash before the state change would make the alarm do: grade it all again.
    const members = await Promise.all(
      traces.map(async (t) => {
        const row = await env.DB.prepare("SELECT r2_key, sha256 FROM traces WHERE project_id = ? AND id = ?")
          .bind(id, t.id)
          .first<{ r2_key: string; sha256: string }>();
        return { traceId: t.id, r2Key: row!.r2_key, sha256: row!.sha256 };
      }),
    );
    const again = {
      projectId: id,
      agent: "support-bot",
      windowId: first!.id,
      seq: 1,
      openedAt: 0,
      closedAt: 0,
      minGraded: 20,
      graders: [
        { graderId: a.id, version: 1 },
        { graderId: b.id, version: 1 },
      ],
      members,
    };
    await gradeClosedWindow(env, again);
    await gradeClosedWindow(env, again);
    expect(await countRows("scores", "project_id = ?", id)).toBe(6);
    expect(await windows(apiKey)).toEqual([first]);
    // And a repeated alarm finds nothing to do.
    await runDurableObjectAlarm(agentWindow(env, id, "support-bot"));
    expect(await countRows("scores", "project_id = ?", id)).toBe(6);
  });

  it("a D1 failure half way through is retried by the alarm: same scores, none lost or doubled", async () => {
    const logged = silenceExpectedErrors();
    const { apiKey, id } = await createProject();
    await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    await createGrader(apiKey, {
      name: "lookup",
      definition: { kind: "rule", check: "tool_called", tool: "lookup_order" },
    });
    const traces = Array.from({ length: 30 }, (_, i) => sampleTrace(i % 3 === 0 ? { output: "lost" } : {}));
    await ingest(apiKey, traces);

    // D1 accepts the score batches, then fails every later statement (before the rollup).
    let batches = 0;
    const failingDb = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch")
          return async (statements: D1PreparedStatement[]) => {
            batches++;
            return target.batch(statements);
          };
        if (prop === "prepare" && batches > 0)
          return () => {
            throw new Error("injected: D1 unavailable");
          };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await withEnv(id, { ...env, DB: failingDb });
    const failed = await closeWindow(apiKey);
    expect(failed.status).toBe(202);
    expect(failed.body.pending).toMatchObject([{ state: "closing", attempts: 1 }]);
    expect(await countRows("scores", "project_id = ?", id)).toBe(60);
    expect(await windows(apiKey)).toEqual([]);
    const stub = agentWindow(env, id, "support-bot");
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();

    // Fully down: the retry fails too, and is retried again.
    await withEnv(id, {
      ...env,
      DB: new Proxy(env.DB, {
        get: (t, p) =>
          p === "prepare" || p === "batch"
            ? () => {
                throw new Error("injected: D1 down");
              }
            : Reflect.get(t, p),
      }),
    });
    await runDurableObjectAlarm(stub);
    expect((await stub.status()).pending).toMatchObject([{ state: "closing", attempts: 2 }]);

    await withEnv(id, env);
    await settleWindow(id);
    expect(await countRows("scores", "project_id = ?", id)).toBe(60);
    const [window] = await windows(apiKey);
    expect(window).toMatchObject({ traceCount: 30, passCount: 20, gradedCount: 30 });
    expect(await countRows("traces", "project_id = ? AND state = 'graded'", id)).toBe(30);
    expect(logged).toHaveBeenCalledWith(
      expect.stringMatching(/^AgentWindow: window .* grading failed \(attempt 1\); retrying: injected/),
    );
  });

  it("a re-finished trace is graded again later and supersedes its earlier scores", async () => {
    const { apiKey, id } = await createProject();
    const grader = await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    const stub = agentWindow(env, id, "support-bot");
    const v1 = await storeRaw(id, "late-spans", {
      id: "late-spans",
      agent: "support-bot",
      output: "shipped",
      spans: [],
    });
    const other = await storeRaw(id, "steady", { id: "steady", agent: "support-bot", output: "shipped", spans: [] });
    expect(await stub.addFinished(scope(id), [v1, other])).toBe(2);
    expect(await stub.addFinished(scope(id), [v1])).toBe(0);
    await closeWindow(apiKey);

    const v2 = await storeRaw(
      id,
      "late-spans",
      { id: "late-spans", agent: "support-bot", output: "lost", spans: [] },
      ".r2",
    );
    expect(await stub.addFinished(scope(id), [v2])).toBe(1);
    expect(await stub.addFinished(scope(id), [v2, other])).toBe(0);
    await closeWindow(apiKey);

    const scores = (await traceScores(apiKey, "late-spans")).scores;
    expect(scores.map((s) => [s.verdict, s.superseded])).toEqual([
      ["fail", false],
      ["pass", true],
    ]);
    const [second, first] = await windows(apiKey);
    expect(first).toMatchObject({ traceCount: 1, passCount: 1 });
    expect(first!.rollup.supersededCount).toBe(1);
    expect(second).toMatchObject({ traceCount: 1, passCount: 0 });
    const dist = await (await getJson(apiKey, "/api/agents/support-bot/distribution")).json<{
      graders: { graderId: string; pass: number; fail: number }[];
    }>();
    expect(dist.graders).toMatchObject([{ graderId: grader.id, pass: 1, fail: 1 }]);

    // Re-finished while still in the open window: only the newest content is graded.
    const v3 = await storeRaw(
      id,
      "late-spans",
      { id: "late-spans", agent: "support-bot", output: "shipped again", spans: [] },
      ".r3",
    );
    const v4 = await storeRaw(
      id,
      "late-spans",
      { id: "late-spans", agent: "support-bot", output: "gone", spans: [] },
      ".r4",
    );
    await stub.addFinished(scope(id), [v3]);
    await stub.addFinished(scope(id), [v4]);
    expect((await stub.status()).open?.traceCount).toBe(1);
    await closeWindow(apiKey);
    const latest = (await traceScores(apiKey, "late-spans")).scores.filter((s) => !s.superseded);
    expect(latest.map((s) => s.verdict)).toEqual(["fail"]);
  });

  it("remembers a hand-off for an hour, then forgets it, so the object does not grow with every trace ever graded", async () => {
    const { id } = await createProject();
    const stub = agentWindow(env, id, "support-bot");
    const refs = await Promise.all(
      ["kept", "old-1", "old-2"].map((traceId) =>
        storeRaw(id, traceId, { id: traceId, agent: "support-bot", spans: [] }),
      ),
    );
    expect(await stub.addFinished(scope(id), refs)).toBe(3);
    const seen = () =>
      runInDurableObject(stub, (_instance, state) =>
        state.storage.sql
          .exec<{ trace_id: string }>("SELECT trace_id FROM seen_traces ORDER BY trace_id")
          .toArray()
          .map((row) => row.trace_id),
      );
    // Two of them handed over more than an hour ago.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE seen_traces SET seen_at = ? WHERE trace_id LIKE 'old-%'",
        Date.now() - SEEN_RETENTION_MS - 1000,
      );
    });
    // A repeated hand-off within the hour is still recognised, and the next hand-off forgets the old ones.
    expect(await stub.addFinished(scope(id), [refs[0]!])).toBe(0);
    expect(await seen()).toEqual(["kept"]);
    const plan = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${FORGET_SEEN_SQL}`, 0, 10)
        .toArray()
        .map((row) => row.detail),
    );
    expect(
      plan.some((step) => /SEARCH seen_traces USING (COVERING )?INDEX seen_traces_age \(seen_at<\?\)/.test(step)),
    ).toBe(true);
  });

  it("rollups carry a Wilson interval and say when a window has too few graded traces", async () => {
    const { apiKey } = await createProject();
    await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    await createGrader(apiKey, {
      name: "p95",
      definition: { kind: "metric", metric: "latency_percentile", budgetMs: 5000, minSamples: 1 },
    });
    await setWindow(apiKey, { minGraded: 10 });
    await ingest(apiKey, [sampleTrace(), sampleTrace(), sampleTrace(), sampleTrace(), sampleTrace({ output: "no" })]);
    await closeWindow(apiKey);
    await setWindow(apiKey, { minGraded: 3 });
    await ingest(apiKey, [sampleTrace(), sampleTrace(), sampleTrace({ output: "no" })]);
    await closeWindow(apiKey);

    const [enough, thin] = await windows(apiKey);
    expect(thin).toMatchObject({ traceCount: 5, passCount: 4, passRate: 0.8, insufficient: true });
    expect(thin!.rollup.passRateCI).toEqual(wilsonInterval(4, 5));
    expect(thin!.rollup.insufficientReason).toBe(
      "only 5 of 5 traces got a pass or fail verdict; at least 10 are needed for a pass rate worth plotting",
    );
    expect(thin!.rollup.windowScores).toMatchObject([{ verdict: "pass" }]);
    expect(thin!.rollup.latencyMs.p50).toBe(1500);
    expect(enough).toMatchObject({ traceCount: 3, passCount: 2, insufficient: false });
    expect(enough!.rollup.insufficientReason).toBeNull();
  });
});
