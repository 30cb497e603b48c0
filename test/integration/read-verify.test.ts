/** Every read re-verifies the SHA-256; a corrupted trace is quarantined, never served. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../worker/storage/db";
import { insertTraceRows } from "../../worker/storage/trace-index";
import { createProject, flushShards, getJson, postTraces, sampleTrace } from "./helpers";

describe("read verification", () => {
  it("quarantines a trace whose stored bytes were altered and answers trace_corrupted", async () => {
    const project = await createProject();
    const trace = sampleTrace();
    await postTraces(project.apiKey, trace);
    await flushShards();
    const key = `traces/${project.id}/support-bot/${trace.id}.json`;
    const original = await (await env.TRACES.get(key))!.text();
    // Behind the worker's back: same length, one character changed.
    await env.TRACES.put(key, original.replace("shipped", "shippeD"));

    const res = await getJson(project.apiKey, `/api/traces/${trace.id}`);
    expect(res.status).toBe(409);
    const { error } = await res.json<any>();
    expect(error.code).toBe("trace_corrupted");
    expect(error.message).toContain(trace.id);

    const row = await env.DB.prepare("SELECT state FROM traces WHERE id = ?").bind(trace.id).first<{ state: string }>();
    expect(row?.state).toBe("quarantined");
    const listed = await (await getJson(project.apiKey, "/api/traces?state=quarantined")).json<{ traces: any[] }>();
    expect(listed.traces.map((t) => t.id)).toEqual([trace.id]);
  });

  it("quarantines a trace whose object disappeared, even before it reached the D1 index", async () => {
    const project = await createProject();
    const trace = sampleTrace();
    await postTraces(project.apiKey, trace);
    await env.TRACES.delete(`traces/${project.id}/support-bot/${trace.id}.json`);
    const res = await getJson(project.apiKey, `/api/traces/${trace.id}`);
    expect(res.status).toBe(409);
    await flushShards();
    const row = await env.DB.prepare("SELECT state FROM traces WHERE id = ?").bind(trace.id).first<{ state: string }>();
    expect(row?.state).toBe("quarantined");
  });

  it("a trace quarantined while the shard was writing its index row ends quarantined in D1", async () => {
    const project = await createProject();
    const trace = sampleTrace();
    await postTraces(project.apiKey, trace);
    const key = `traces/${project.id}/support-bot/${trace.id}.json`;
    await env.TRACES.delete(key);
    // The read quarantines it before its index row exists: the D1 update finds nothing.
    expect((await getJson(project.apiKey, `/api/traces/${trace.id}`)).status).toBe(409);
    // The shard's write of the row as `finished`, begun before the quarantine, lands now.
    const now = new Date().toISOString();
    await insertTraceRows(createDb(env.DB), [
      {
        projectId: project.id,
        id: trace.id,
        agent: "support-bot",
        version: null,
        source: "native",
        startTime: null,
        endTime: null,
        latencyMs: null,
        status: "ok",
        spanCount: 0,
        sha256: "0".repeat(64),
        sizeBytes: 1,
        r2Key: key,
        state: "finished",
        receivedAt: now,
        updatedAt: now,
      },
    ]);
    await flushShards();
    const row = await env.DB.prepare("SELECT state FROM traces WHERE id = ?").bind(trace.id).first<{ state: string }>();
    expect(row?.state).toBe("quarantined");
    const listed = await (await getJson(project.apiKey, "/api/traces?state=quarantined")).json<{ traces: any[] }>();
    expect(listed.traces.map((t) => t.id)).toEqual([trace.id]);
  });
});
