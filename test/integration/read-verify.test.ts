/** Every read re-verifies the SHA-256; a corrupted trace is quarantined, never served. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
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
});
