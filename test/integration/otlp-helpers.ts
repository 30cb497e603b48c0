/**
 * @module Helpers for the OTLP integration tests: agent runs built from spans, exports
 * in each encoding, and reads of what the trace's shard, D1 and the API hold.
 */
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { gzipSync } from "node:zlib";
import { expect } from "vitest";
import type { TraceRecord } from "../../durable-objects/trace-shard/contract";
import worker from "../../worker/index";
import { traceShard } from "../../worker/storage/durable-objects";
import { jsonBody, jsonRequest, protobufRequest, type SpanSpec } from "../fixtures/otlp";
import { BASE, call, createProject, getJson } from "./helpers";

let project: { id: string; apiKey: string };

/** Creates the project the helpers below export to and read from; call it in `beforeAll`. */
export async function useProject(name: string): Promise<{ id: string; apiKey: string }> {
  project = await createProject(name);
  return project;
}

/** An assembled revision is a byte range of its shard's segment: `key#offset+length`. */
export const SEGMENT_REF = (projectId: string) =>
  expect.stringMatching(new RegExp(`^traces/${projectId}/segments/[0-9a-f]+/\\d+-\\d+\\.jsonl\\.br#\\d+\\+\\d+$`));

export const PROTOBUF = "application/x-protobuf";
export const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
export const resource = { "service.name": "support-service" };

/** The root span of an agent run of support-bot, with its prompt when given. */
export function agentSpan(traceId: string, spanId: string, prompt?: string): SpanSpec {
  const attributes: Record<string, unknown> = {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": "support-bot",
  };
  if (prompt !== undefined) attributes["gen_ai.prompt"] = prompt;
  return { traceId, spanId, name: "invoke_agent support-bot", start: 0, end: 1500, attributes };
}

/** The LLM call of an agent run, under `parentSpanId`. */
export function chatSpan(traceId: string, parentSpanId: string): SpanSpec {
  return {
    traceId,
    spanId: hex(8),
    parentSpanId,
    name: "chat gpt-4o-mini",
    kind: 3,
    start: 100,
    end: 900,
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
    },
  };
}

/** An agent run of two spans: the root agent span (which names the prompt) and an LLM call. */
export function agentRun(traceId = hex(16)) {
  const root = hex(8);
  const spans: SpanSpec[] = [agentSpan(traceId, root, "Where is my order?"), chatSpan(traceId, root)];
  return { traceId, root, spans };
}

/** An agent run exported and assembled: its trace is finished and its pieces pruned to the raw request. */
export async function finishedRun() {
  const run = agentRun();
  expect((await exportRequest(run.spans)).status).toBe(200);
  await untilState(run.traceId, "finished");
  return run;
}

/** A span of `run` that arrives after its trace was finished. */
export function lateSpan(run: { traceId: string; root: string }, name = "late tool"): SpanSpec {
  return { traceId: run.traceId, spanId: hex(8), parentSpanId: run.root, name, start: 1400, end: 1450 };
}

/** Exports spans as OTLP/JSON. */
export async function exportJson(spans: SpanSpec[]): Promise<Response> {
  return call("/v1/traces", {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" },
    body: jsonBody(jsonRequest([{ resource, spans }])),
  });
}

/** Exports spans as gzip-compressed protobuf: the raw request is stored as the client's gzip bytes. */
export async function exportGzip(spans: SpanSpec[]): Promise<Response> {
  return call("/v1/traces", {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}`, "content-type": PROTOBUF, "content-encoding": "gzip" },
    body: gzipSync(protobufRequest([{ resource, spans }])),
  });
}

/** What the trace's shard holds of its spans: pieces still stored, and the raw requests of pruned ones. */
export const storedSpans = (traceId: string) =>
  runInDurableObject(traceShard(env, project.id, traceId), (_instance, state) => ({
    pieces: state.storage.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM otlp_span_sets WHERE project_id = ? AND trace_id = ?",
        project.id,
        traceId,
      )
      .one().n,
    requests: state.storage.sql
      .exec<{ request_key: string }>(
        "SELECT request_key FROM otlp_span_requests WHERE project_id = ? AND trace_id = ? ORDER BY rowid",
        project.id,
        traceId,
      )
      .toArray()
      .map((row) => row.request_key),
  }));

/** Exports spans as protobuf; with `testEnv`, through the worker with those (failing) bindings. */
export async function exportRequest(spans: SpanSpec[], testEnv?: Env): Promise<Response> {
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

export async function readTrace(traceId: string) {
  const res = await getJson(project.apiKey, `/api/traces/${traceId}`);
  expect(res.status).toBe(200);
  return res.json<Record<string, any>>();
}

/** Runs the trace's shard alarm until the trace reaches `state` (waiting out the quiet period). */
export async function untilState(traceId: string, state: string, deadlineMs = 15_000): Promise<Record<string, any>> {
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

export const indexRow = (traceId: string) =>
  env.DB.prepare("SELECT * FROM traces WHERE project_id = ? AND id = ?")
    .bind(project.id, traceId)
    .first<Record<string, any>>();

/** The shard's hand-off marks for a trace: what the window was last given. */
export const shardRow = (traceId: string) =>
  runInDurableObject(traceShard(env, project.id, traceId), (_instance, state) =>
    state.storage.sql
      .exec<{ state: string; sha256: string; forwarded: number }>(
        "SELECT state, sha256, forwarded FROM traces WHERE project_id = ? AND id = ?",
        project.id,
        traceId,
      )
      .one(),
  );

/** How many spans the shard counts for a trace. */
export const shardSpanCount = (traceId: string) =>
  runInDurableObject(
    traceShard(env, project.id, traceId),
    (_instance, state) =>
      state.storage.sql
        .exec<{ n: number }>(
          "SELECT span_count AS n FROM otlp_traces WHERE project_id = ? AND id = ?",
          project.id,
          traceId,
        )
        .one().n,
  );

export function sampleRecord(id: string): TraceRecord {
  return {
    projectId: project.id,
    id,
    agent: "support-bot",
    version: null,
    source: "otlp",
    startTime: null,
    endTime: null,
    latencyMs: 1500,
    status: "ok",
    spanCount: 2,
    sha256: "",
    sizeBytes: 10,
    r2Key: `traces/${project.id}/segments/x/1-1.jsonl.br#0+10`,
    receivedAt: new Date().toISOString(),
  };
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
