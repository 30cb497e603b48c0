import { describe, expect, it } from "vitest";
import { call, createProject, flushShards, getJson, postTraces, sampleTrace } from "./helpers";

describe("smoke", () => {
  it("stores and reads back a trace", async () => {
    const project = await createProject();
    const trace = sampleTrace();
    const res = await postTraces(project.apiKey, trace);
    expect(res.status).toBe(201);
    const read = await getJson(project.apiKey, `/api/traces/${trace.id}`);
    expect(read.status).toBe(200);
    const body = await read.json<Record<string, unknown>>();
    expect(body.agent).toBe("support-bot");
    await flushShards();
    const list = await getJson(project.apiKey, `/api/traces?agent=support-bot`);
    expect((await list.json<{ traces: unknown[] }>()).traces).toHaveLength(1);
    expect((await call("/api/openapi.json")).status).toBe(200);
  });
});
