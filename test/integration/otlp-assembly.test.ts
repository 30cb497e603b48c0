/**
 * OTLP trace assembly in the TraceShard: a trace finishes once its root span has
 * arrived and it has been quiet for OTLP_QUIET_MS (300 ms in tests), is stored in R2
 * as a revision, indexed in D1 and handed to its window; a late span reopens it and
 * produces a new revision. Also: injected failures, and trace ids taken by native traces.
 */
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { brotliDecompressSync, gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { shardOf, traceShard } from "../../worker/storage/durable-objects";
import { parseTraceRef } from "../../worker/storage/r2";
import {
  COMMIT_REVISIONS_SQL,
  FINISH_TRACES_SQL,
  KNOWN_TRACES_SQL,
  PRUNE_PIECES_SQL,
  PRUNED_REQUESTS_SQL,
  STORED_PIECES_SQL,
  STORED_REQUESTS_SQL,
} from "../../durable-objects/trace-shard/span-statements";
import { OtlpSpanStore } from "../../durable-objects/trace-shard/span-store";
import type { TraceRecord } from "../../durable-objects/trace-shard/contract";
import { DUE_FOR_INDEX_SQL, NEXT_INDEX_AT_SQL } from "../../durable-objects/trace-shard/index-flush";
import { jsonBody, jsonRequest, protobufRequest, type SpanSpec } from "../fixtures/otlp";
import {
  BASE,
  call,
  countRows,
  createProject,
  failingShards,
  flushShards,
  getJson,
  postTraces,
  sampleTrace,
  silenceExpectedErrors,
} from "./helpers";

let project: { id: string; apiKey: string };
/** An assembled revision is a byte range of its shard's segment: `key#offset+length`. */
const SEGMENT_REF = (projectId: string) =>
  expect.stringMatching(new RegExp(`^traces/${projectId}/segments/[0-9a-f]+/\\d+-\\d+\\.jsonl\\.br#\\d+\\+\\d+$`));
beforeAll(async () => {
  project = await createProject("otlp-assembly");
});

const PROTOBUF = "application/x-protobuf";
const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const resource = { "service.name": "support-service" };

function agentRun(traceId = hex(16)) {
  const root = hex(8);
  const spans: SpanSpec[] = [
    {
      traceId,
      spanId: root,
      name: "invoke_agent support-bot",
      start: 0,
      end: 1500,
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support-bot",
        "gen_ai.prompt": "Where is my order?",
      },
    },
    {
      traceId,
      spanId: hex(8),
      parentSpanId: root,
      name: "chat gpt-4o-mini",
      kind: 3,
      start: 100,
      end: 900,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 120,
      },
    },
  ];
  return { traceId, root, spans };
}

/** An agent run exported and assembled: its trace is finished and its pieces pruned to the raw request. */
async function finishedRun() {
  const run = agentRun();
  expect((await exportRequest(run.spans)).status).toBe(200);
  await untilState(run.traceId, "finished");
  return run;
}

/** A span of `run` that arrives after its trace was finished. */
function lateSpan(run: { traceId: string; root: string }): SpanSpec {
  return { traceId: run.traceId, spanId: hex(8), parentSpanId: run.root, name: "late tool", start: 1400, end: 1450 };
}

/** Exports spans as OTLP/JSON. */
async function exportJson(spans: SpanSpec[]): Promise<Response> {
  return call("/v1/traces", {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" },
    body: jsonBody(jsonRequest([{ resource, spans }])),
  });
}

/** Exports spans as gzip-compressed protobuf: the raw request is stored as the client's gzip bytes. */
async function exportGzip(spans: SpanSpec[]): Promise<Response> {
  return call("/v1/traces", {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}`, "content-type": PROTOBUF, "content-encoding": "gzip" },
    body: gzipSync(protobufRequest([{ resource, spans }])),
  });
}

/** What the trace's shard holds of its spans: pieces still stored, and the raw requests of pruned ones. */
const storedSpans = (traceId: string) =>
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
  env.DB.prepare("SELECT * FROM traces WHERE project_id = ? AND id = ?")
    .bind(project.id, traceId)
    .first<Record<string, any>>();

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

/** How many spans the shard counts for a trace. */
const shardSpanCount = (traceId: string) =>
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

function sampleRecord(id: string): TraceRecord {
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

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

describe("OTLP trace assembly", () => {
  it("finishes a trace after the quiet period and indexes it once, finished: R2 revision, D1 row, window hand-off", async () => {
    const run = agentRun();
    expect((await exportRequest(run.spans)).status).toBe(200);
    // Readable at once through its shard; kept out of the index while it may still change.
    expect(await readTrace(run.traceId)).toMatchObject({ state: "assembling", agent: "support-bot" });
    await runDurableObjectAlarm(traceShard(env, project.id, run.traceId));
    expect(await indexRow(run.traceId)).toBeNull();

    const finished = await untilState(run.traceId, "finished");
    expect(finished).toMatchObject({ id: run.traceId, agent: "support-bot", revision: 1, input: "Where is my order?" });
    expect(finished.spans).toHaveLength(2);
    await flushShards();

    const row = await indexRow(run.traceId);
    expect(row).toMatchObject({
      source: "otlp",
      state: "finished",
      span_count: 2,
      r2_key: SEGMENT_REF(project.id),
      latency_ms: 1500,
    });
    const { key, range } = parseTraceRef(row!.r2_key);
    const slice = await (await env.TRACES.get(key, { range }))!.arrayBuffer();
    expect(await sha256Hex(slice)).toBe(row!.sha256);
    expect(finished.sha256).toBe(row!.sha256);
    // The slice is the trace's JSON line compressed on its own; sizeBytes counts the JSON, not the stored bytes.
    const json = brotliDecompressSync(new Uint8Array(slice)).toString("utf8");
    expect(JSON.parse(json)).toMatchObject({ id: run.traceId, agent: "support-bot", input: "Where is my order?" });
    expect(row!.size_bytes).toBe(Buffer.byteLength(json) - 1);
    expect(finished.sizeBytes).toBe(row!.size_bytes);
    expect(await shardRow(run.traceId)).toMatchObject({ state: "finished", sha256: row!.sha256, forwarded: 1 });
  });

  it("indexes a trace that is still receiving spans as assembling once a quiet period has passed", async () => {
    const run = agentRun();
    // Without its root span the trace stays open far longer (OTLP_ROOTLESS_QUIET_MS).
    expect((await exportRequest([run.spans[1]!])).status).toBe(200);
    await runDurableObjectAlarm(traceShard(env, project.id, run.traceId));
    expect(await indexRow(run.traceId)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, Number(env.OTLP_QUIET_MS) + 50));
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({
      source: "otlp",
      state: "assembling",
      agent: "support-service",
      span_count: 1,
    });
    expect((await readTrace(run.traceId)).state).toBe("assembling");

    expect((await exportRequest([run.spans[0]!])).status).toBe(200);
    await untilState(run.traceId, "finished");
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({ state: "finished", agent: "support-bot", span_count: 2 });
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
    const firstRow = await indexRow(run.traceId);

    // An exporter retry of spans already held changes nothing.
    expect((await exportRequest(run.spans)).status).toBe(200);
    expect(await readTrace(run.traceId)).toMatchObject({ state: "finished", revision: 1 });

    const late: SpanSpec = {
      traceId: run.traceId,
      spanId: hex(8),
      parentSpanId: run.root,
      name: "execute_tool refund",
      start: 1400,
      end: 1450,
    };
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
    const secondRow = await indexRow(run.traceId);
    expect(secondRow).toMatchObject({
      state: "finished",
      span_count: 3,
      sha256: second.sha256,
      r2_key: SEGMENT_REF(project.id),
    });
    expect(await shardRow(run.traceId)).toMatchObject({ sha256: second.sha256, forwarded: 1 });
    // The first revision stays readable in R2 in its own segment: objects are never overwritten.
    expect(parseTraceRef(secondRow!.r2_key).key).not.toBe(parseTraceRef(firstRow!.r2_key).key);
    const { key, range } = parseTraceRef(firstRow!.r2_key);
    expect(await sha256Hex(await (await env.TRACES.get(key, { range }))!.arrayBuffer())).toBe(first.sha256);
  });

  it("prunes a finished trace's span bytes to its raw requests; a late span re-assembles it from them (protobuf, gzip, JSON)", async () => {
    for (const send of [exportRequest, exportGzip, exportJson]) {
      const run = agentRun();
      // The trace's spans in two requests: both are named once it is finished, and nothing else is kept.
      expect((await send([run.spans[1]!])).status).toBe(200);
      expect((await send([run.spans[0]!])).status).toBe(200);
      expect(await storedSpans(run.traceId)).toMatchObject({ pieces: 2, requests: [] });
      const first = await untilState(run.traceId, "finished");
      const pruned = await storedSpans(run.traceId);
      expect(pruned.pieces).toBe(0);
      expect(pruned.requests).toHaveLength(2);
      expect(pruned.requests.every((key) => key.startsWith(`otlp/${project.id}/`))).toBe(true);

      // A retry of a pruned request is still a duplicate: the span ids stay with the trace.
      expect((await send([run.spans[1]!])).status).toBe(200);
      expect(await readTrace(run.traceId)).toMatchObject({ state: "finished", revision: 1 });

      const late: SpanSpec = {
        traceId: run.traceId,
        spanId: hex(8),
        parentSpanId: run.root,
        name: "execute_tool refund",
        start: 1400,
        end: 1450,
      };
      expect((await send([late])).status).toBe(200);
      const reopened = await readTrace(run.traceId);
      expect(reopened).toMatchObject({ state: "assembling", agent: "support-bot", input: "Where is my order?" });
      expect(reopened.spans.map((span: { id: string }) => span.id).sort()).toEqual(
        [...run.spans.map((span) => span.spanId), late.spanId].sort(),
      );

      const second = await untilState(run.traceId, "finished");
      expect(second).toMatchObject({
        revision: 2,
        agent: "support-bot",
        input: "Where is my order?",
        metadata: first.metadata,
      });
      expect(second.spans).toHaveLength(3);
      expect(second.spans.find((span: { id: string }) => span.id === run.spans[1]!.spanId)).toEqual(
        first.spans.find((span: { id: string }) => span.id === run.spans[1]!.spanId),
      );
      expect(await storedSpans(run.traceId)).toMatchObject({
        pieces: 0,
        requests: [...pruned.requests, expect.any(String)],
      });
      expect(await shardSpanCount(run.traceId)).toBe(3);
    }
  });

  it("quarantines a reopened trace whose pruned raw request is gone or altered, instead of re-assembling it without its spans", async () => {
    const logged = silenceExpectedErrors();
    for (const damage of ["delete", "alter"] as const) {
      const run = await finishedRun();
      const [key] = (await storedSpans(run.traceId)).requests;
      if (damage === "delete") {
        await env.TRACES.delete(key!);
      } else {
        const object = (await env.TRACES.get(key!))!;
        const bytes = new Uint8Array(await object.arrayBuffer());
        bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
        await env.TRACES.put(key!, bytes, { customMetadata: object.customMetadata });
      }
      const late = lateSpan(run);
      expect((await exportRequest([late])).status).toBe(200);

      const res = await getJson(project.apiKey, `/api/traces/${run.traceId}`);
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: { code: "trace_corrupted" } });
      await runDurableObjectAlarm(traceShard(env, project.id, run.traceId));
      expect(await shardRow(run.traceId)).toMatchObject({ state: "quarantined" });
      await flushShards();
      expect(await indexRow(run.traceId)).toMatchObject({ state: "quarantined" });
    }
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/^TraceShard quarantines OTLP trace .* is gone$/));
  });

  it("puts a trace quarantined by a read into the index, even when no alarm was left to run", async () => {
    const logged = silenceExpectedErrors();
    const run = await finishedRun();
    const shard = traceShard(env, project.id, run.traceId);
    await env.TRACES.delete((await storedSpans(run.traceId)).requests[0]!);
    expect((await exportRequest([lateSpan(run)])).status).toBe(200);
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({ state: "assembling" });
    // The alarm due when the trace falls quiet has already run, say, and found nothing to do yet.
    await runInDurableObject(shard, async (instance, state) => {
      await state.storage.deleteAlarm();
      (instance as unknown as { alarmAt: number | null }).alarmAt = null;
    });
    expect((await getJson(project.apiKey, `/api/traces/${run.traceId}`)).status).toBe(409);
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({ state: "quarantined" });
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/^TraceShard quarantines OTLP trace /));
  });

  it("runs its alarm again when a row changed while the flush wrote it to D1, so the index catches up", async () => {
    const run = await finishedRun();
    const shard = traceShard(env, project.id, run.traceId);
    await flushShards();
    // The row is due for the index again, and while the flush writes it to D1 a read quarantines the trace.
    await runInDurableObject(shard, async (instance, state) => {
      const sql = state.storage.sql;
      sql.exec(
        "UPDATE traces SET indexed = 0, index_after = NULL WHERE project_id = ? AND id = ?",
        project.id,
        run.traceId,
      );
      let raced = false;
      const racingDb = new Proxy(env.DB, {
        get(target, prop) {
          if (prop === "batch") {
            return async (statements: D1PreparedStatement[]) => {
              if (!raced) {
                raced = true;
                sql.exec(
                  "UPDATE traces SET state = 'quarantined', indexed = 0, index_after = NULL WHERE project_id = ? AND id = ?",
                  project.id,
                  run.traceId,
                );
              }
              return target.batch(statements);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      (instance as unknown as { env: Env }).env = { ...env, DB: racingDb };
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await shardRow(run.traceId)).toMatchObject({ state: "quarantined" });
    await runInDurableObject(shard, (instance) => {
      (instance as unknown as { env: Env }).env = env;
    });
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({ state: "quarantined" });
  });

  it("quarantines from the alarm too: a reopened trace with an unreadable pruned request is never committed", async () => {
    const logged = silenceExpectedErrors();
    const run = agentRun();
    expect((await exportRequest(run.spans)).status).toBe(200);
    const first = await untilState(run.traceId, "finished");
    const [key] = (await storedSpans(run.traceId)).requests;
    await env.TRACES.delete(key!);
    expect((await exportRequest([lateSpan(run)])).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Number(env.OTLP_QUIET_MS) + 50));
    await runDurableObjectAlarm(traceShard(env, project.id, run.traceId));
    expect(await shardRow(run.traceId)).toMatchObject({ state: "quarantined", sha256: first.sha256 });
    const due = await runInDurableObject(
      traceShard(env, project.id, run.traceId),
      (_instance, state) =>
        state.storage.sql
          .exec<{ due_at: number | null }>(
            "SELECT due_at FROM otlp_traces WHERE project_id = ? AND id = ?",
            project.id,
            run.traceId,
          )
          .one().due_at,
    );
    expect(due).toBeNull();
    await flushShards();
    expect(await indexRow(run.traceId)).toMatchObject({ state: "quarantined" });
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/^TraceShard quarantines OTLP trace /));
  });

  it("keeps pieces written before they named their request, and assembles them with newer ones", async () => {
    const run = agentRun();
    expect((await exportRequest([run.spans[0]!])).status).toBe(200);
    await runInDurableObject(traceShard(env, project.id, run.traceId), (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE otlp_span_sets SET request_key = NULL, request_sha256 = NULL WHERE project_id = ? AND trace_id = ?",
        project.id,
        run.traceId,
      );
    });
    expect((await exportRequest([run.spans[1]!])).status).toBe(200);
    expect((await untilState(run.traceId, "finished")).spans).toHaveLength(2);
    const stored = await storedSpans(run.traceId);
    expect(stored.pieces).toBe(1);
    expect(stored.requests).toHaveLength(1);
    const late = lateSpan(run);
    expect((await exportRequest([late])).status).toBe(200);
    const second = await untilState(run.traceId, "finished");
    expect(second).toMatchObject({ revision: 2, input: "Where is my order?" });
    expect(second.spans).toHaveLength(3);
  });

  it("names the agent after the resource's service.name when no span names one, also once assembled", async () => {
    const traceId = hex(16);
    const spans: SpanSpec[] = [
      { traceId, spanId: hex(8), name: "handle request", start: 0, end: 20, attributes: { "http.route": "/ask" } },
    ];
    expect((await exportRequest(spans)).status).toBe(200);
    expect(await readTrace(traceId)).toMatchObject({ agent: "support-service", state: "assembling" });
    expect(await untilState(traceId, "finished")).toMatchObject({ agent: "support-service", revision: 1 });
    await flushShards();
    expect(await indexRow(traceId)).toMatchObject({ agent: "support-service", r2_key: SEGMENT_REF(project.id) });
  });

  it("stores the traces finished in one alarm run as one segment; a rotted slice quarantines only its trace", async () => {
    // Three traces of the same shard, quiet together, so one alarm run writes them into one segment.
    const shards = Number(env.TRACE_SHARDS);
    const ids: string[] = [];
    while (ids.length < 3) {
      const id = hex(16);
      if (ids.length === 0 || shardOf(id, shards) === shardOf(ids[0]!, shards)) ids.push(id);
    }
    const runs = ids.map((id) => agentRun(id));
    expect((await exportRequest(runs.flatMap((run) => run.spans))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const finished = await Promise.all(ids.map((id) => untilState(id, "finished")));
    await flushShards();
    const refs = await Promise.all(ids.map(async (id) => parseTraceRef((await indexRow(id))!.r2_key)));
    expect(new Set(refs.map((ref) => ref.key)).size).toBe(1);
    expect(new Set(refs.map((ref) => ref.range!.offset)).size).toBe(3);

    // Rot one byte inside the middle trace's slice; the segment keeps its length.
    const key = refs[0]!.key;
    const segment = new Uint8Array(await (await env.TRACES.get(key))!.arrayBuffer());
    const [first, victim, last] = [...refs.keys()].sort((a, b) => refs[a]!.range!.offset - refs[b]!.range!.offset);
    const others = [first!, last!];
    const at = refs[victim!]!.range!.offset + 10;
    segment[at] = segment[at]! ^ 0x01;
    await env.TRACES.put(key, segment);

    const rotted = await getJson(project.apiKey, `/api/traces/${ids[victim!]}`);
    expect(rotted.status).toBe(409);
    expect(await rotted.json()).toMatchObject({ error: { code: "trace_corrupted" } });
    expect(await shardRow(ids[victim!]!)).toMatchObject({ state: "quarantined" });
    for (const i of others) {
      expect(await readTrace(ids[i]!)).toMatchObject({
        id: ids[i],
        state: "finished",
        sha256: finished[i]!.sha256,
        input: "Where is my order?",
      });
    }
  });

  it("commits only the revisions whose trace got no span while they were written; the others stay open", async () => {
    const shards = Number(env.TRACE_SHARDS);
    const ids: string[] = [];
    while (ids.length < 2) {
      const id = hex(16);
      if (ids.length === 0 || shardOf(id, shards) === shardOf(ids[0]!, shards)) ids.push(id);
    }
    const [calm, busy] = ids.map((id) => agentRun(id));
    expect((await exportRequest([...calm!.spans, ...busy!.spans])).status).toBe(200);
    const stub = traceShard(env, project.id, calm!.traceId);
    // What an alarm run would assemble now...
    const due = await runInDurableObject(stub, (_instance, state) =>
      new OtlpSpanStore(state.storage.sql).dueTraces(Date.now() + 600_000, 10),
    );
    expect(due.map((d) => d.id).sort()).toEqual([...ids].sort());
    // ...then a late span of one trace arrives while its segment is being written.
    const late: SpanSpec = {
      traceId: busy!.traceId,
      spanId: hex(8),
      parentSpanId: busy!.root,
      name: "late tool",
      start: 1600,
      end: 1700,
    };
    expect((await exportRequest([late])).status).toBe(200);
    const committed = await runInDurableObject(stub, (_instance, state) =>
      new OtlpSpanStore(state.storage.sql).commitRevisions(
        project.id,
        due.map((d) => ({
          due: d,
          revision: d.revision + 1,
          record: { ...sampleRecord(d.id), sha256: `sha-${d.id}` },
        })),
      ),
    );
    expect([...committed]).toEqual([calm!.traceId]);
    expect(await shardRow(calm!.traceId)).toMatchObject({ state: "finished", sha256: `sha-${calm!.traceId}` });
    expect(await shardRow(busy!.traceId)).toMatchObject({ state: "assembling" });
    // The busy trace is assembled again, with the late span, in a later run.
    const finished = await untilState(busy!.traceId, "finished");
    expect(finished.spans).toHaveLength(3);
  });

  it("commits revisions by primary-key lookups, never by scanning the project", async () => {
    const plans = await runInDurableObject(traceShard(env, project.id, hex(16)), (_instance, state) =>
      [COMMIT_REVISIONS_SQL, FINISH_TRACES_SQL].map((sql) =>
        state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, "[]")
          .toArray()
          .map((row) => row.detail),
      ),
    );
    for (const plan of plans) {
      expect(plan.some((step) => /SEARCH (otlp_traces|traces) USING .*\(project_id=\? AND id=\?\)/.test(step))).toBe(
        true,
      );
      expect(
        plan.filter((step) => /^SCAN (otlp_traces|traces)\b/.test(step) || /\(project_id=\?\)$/.test(step)),
      ).toEqual([]);
    }
  });

  it("reads and prunes the pieces of a run's traces through the trace index, never by scanning the pieces", async () => {
    const plans = await runInDurableObject(traceShard(env, project.id, hex(16)), (_instance, state) =>
      [STORED_PIECES_SQL, PRUNED_REQUESTS_SQL, PRUNE_PIECES_SQL].map((sql) =>
        state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, "[]")
          .toArray()
          .map((row) => row.detail),
      ),
    );
    for (const plan of plans) {
      expect(
        plan.some((step) =>
          /SEARCH (s|otlp_span_sets) USING INDEX otlp_span_sets_trace \(project_id=\? AND trace_id=\?\)/.test(step),
        ),
      ).toBe(true);
      expect(plan.filter((step) => /^SCAN (s|otlp_span_sets)\b/.test(step))).toEqual([]);
    }
  });

  it("reads the pruned requests of a run's traces by index, never by scanning them", async () => {
    const plan = await runInDurableObject(traceShard(env, project.id, hex(16)), (_instance, state) =>
      state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${STORED_REQUESTS_SQL}`, "[]")
        .toArray()
        .map((row) => row.detail),
    );
    expect(plan.some((step) => /^SEARCH r USING INDEX .*\(project_id=\? AND trace_id=\?\)/.test(step))).toBe(true);
    expect(plan.filter((step) => /^SCAN r\b/.test(step))).toEqual([]);
  });

  it("finds the rows due for the index by seeking past those held for their quiet period, never visiting them", async () => {
    const plans = await runInDurableObject(traceShard(env, project.id, hex(16)), (_instance, state) =>
      [
        [DUE_FOR_INDEX_SQL, Date.now(), 10],
        [NEXT_INDEX_AT_SQL, Date.now()],
      ].map(([sql, ...params]) =>
        state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...params)
          .toArray()
          .map((row) => row.detail),
      ),
    );
    const [due, next] = plans;
    expect(
      due!.filter((step) =>
        /USING (COVERING )?INDEX traces_unindexed \(indexed=\? AND index_after(=|<)\?\)/.test(step),
      ),
    ).toHaveLength(2);
    expect(next!.some((step) => /USING COVERING INDEX traces_unindexed/.test(step))).toBe(true);
    expect([...due!, ...next!].filter((step) => /^SCAN traces\b|traces_pending/.test(step))).toEqual([]);
  });

  it("looks up the traces of a request by primary key, never by scanning the project", async () => {
    const plan = await runInDurableObject(traceShard(env, project.id, hex(16)), (_instance, state) =>
      state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${KNOWN_TRACES_SQL}`, "[]")
        .toArray()
        .map((row) => row.detail),
    );
    expect(plan.filter((step) => /^SEARCH [ot] USING .*\(project_id=\? AND id=\?\)/.test(step))).toHaveLength(2);
    expect(plan.filter((step) => /^SCAN (o|t|otlp_traces|traces)\b/.test(step))).toEqual([]);
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
    expect(body.partialSuccess).toMatchObject({
      rejectedSpans: "2",
      errorMessage: expect.stringMatching(/native trace/),
    });
    const trace = await readTrace(traceId);
    expect(trace).toMatchObject({ agent: "support-bot", state: "finished", input: "Where is my order?" });
    expect(trace.spans.map((s: any) => s.id)).toEqual(["s1", "s2"]);
  });
});

describe("OTLP failures on the write path", () => {
  it("an unreachable shard gives 503 with Retry-After; the retry stores every span once", async () => {
    const logged = silenceExpectedErrors();
    const run = agentRun();
    const res = await exportRequest(run.spans, { ...env, TRACE_SHARD: failingShards("recordSpans", { remaining: 1 }) });
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
    expect(logged).toHaveBeenCalledWith("OTLP export failed", expect.any(Error));
  });

  it("an R2 failure gives 503 and records nothing", async () => {
    const logged = silenceExpectedErrors();
    const run = agentRun();
    const bucket = new Proxy(env.TRACES, {
      get(target, prop) {
        if (prop === "put")
          return async () => {
            throw new Error("injected: R2 put failed");
          };
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
    expect(logged).toHaveBeenCalledWith("OTLP export failed", expect.any(Error));
  });
});
