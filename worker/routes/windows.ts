/**
 * @module An agent's grade windows: settings (N traces, T max age, sampling, minGraded),
 * the open window's status, force-closing it, and the graded windows with their rollups.
 * Settings and the open window live in the agent's AgentWindow Durable Object.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { windowSettingsInputSchema } from "../grading/window-settings";
import { requireProject } from "../middleware/auth";
import { agentWindow } from "../storage/durable-objects";
import { listWindowRows } from "../storage/score-store";
import { countUngraded } from "../storage/ungraded-traces";
import { agentParam, pagedTimeRangeQuery } from "./grading-shared";
import { commonErrors, jsonResponse as json, newRouter, projectSecurity } from "./router";

/** Finished traces no window has graded, and why: the first thing a new user needs to see. */
export const UngradedSchema = z
  .object({
    count: z.number().int().openapi({ description: "The agent's finished traces with no current score." }),
    reason: z.enum(["no_enabled_graders"]).nullable().openapi({
      description:
        "`no_enabled_graders`: they will not be graded until the agent has a grader; then grade them with `POST /api/agents/{agent}/regrade`. Null: they wait for their window to close.",
    }),
  })
  .openapi("UngradedTraces");

const WindowStatusSchema = z
  .object({
    agent: z.string(),
    ungraded: UngradedSchema,
    settings: z.object({ maxTraces: z.number(), maxAgeMs: z.number(), sampleRate: z.number(), minGraded: z.number() }),
    custom: z.unknown().openapi({ description: "The values set through the API; null when all are server defaults." }),
    open: z
      .object({
        windowId: z.string(),
        traceCount: z.number(),
        oldestAt: z.string().nullable(),
        dueAt: z.string().nullable(),
      })
      .nullable(),
    pending: z
      .array(
        z.object({
          windowId: z.string(),
          state: z.string(),
          attempts: z.number(),
          lastError: z.string().nullable(),
          nextAttemptAt: z.string().nullable(),
        }),
      )
      .openapi({ description: "Closed windows whose grading or dataset hand-off is still being retried." }),
  })
  .openapi("WindowStatus");

const GradeWindowSchema = z
  .object({
    id: z.string(),
    agent: z.string(),
    seq: z.number(),
    openedAt: z.string(),
    closedAt: z.string(),
    gradedAt: z.string().nullable(),
    traceCount: z.number().nullable(),
    gradedCount: z.number().nullable(),
    passCount: z.number().nullable(),
    passRate: z.number().nullable(),
    insufficient: z.boolean().nullable().openapi({
      description:
        "Too few pass/fail traces for the pass rate to count; `rollup.insufficientReason` says why. Plot it as such, not as a trend point.",
    }),
    rollup: z.unknown().openapi({
      description:
        "Counts, pass rate with Wilson 95% CI (`passRateCI`), `insufficient` + `insufficientReason`, per grader *version* distribution (`perGraderVersion`), latency percentiles, window-level scores.",
    }),
  })
  .openapi("GradeWindow");

export const windowRoutes = newRouter();

windowRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/window",
    tags: ["windows"],
    summary: "The agent's window settings and its open window",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: agentParam },
    responses: { 200: json(WindowStatusSchema, "Settings and status."), ...commonErrors },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const [status, ungraded] = await Promise.all([
      agentWindow(c.env, c.var.projectId, agent).status(),
      countUngraded(c.var.db, c.var.projectId, agent),
    ]);
    return c.json({ agent, ungraded, ...status }, 200);
  },
);

windowRoutes.openapi(
  createRoute({
    method: "put",
    path: "/agents/{agent}/window",
    tags: ["windows"],
    summary: "Set the agent's window settings (fields left out use the server defaults)",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: agentParam,
      body: { required: true, content: { "application/json": { schema: windowSettingsInputSchema } } },
    },
    responses: { 200: json(WindowStatusSchema, "The settings now in force."), ...commonErrors },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const input = c.req.valid("json");
    const projectId = c.var.projectId;
    const status = await agentWindow(c.env, projectId, agent).configure({ projectId, agent }, input);
    return c.json({ agent, ungraded: await countUngraded(c.var.db, projectId, agent), ...status }, 200);
  },
);

windowRoutes.openapi(
  createRoute({
    method: "post",
    path: "/agents/{agent}/window/close",
    tags: ["windows"],
    summary: "Close the open window now and grade it",
    description:
      "Grades the open window however few traces it holds (and any closed window still pending). `200` when grading finished; `202` when it failed and is being retried by the window's alarm (see `pending`).",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: agentParam },
    responses: {
      200: json(
        WindowStatusSchema.extend({ closedWindowId: z.string().nullable() }),
        "Closed and graded (null: nothing was open).",
      ),
      202: json(
        WindowStatusSchema.extend({ closedWindowId: z.string().nullable() }),
        "Closed; grading is being retried.",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const projectId = c.var.projectId;
    const { closedWindowId, status } = await agentWindow(c.env, projectId, agent).closeNow({ projectId, agent });
    const ungraded = await countUngraded(c.var.db, projectId, agent);
    return c.json({ agent, closedWindowId, ungraded, ...status }, status.pending.length > 0 ? 202 : 200);
  },
);

windowRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/windows",
    tags: ["windows"],
    summary: "Graded windows of the agent and their rollups, newest first",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: agentParam,
      query: pagedTimeRangeQuery,
    },
    responses: {
      200: json(
        z.object({ windows: z.array(GradeWindowSchema), ungraded: UngradedSchema }),
        "Windows closed within the range, and the agent's finished traces no window has graded.",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const { from, to, limit } = c.req.valid("query");
    const [rows, ungraded] = await Promise.all([
      listWindowRows(c.var.db, c.var.projectId, agent, { from, to }, limit),
      countUngraded(c.var.db, c.var.projectId, agent),
    ]);
    const windows = rows.map(({ projectId: _p, members: _m, quarantined: _q, minGraded: _g, ...w }) => w);
    return c.json({ windows, ungraded }, 200);
  },
);
