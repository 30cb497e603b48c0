/** @module `GET /api/health`: a liveness check that touches no storage. */
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";

export const healthRoutes = newRouter().openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["meta"],
    summary: "Liveness check",
    responses: {
      200: {
        description: "The Worker is serving",
        content: { "application/json": { schema: z.object({ ok: z.literal(true) }) } },
      },
    },
  }),
  (c) => c.json({ ok: true as const }, 200),
);
