/**
 * Failures inside the write path, injected through the worker's own bindings: the
 * client gets a retryable error, retries, and the trace ends up stored and indexed
 * exactly once. Nothing is half-applied.
 */
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { traceShardAt } from "../../worker/storage/durable-objects";
import {
  BASE,
  countRows,
  createProject,
  failingShards,
  flushShards,
  getJson,
  postTraces,
  sampleTrace,
  silenceExpectedErrors,
  failing,
} from "./helpers";

async function postWithEnv(testEnv: Env, apiKey: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}/api/traces`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe("failures on the write path", () => {
  it("a failure after the R2 put gives a retryable error; the retry stores and indexes once", async () => {
    const logged = silenceExpectedErrors();
    const project = await createProject();
    const trace = sampleTrace();
    const res = await postWithEnv(
      { ...env, TRACE_SHARD: failingShards("record", { remaining: 1 }) },
      project.apiKey,
      trace,
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    // The bytes reached R2 but the trace was not acknowledged and is not indexed.
    expect((await env.TRACES.list({ prefix: `traces/${project.id}/` })).objects).toHaveLength(1);

    const retry = await postTraces(project.apiKey, trace);
    expect(retry.status).toBe(201);
    const again = await postTraces(project.apiKey, trace);
    expect(again.status).toBe(200);
    await flushShards();
    expect(await countRows("traces", "project_id = ? AND id = ?", project.id, trace.id)).toBe(1);
    expect((await env.TRACES.list({ prefix: `traces/${project.id}/` })).objects).toHaveLength(1);
    expect((await getJson(project.apiKey, `/api/traces/${trace.id}`)).status).toBe(200);
    expect(logged).toHaveBeenCalledWith(
      expect.stringMatching(/^dependency failure \[/),
      "POST",
      "/api/traces",
      expect.any(Error),
    );
  });

  it("an R2 failure stores nothing and the retry succeeds", async () => {
    const logged = silenceExpectedErrors();
    const project = await createProject();
    const trace = sampleTrace();
    const res = await postWithEnv(
      { ...env, TRACES: failing(env.TRACES, "put", "injected: R2 put failed", { remaining: 1 }) },
      project.apiKey,
      trace,
    );
    expect(res.status).toBe(503);
    expect((await getJson(project.apiKey, `/api/traces/${trace.id}`)).status).toBe(404);
    expect((await postTraces(project.apiKey, trace)).status).toBe(201);
    await flushShards();
    expect(await countRows("traces", "project_id = ? AND id = ?", project.id, trace.id)).toBe(1);
    expect(logged).toHaveBeenCalledWith(
      expect.stringMatching(/^dependency failure \[/),
      "POST",
      "/api/traces",
      expect.any(Error),
    );
  });

  it("a batch whose shard fails is refused whole; the retried batch counts every trace once", async () => {
    const logged = silenceExpectedErrors();
    const project = await createProject();
    const batch = Array.from({ length: 20 }, () => sampleTrace());
    const res = await postWithEnv(
      { ...env, TRACE_SHARD: failingShards("record", { remaining: 1 }) },
      project.apiKey,
      batch,
    );
    expect(res.status).toBe(503);
    const retry = await postTraces(project.apiKey, batch);
    expect([201, 207]).toContain(retry.status);
    const body = await retry.json<{ accepted: number; duplicates: number; rejected: number }>();
    // Shards that succeeded the first time report duplicates; none is stored twice.
    expect(body.accepted + body.duplicates).toBe(20);
    expect(body.rejected).toBe(0);
    await flushShards();
    expect(await countRows("traces", "project_id = ?", project.id)).toBe(20);
    expect(logged).toHaveBeenCalledWith(
      expect.stringMatching(/^dependency failure \[/),
      "POST",
      "/api/traces",
      expect.any(Error),
    );
  });

  it("a D1 outage during the index flush is retried by the shard's alarm, without loss or duplicates", async () => {
    const logged = silenceExpectedErrors();
    const project = await createProject();
    const failingDb = failing(env.DB, "batch", "injected: D1 unavailable");
    const stubs = Array.from({ length: Number(env.TRACE_SHARDS) }, (_, n) => traceShardAt(env, project.id, n));
    const setShardEnv = (shardEnv: Env) =>
      Promise.all(
        stubs.map((stub) =>
          runInDurableObject(stub, (instance) => {
            (instance as unknown as { env: Env }).env = shardEnv;
          }),
        ),
      );
    await setShardEnv({ ...env, DB: failingDb });

    const traces = Array.from({ length: 12 }, () => sampleTrace());
    expect((await postTraces(project.apiKey, traces)).status).toBe(201);
    for (const stub of stubs) await runDurableObjectAlarm(stub);

    // Nothing reached D1, yet every trace is acknowledged, pending and readable through its shard.
    expect(await countRows("traces", "project_id = ?", project.id)).toBe(0);
    for (const t of traces) expect((await getJson(project.apiKey, `/api/traces/${t.id}`)).status).toBe(200);
    expect((await Promise.all(stubs.map((s) => s.pendingCount()))).reduce((a, b) => a + b, 0)).toBe(12);
    // The failed flush re-armed the alarm instead of giving up.
    for (const stub of stubs) {
      const pending = await stub.pendingCount();
      const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
      if (pending > 0) expect(alarm).not.toBeNull();
    }

    await setShardEnv(env);
    await flushShards();
    expect(await countRows("traces", "project_id = ?", project.id)).toBe(12);
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/^TraceShard alarm failed .*injected: D1 unavailable/));
  });
});
