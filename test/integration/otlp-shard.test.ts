/**
 * The TraceShard's OTLP storage seen from outside the assembly: every bulk statement
 * reads by index, never by scanning a project; trace ids taken by native traces are
 * refused; a failing shard or R2 gives a retryable 503 and stores nothing twice.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { traceShard } from "../../worker/storage/durable-objects";
import {
  COMMIT_REVISIONS_SQL,
  FINISH_TRACES_SQL,
  KNOWN_TRACES_SQL,
  PRUNE_PIECES_SQL,
  PRUNED_REQUESTS_SQL,
  STORED_PIECES_SQL,
  STORED_REQUESTS_SQL,
} from "../../durable-objects/trace-shard/span-statements";
import { DUE_FOR_INDEX_SQL, NEXT_INDEX_AT_SQL } from "../../durable-objects/trace-shard/index-flush";
import { jsonBody, jsonRequest } from "../fixtures/otlp";
import {
  call,
  countRows,
  failingShards,
  flushShards,
  getJson,
  postTraces,
  sampleTrace,
  silenceExpectedErrors,
  failing,
} from "./helpers";
import { agentRun, exportRequest, hex, PROTOBUF, readTrace, resource, untilState, useProject } from "./otlp-helpers";

let project: { id: string; apiKey: string };
beforeAll(async () => {
  project = await useProject("otlp-shard");
});

describe("OTLP storage in the TraceShard", () => {
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
    const bucket = failing(env.TRACES, "put", "injected: R2 put failed");
    const res = await exportRequest(run.spans, { ...env, TRACES: bucket });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect((await getJson(project.apiKey, `/api/traces/${run.traceId}`)).status).toBe(404);
    expect((await exportRequest(run.spans)).status).toBe(200);
    expect((await readTrace(run.traceId)).spans).toHaveLength(2);
    expect(logged).toHaveBeenCalledWith("OTLP export failed", expect.any(Error));
  });
});
