/**
 * @module Benchmark-only routes, answered only when BENCH_ROUTES=1 (set by the
 * benchmark script when it starts the server; never in wrangler.toml, so never
 * deployed). `POST /__bench/r2-put` does the one durable write ingest cannot avoid:
 * a SHA-256-checked R2 put of the body. It is the floor ingest is measured against.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { notFound } from "../errors";
import { sha256Hex } from "../storage/hash";
import { TraceStore } from "../storage/r2";

export const benchRoutes = new Hono<AppEnv>().post("/r2-put", async (c) => {
  if (c.var.config.BENCH_ROUTES !== "1") throw notFound("Route");
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  await new TraceStore(c.env.TRACES).putChecked(`bench/${crypto.randomUUID()}`, bytes, await sha256Hex(bytes));
  return c.json({ ok: true }, 201);
});
