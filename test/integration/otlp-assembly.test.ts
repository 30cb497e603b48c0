/**
 * OTLP trace assembly in the TraceShard: a trace finishes once its root span has
 * arrived and it has been quiet for OTLP_QUIET_MS (300 ms in tests), is stored in R2
 * as a revision, indexed in D1 and handed to its window; a late span reopens it and
 * produces a new revision. Query plans, write-path failures and trace ids taken by
 * native traces are in otlp-shard.test.ts.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { brotliDecompressSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { shardOf, traceShard } from "../../worker/storage/durable-objects";
import { parseTraceRef } from "../../worker/storage/r2";
import { OtlpSpanStore } from "../../durable-objects/trace-shard/span-store";
import type { SpanSpec } from "../fixtures/otlp";
import { flushShards, getJson, silenceExpectedErrors } from "./helpers";
import {
  agentRun,
  exportGzip,
  exportJson,
  exportRequest,
  finishedRun,
  hex,
  indexRow,
  lateSpan,
  readTrace,
  sampleRecord,
  SEGMENT_REF,
  sha256Hex,
  shardRow,
  shardSpanCount,
  storedSpans,
  untilState,
  useProject,
} from "./otlp-helpers";

let project: { id: string; apiKey: string };
beforeAll(async () => {
  project = await useProject("otlp-assembly");
});

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

    const late = lateSpan(run, "execute_tool refund");
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

      const late = lateSpan(run, "execute_tool refund");
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
});
