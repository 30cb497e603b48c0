/**
 * @module Benchmark-only routes, answered only when BENCH_ROUTES=1 (set by the
 * benchmark script when it starts the server; never in wrangler.toml, so never
 * deployed). `POST /__bench/r2-put` does the one durable write ingest cannot avoid:
 * a SHA-256-checked R2 put of the body. It is the floor ingest is measured against.
 * `POST /__bench/fetch-floor` `{url, calls, concurrency}` makes `calls` bare POSTs to
 * `url`, `concurrency` at a time, reading each JSON answer and nothing more: the floor
 * a server-side eval run's calls are measured against.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { notFound } from "../errors";
import { sha256Hex } from "../storage/hash";
import { TraceStore } from "../storage/r2";

export const benchRoutes = new Hono<AppEnv>()
  .post("/r2-put", async (c) => {
    if (c.var.config.BENCH_ROUTES !== "1") throw notFound("Route");
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    await new TraceStore(c.env.TRACES).putChecked(`bench/${crypto.randomUUID()}`, bytes, await sha256Hex(bytes));
    return c.json({ ok: true }, 201);
  })
  .post("/fetch-floor", async (c) => {
    if (c.var.config.BENCH_ROUTES !== "1") throw notFound("Route");
    const { url, calls, concurrency } = (await c.req.json()) as { url: string; calls: number; concurrency: number };
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < calls; i = next++) {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ runId: "floor", caseId: String(i), repeat: 0, input: `question ${i}` }),
        });
        await res.json();
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return c.json({ calls, ms: Date.now() - started });
  });
