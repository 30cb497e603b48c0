/**
 * OTLP trace assembly in the TraceShard: a trace finishes once its root span has
 * arrived and it has been quiet for OTLP_QUIET_MS (300 ms in tests), is stored in R2
 * as a revision, indexed in D1 and handed to its window; a late span reopens it and
 * produces a new revision. Also: injected failures, and trace ids taken by native traces.
 */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { traceShard } from "../../worker/storage/durable-objects";
import { jsonBody, jsonRequest, protobufRequest, type SpanSpec } from "../../worker/otlp/test-fixtures";
import { BASE, call, countRows, createProject, flushShards, getJson, postTraces, sampleTrace } from "./helpers";

let project: { id: string; apiKey: string };
beforeAll(async () => {
  project = await createProject("otlp-assembly");
});

const PROTOBUF = "application/x-protobuf";
const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const resource = { "service.name": "support-service" };

function agentRun(traceId = hex(16)) {
  const root = hex(8);
  const spans: SpanSpec[] = [
    {
      traceId, spanId: root, name: "invoke_agent support-bot", start: 0, end: 1500,
      attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support-bot", "gen_ai.prompt": "Where is my order?" },
    },
    {
      traceId, spanId: hex(8), parentSpanId: root, name: "chat gpt-4o-mini", kind: 3, start: 100, end: 900,
      attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 120 },
    },
  ];
  return { traceId, root, spans };
}

/** Exports spans as protobuf; with `testEnv`, through the worker with those (failing) bindings. */
async function exportRequest(spans: SpanSpec[], testEnv?: Env): Promise<Response> {
  const init = {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}`, "content-type": PROTOBUF },
    body: protobufRequest([{ resource, spans }]),
  };
  if (!testEnv) return call("/v1/traces", init);
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}/v1/traces`, init), testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function readTrace(traceId: string) {
  const res = await getJson(project.apiKey, `/api/traces/${traceId}`);
  expect(res.status).toBe(200);
  return res.json<Record<string, any>>();
}

/** Runs the trace's shard alarm until the trace reaches `state` (waiting out the quiet period). */
async function untilState(traceId: string, state: string, deadlineMs = 15_000): Promise<Record<string, any>> {
  const stub = traceShard(env, project.id, traceId);
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    await runDurableObjectAlarm(stub);
    const trace = await readTrace(traceId);
    if (trace.state === state) return trace;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} stayed ${trace.state}, expected ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const indexRow = (traceId: string) =>
  env.DB.prepare("SELECT * FROM traces WHERE project_id = ? AND id = ?").bind(project.id, traceId).first<Record<string, any>>();

/** The shard's hand-off marks for a trace: what the window was last given. */
const shardRow = (traceId: string) =>
  runInDurableObject(traceShard(env, project.id, traceId), (_instance, state) =>
    state.storage.sql
      .exec<{ state: string; sha256: string; forwarded: number }>(
        "SELECT state, sha256, forwarded FROM traces WHERE project_id = ? AND id = ?",
        project.id,
        traceId,
      )
      .one(),
  );

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("OTLP trace assembly", () => {
  it("indexes a trace as assembling, then finishes it after the quiet period: R2 revision, D1 row, window hand-off", async () => {
    const run = agentRun();
    expect((await exportRequest(run.spans)).status).toBe(200);
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({ source: "otlp", state: "assembling", agent: "support-bot" });

    const finished = await untilState(run.traceId, "finished");
    expect(finished).toMatchObject({ id: run.traceId, agent: "support-bot", revision: 1, input: "Where is my order?" });
    expect(finished.spans).toHaveLength(2);
    await flushShards();

    const row = await indexRow(run.traceId);
    const key = `traces/${project.id}/support-bot/${run.traceId}.r1.json`;
    expect(row).toMatchObject({ source: "otlp", state: "finished", span_count: 2, r2_key: key, latency_ms: 1500 });
    const object = await env.TRACES.get(key);
    expect(await sha256Hex(await object!.arrayBuffer())).toBe(row!.sha256);
    expect(finished.sha256).toBe(row!.sha256);
    expect(await shardRow(run.traceId)).toMatchObject({ state: "finished", sha256: row!.sha256, forwarded: 1 });
  });

  it("keeps a trace without its root span assembling when the alarm runs", async () => {
    const run = agentRun();
    expect((await exportRequest([run.spans[1]!])).status).toBe(200);
    await runDurableObjectAlarm(traceShard(env, project.id, run.traceId));
    expect((await readTrace(run.traceId)).state).toBe("assembling");
    expect((await exportRequest([run.spans[0]!])).status).toBe(200);
    expect((await untilState(run.traceId, "finished")).spans).toHaveLength(2);
  });

  it("reopens a finished trace on a late span and re-finishes it as a new revision handed on again", async () => {
    const run = agentRun();
    await exportRequest(run.spans);
    const first = await untilState(run.traceId, "finished");
    await flushShards();

    // An exporter retry of spans already held changes nothing.
    expect((await exportRequest(run.spans)).status).toBe(200);
    expect(await readTrace(run.traceId)).toMatchObject({ state: "finished", revision: 1 });

    const late: SpanSpec = { traceId: run.traceId, spanId: hex(8), parentSpanId: run.root, name: "execute_tool refund", start: 1400, end: 1450 };
    expect((await exportRequest([late])).status).toBe(200);
    const reopened = await readTrace(run.traceId);
    expect(reopened).toMatchObject({ state: "assembling", revision: 1 });
    expect(reopened.spans).toHaveLength(3);
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({ state: "assembling", sha256: first.sha256 });

    const second = await untilState(run.traceId, "finished");
    expect(second).toMatchObject({ revision: 2 });
    expect(second.spans).toHaveLength(3);
    expect(second.sha256).not.toBe(first.sha256);
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({
      state: "finished",
      span_count: 3,
      sha256: second.sha256,
      r2_key: `traces/${project.id}/support-bot/${run.traceId}.r2.json`,
    });
    expect(await shardRow(run.traceId)).toMatchObject({ sha256: second.sha256, forwarded: 1 });
    // The first revision stays readable in R2 under its own key: objects are never overwritten.
    expect(await env.TRACES.head(`traces/${project.id}/support-bot/${run.traceId}.r1.json`)).not.toBeNull();
  });

  it("names the agent after the resource's service.name when no span names one, also once assembled", async () => {
    const traceId = hex(16);
    const spans: SpanSpec[] = [{ traceId, spanId: hex(8), name: "handle request", start: 0, end: 20, attributes: { "http.route": "/ask" } }];
    expect((await exportRequest(spans)).status).toBe(200);
    expect(await readTrace(traceId)).toMatchObject({ agent: "support-service", state: "assembling" });
    expect(await untilState(traceId, "finished")).toMatchObject({ agent: "support-service", revision: 1 });
    await flushShards();
    expect(await indexRow(traceId)).toMatchObject({ agent: "support-service", r2_key: `traces/${project.id}/support-service/${traceId}.r1.json` });
  });

  it("refuses spans whose trace id is taken by a native trace, and changes nothing", async () => {
    const traceId = hex(16);
    expect((await postTraces(project.apiKey, sampleTrace({ id: traceId }))).status).toBe(201);
    const res = await call("/v1/traces", {
      method: "POST",
      headers: { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" },
      body: jsonBody(jsonRequest([{ resource, spans: agentRun(traceId).spans }])),
    });
    expect(res.status).toBe(200);
    const body = await res.json<{ partialSuccess: { rejectedSpans: string; errorMessage: string } }>();
    expect(body.partialSuccess).toMatchObject({ rejectedSpans: "2", errorMessage: expect.stringMatching(/native trace/) });
    const trace = await readTrace(traceId);
    expect(trace).toMatchObject({ agent: "support-bot", state: "finished", input: "Where is my order?" });
    expect(trace.spans.map((s: any) => s.id)).toEqual(["s1", "s2"]);
  });
});

/** A TRACE_SHARD namespace whose stubs fail `recordSpans` the next `remaining` times. */
function failingShards(failures: { remaining: number }): Env["TRACE_SHARD"] {
  return new Proxy(env.TRACE_SHARD, {
    get(target, prop) {
      if (prop !== "get") return Reflect.get(target, prop).bind(target);
      return (id: DurableObjectId) =>
        new Proxy(target.get(id), {
          get(stub, p) {
            if (p === "recordSpans" && failures.remaining > 0) {
              return async () => {
                failures.remaining--;
                throw new Error("injected: the Durable Object is unreachable");
              };
            }
            return Reflect.get(stub, p);
          },
        });
    },
  });
}

describe("OTLP failures on the write path", () => {
  it("an unreachable shard gives 503 with Retry-After; the retry stores every span once", async () => {
    const run = agentRun();
    const res = await exportRequest(run.spans, { ...env, TRACE_SHARD: failingShards({ remaining: 1 }) });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect(res.headers.get("content-type")).toBe(PROTOBUF);
    expect((await getJson(project.apiKey, `/api/traces/${run.traceId}`)).status).toBe(404);

    expect((await exportRequest(run.spans)).status).toBe(200);
    expect((await exportRequest(run.spans)).status).toBe(200);
    const trace = await untilState(run.traceId, "finished");
    expect(trace.spans).toHaveLength(2);
    await flushShards();
    expect(await countRows("traces", "project_id = ? AND id = ?", project.id, run.traceId)).toBe(1);
  });

  it("an R2 failure gives 503 and records nothing", async () => {
    const run = agentRun();
    const bucket = new Proxy(env.TRACES, {
      get(target, prop) {
        if (prop === "put") return async () => { throw new Error("injected: R2 put failed"); };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const res = await exportRequest(run.spans, { ...env, TRACES: bucket });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect((await getJson(project.apiKey, `/api/traces/${run.traceId}`)).status).toBe(404);
    expect((await exportRequest(run.spans)).status).toBe(200);
    expect((await readTrace(run.traceId)).spans).toHaveLength(2);
  });
});
