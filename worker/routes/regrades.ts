/**
 * @module Regrading an agent's stored traces with its current graders: for traces that
 * arrived before the agent had a grader, or to apply a new grader version to the past.
 * The agent's AgentWindow runs a regrade as ordinary windows; this module resolves the
 * graders, starts it and reads its progress.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, notFound } from "../errors";
import { requireProject } from "../middleware/auth";
import { agentWindow } from "../storage/durable-objects";
import { type GraderRef, listGraders } from "../storage/grader-store";
import { agentParam, timeRangeQuery } from "./grading-shared";
import { commonErrors, errorResponse, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

/** At most this many graders per regrade: their ids share a D1 statement with trace ids. */
const MAX_REGRADE_GRADERS = 50;

const regradeBody = z
  .strictObject({
    from: timeRangeQuery.shape.from,
    to: timeRangeQuery.shape.to,
    graderIds: z
      .array(z.string().min(1).max(100))
      .min(1, "must name at least one grader, or be left out for every enabled grader")
      .max(MAX_REGRADE_GRADERS, `must name at most ${MAX_REGRADE_GRADERS} graders`)
      .optional()
      .openapi({ description: "Graders to run (their current versions); default: every enabled grader of the agent." }),
  })
  .refine((b) => !b.from || !b.to || b.from <= b.to, { message: "`from` must not be after `to`", path: ["from"] })
  .openapi("RegradeRequest");

const RegradeSchema = z
  .object({
    regradeId: z.string().openapi({ example: "rg_3f9a0c1b2d4e5f6a7b8c9d0e" }),
    agent: z.string(),
    state: z.enum(["running", "retrying", "done"]).openapi({
      description: "`running` until every window is graded; `retrying` when a window failed and waits for its retry.",
    }),
    traces: z.number().int().openapi({ description: "Stored traces this regrade grades." }),
    windows: z.number().int().openapi({ description: "Windows it runs as (each at most the agent's `maxTraces`)." }),
    gradedWindows: z.number().int(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    graders: z.array(z.object({ graderId: z.string(), version: z.number().int() })),
    createdAt: z.string(),
    lastError: z.string().nullable(),
  })
  .openapi("Regrade");

const regradeParams = agentParam.extend({
  regradeId: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "regradeId", in: "path" } }),
});

export const regradeRoutes = newRouter();

regradeRoutes.openapi(
  createRoute({
    method: "post",
    path: "/agents/{agent}/regrade",
    tags: ["windows"],
    summary: "Grade the agent's stored traces with its current graders",
    description:
      "Grades every finished or graded trace of the agent whose start time (else receive time) is within `from`..`to`, with the current versions of `graderIds` (default: every enabled grader). Runs as ordinary grade windows of at most `maxTraces`; new scores supersede earlier ones of the same graders, and failures are collected into the regression dataset. Idempotent: the same range and grader versions return the same regrade. Follow progress at `GET /api/agents/{agent}/regrades/{regradeId}`.",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: agentParam,
      body: { required: false, content: { "application/json": { schema: regradeBody } } },
    },
    responses: {
      202: json(RegradeSchema, "Started (or already started): windows are being graded."),
      409: errorResponse("The agent has no enabled grader (`no_enabled_graders`): create one first."),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const body = c.req.valid("json") ?? {};
    const projectId = c.var.projectId;
    const graders = await resolveGraders(await listGraders(c.var.db, projectId, agent), agent, body.graderIds);
    const status = await agentWindow(c.env, projectId, agent).regrade(
      { projectId, agent },
      { from: body.from, to: body.to, graders, onlyGraders: body.graderIds !== undefined },
    );
    return c.json({ agent, ...status }, 202);
  },
);

regradeRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/regrades/{regradeId}",
    tags: ["windows"],
    summary: "Progress of a regrade",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: regradeParams },
    responses: { 200: json(RegradeSchema, "The regrade and its progress."), ...commonErrors, ...notFoundError },
  }),
  async (c) => {
    const { agent, regradeId } = c.req.valid("param");
    const status = await agentWindow(c.env, c.var.projectId, agent).regradeStatus(regradeId);
    if (!status) throw notFound(`Regrade ${regradeId} of agent ${agent}`);
    return c.json({ agent, ...status }, 200);
  },
);

/** The current versions of the named graders (or of every enabled one), refusing ids that are not this agent's. */
function resolveGraders(
  graders: { id: string; version: number; enabled: boolean }[],
  agent: string,
  graderIds: string[] | undefined,
): GraderRef[] {
  if (graderIds === undefined) {
    const enabled = graders.filter((g) => g.enabled);
    if (enabled.length === 0) {
      throw new ApiError(
        409,
        "no_enabled_graders",
        `Agent ${agent} has no enabled grader; create one with POST /api/graders, then regrade.`,
      );
    }
    return enabled.map((g) => ({ graderId: g.id, version: g.version }));
  }
  const byId = new Map(graders.map((g) => [g.id, g]));
  const unknown = graderIds.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      "invalid_request",
      `graderIds: ${unknown.map((id) => `'${id}'`).join(", ")} ${unknown.length === 1 ? "is not a grader" : "are not graders"} of agent ${agent}; list them with GET /api/graders?agent=...`,
    );
  }
  return [...new Set(graderIds)].map((id) => ({ graderId: id, version: byId.get(id)!.version }));
}
