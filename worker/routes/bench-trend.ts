/**
 * @module `POST /__bench/trend-seed`, answered only when BENCH_ROUTES=1 (set by
 * `npm run bench:trend` when it starts the server; never in wrangler.toml, so never
 * deployed): writes graded windows and their traces for the caller's project straight
 * into D1, so the agent and overview endpoints can be timed over a million traces.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { notFound } from "../errors";
import { requireProject } from "../middleware/auth";
import { seedBenchWindows } from "../storage/bench-seed";

const seedSchema = z.object({
  agent: z.string().min(1),
  firstWindow: z.number().int().min(0),
  windows: z.number().int().min(1).max(2000),
  tracesPerWindow: z.number().int().min(1).max(500),
  totalWindows: z.number().int().min(1),
  now: z.number().int(),
});

export const benchTrendRoutes = new Hono<AppEnv>().post(
  "/trend-seed",
  async (c, next) => {
    if (c.var.config.BENCH_ROUTES !== "1") throw notFound("Route");
    await next();
  },
  requireProject,
  async (c) => {
    const seed = seedSchema.parse(await c.req.json());
    await seedBenchWindows(c.var.db, { ...seed, projectId: c.var.projectId });
    return c.json({ ok: true }, 201);
  },
);
