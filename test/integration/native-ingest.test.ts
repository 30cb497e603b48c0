/**
 * Native ingest through the real worker: storage in R2 and D1, idempotency,
 * batches with bad items, digests, limits and streaming bodies.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, countRows, createProject, flushShards, getJson, postTraces, sampleTrace } from "./helpers";

let project: { id: string; apiKey: string };
beforeAll(async () => {
  project = await createProject();
});

async function b64Sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return btoa(String.fromCharCode(...digest));
}

async function r2Count(prefix = `traces/`): Promise<number> {
  return (await env.TRACES.list({ prefix })).objects.length;
}

describe("POST /api/traces", () => {
  it("stores a trace in R2 under project and agent, with its SHA-256, and indexes it in D1", async () => {
    const trace = sampleTrace({ agent: "billing bot" });
    const res = await postTraces(project.apiKey, trace);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: trace.id, status: "created", accepted: 1 });

    const key = `traces/${project.id}/billing%20bot/${trace.id}.json`;
    const object = await env.TRACES.get(key);
    expect(object).not.toBeNull();
    const bytes = new Uint8Array(await object!.arrayBuffer());
    const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");

    await flushShards();
    const row = await env.DB.prepare("SELECT * FROM traces WHERE project_id = ? AND id = ?")
      .bind(project.id, trace.id)
      .first<Record<string, unknown>>();
    expect(row).toMatchObject({
      agent: "billing bot",
      version: "prompt-v3",
      latency_ms: 1500,
      status: "ok",
      span_count: 2,
      sha256: sha,
      size_bytes: bytes.byteLength,
      r2_key: key,
      state: "finished",
    });
  });

  it("returns the trace as stored, readable before the index is flushed", async () => {
    const trace = sampleTrace();
    await postTraces(project.apiKey, trace);
    const res = await getJson(project.apiKey, `/api/traces/${trace.id}`);
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, any>>();
    expect(body).toMatchObject({
      id: trace.id,
      agent: "support-bot",
      input: trace.input,
      output: trace.output,
      latencyMs: 1500,
    });
    expect(body.spans).toHaveLength(2);
    expect(body.spans[1]).toMatchObject({ type: "tool", name: "lookup_order", input: { orderId: "A17" } });
  });

  it("keeps fields beyond the documented ones", async () => {
    const trace = sampleTrace({
      customerTier: "gold",
      spans: [{ id: "a", type: "step", name: "plan", extra: [1, 2] }],
    });
    await postTraces(project.apiKey, trace);
    const body = await (await getJson(project.apiKey, `/api/traces/${trace.id}`)).json<Record<string, any>>();
    expect(body.customerTier).toBe("gold");
    expect(body.spans[0].extra).toEqual([1, 2]);
  });

  it("generates a content-derived id when none is given, so a retry is still a duplicate", async () => {
    const { id: _omit, ...trace } = sampleTrace({ input: "no id here" });
    const first = await postTraces(project.apiKey, trace);
    expect(first.status).toBe(201);
    const { id } = await first.json<{ id: string }>();
    expect(id).toMatch(/^t-[0-9a-f]{32}$/);
    const again = await postTraces(project.apiKey, trace);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id, status: "duplicate", accepted: 0, duplicates: 1 });
  });

  it("counts the same id and bytes once and refuses the same id with other content", async () => {
    const trace = sampleTrace();
    expect((await postTraces(project.apiKey, trace)).status).toBe(201);
    const dup = await postTraces(project.apiKey, trace);
    expect(dup.status).toBe(200);
    expect(await dup.json()).toMatchObject({ status: "duplicate" });

    const conflict = await postTraces(project.apiKey, { ...trace, output: "something else" });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { code: "trace_conflict" } });

    const otherAgent = await postTraces(project.apiKey, { ...trace, agent: "other-agent" });
    expect(otherAgent.status).toBe(409);
    // The conflicting write left nothing behind under the other agent's prefix.
    expect(await r2Count(`traces/${project.id}/other-agent/`)).toBe(0);

    await flushShards();
    expect(await countRows("traces", "project_id = ? AND id = ?", project.id, trace.id)).toBe(1);
  });

  it("stores the valid items of a batch and reports each invalid one by index", async () => {
    const good1 = sampleTrace();
    const good2 = sampleTrace();
    const res = await postTraces(project.apiKey, [
      good1,
      { ...sampleTrace(), agent: "" },
      good2,
      { ...sampleTrace(), spans: [{ id: "x", type: "banana", name: "n" }] },
    ]);
    expect(res.status).toBe(207);
    const body = await res.json<any>();
    expect(body).toMatchObject({ accepted: 2, rejected: 2, duplicates: 0 });
    expect(body.results.map((r: any) => r.status)).toEqual(["created", "rejected", "created", "rejected"]);
    expect(body.results[1].error.message).toContain("[1].agent");
    expect(body.results[3].error.message).toContain("[3].spans[0].type");
    expect((await getJson(project.apiKey, `/api/traces/${good2.id}`)).status).toBe(200);
  });

  it("answers 400 with the field named and stores nothing for an invalid single trace", async () => {
    const before = await r2Count();
    const cases: Array<[unknown, string]> = [
      [{ output: "no agent" }, "agent"],
      [{ ...sampleTrace(), status: "maybe" }, "status"],
      [{ ...sampleTrace(), startTime: "yesterday" }, "startTime"],
      [{ ...sampleTrace(), id: "has spaces in it" }, "id"],
      [{ ...sampleTrace(), spans: [{ id: "a", type: "llm", name: "x", parentId: "ghost" }] }, "spans[0].parentId"],
      [
        { ...sampleTrace(), spans: [{ id: "a", type: "llm", name: "x", usage: { inputTokens: -1 } }] },
        "spans[0].usage.inputTokens",
      ],
      [{ ...sampleTrace(), endTime: "2026-11-26T09:00:00.000Z" }, "endTime"],
    ];
    for (const [body, field] of cases) {
      const res = await postTraces(project.apiKey, body);
      expect(res.status, field).toBe(400);
      const { error } = await res.json<any>();
      expect(error.code).toBe("invalid_trace");
      expect(error.message).toContain(field);
    }
    expect(await r2Count()).toBe(before);
  });

  it("answers 400 invalid_json for a body that is not JSON", async () => {
    for (const body of ['{"agent": ', "not json at all", "\u00ff\u00fe"]) {
      const res = await postTraces(project.apiKey, body);
      expect(res.status).toBe(400);
      expect((await res.json<any>()).error.code).toBe("invalid_json");
    }
    const empty = await postTraces(project.apiKey, []);
    expect(empty.status).toBe(400);
    expect((await empty.json<any>()).error.code).toBe("empty_batch");
  });

  it("checks Content-Digest against the received bytes", async () => {
    const trace = sampleTrace();
    const bytes = new TextEncoder().encode(JSON.stringify(trace));
    const good = await postTraces(project.apiKey, bytes, { "content-digest": `sha-256=:${await b64Sha256(bytes)}:` });
    expect(good.status).toBe(201);

    const before = await r2Count();
    const other = sampleTrace();
    const wrong = await postTraces(project.apiKey, JSON.stringify(other), {
      "content-digest": `sha-256=:${await b64Sha256(bytes)}:`,
    });
    expect(wrong.status).toBe(400);
    expect((await wrong.json<any>()).error.code).toBe("digest_mismatch");
    expect(await r2Count()).toBe(before);
    expect((await getJson(project.apiKey, `/api/traces/${other.id}`)).status).toBe(404);

    const malformed = await postTraces(project.apiKey, JSON.stringify(other), { "content-digest": "sha-256=abc" });
    expect((await malformed.json<any>()).error.code).toBe("invalid_digest");
    const unsupported = await postTraces(project.apiKey, JSON.stringify(other), { "content-digest": "md5=:AAAA:" });
    expect((await unsupported.json<any>()).error.code).toBe("unsupported_digest");
  });

  it("accepts a gzip body and checks its digest over the compressed bytes", async () => {
    const trace = sampleTrace();
    const gz = new Uint8Array(
      await new Response(
        new Blob([JSON.stringify(trace)]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    const res = await postTraces(project.apiKey, gz, {
      "content-encoding": "gzip",
      "content-digest": `sha-256=:${await b64Sha256(gz)}:`,
    });
    expect(res.status).toBe(201);
    const bad = await postTraces(project.apiKey, new Uint8Array([1, 2, 3, 4]), { "content-encoding": "gzip" });
    expect(bad.status).toBe(400);
    expect((await bad.json<any>()).error.code).toBe("invalid_gzip");
    const br = await postTraces(project.apiKey, JSON.stringify(trace), { "content-encoding": "br" });
    expect(br.status).toBe(415);
  });
});

describe("limits", () => {
  it("refuses a chunked body over the limit while it streams, then keeps serving", async () => {
    const limit = Number(env.MAX_BODY_BYTES);
    let sent = 0;
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far more than the limit; the server must stop reading long before the end.
        if (sent > limit * 4) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await call("/api/traces", {
      method: "POST",
      headers: { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" },
      body,
      // @ts-expect-error duplex is required for streaming request bodies
      duplex: "half",
    });
    expect(res.status).toBe(413);
    const { error } = await res.json<any>();
    expect(error.code).toBe("payload_too_large");
    expect(error.message).toContain(String(limit));
    expect(sent).toBeLessThan(limit * 4);
    expect((await postTraces(project.apiKey, sampleTrace())).status).toBe(201);
  });

  it("counts gzip bodies after decompression (a gzip bomb is refused)", async () => {
    const limit = Number(env.MAX_BODY_BYTES);
    const huge = new Uint8Array(limit * 3).fill(32);
    const bomb = new Uint8Array(
      await new Response(new Blob([huge]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    );
    expect(bomb.byteLength).toBeLessThan(limit / 10);
    const res = await postTraces(project.apiKey, bomb, { "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect((await res.json<any>()).error.message).toContain(String(limit));
  });

  it("refuses a declared Content-Length over the limit and a single trace over the per-trace limit", async () => {
    const perTrace = Number(env.MAX_TRACE_BYTES);
    const big = sampleTrace({ output: "y".repeat(perTrace + 10) });
    const res = await postTraces(project.apiKey, big);
    expect(res.status).toBe(413);
    const { error } = await res.json<any>();
    expect(error.code).toBe("trace_too_large");
    expect(error.message).toContain(String(perTrace));

    const batch = await postTraces(project.apiKey, [sampleTrace(), big]);
    expect(batch.status).toBe(207);
    expect((await batch.json<any>()).results[1].error.code).toBe("trace_too_large");
  });

  it("refuses a batch with more traces than allowed", async () => {
    const max = Number(env.MAX_BATCH_TRACES);
    const res = await postTraces(
      project.apiKey,
      Array.from({ length: max + 1 }, () => ({ agent: "a" })),
    );
    expect(res.status).toBe(413);
    expect((await res.json<any>()).error).toMatchObject({ code: "batch_too_large" });
  });
});
