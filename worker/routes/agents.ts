/**
 * @module `GET /api/agents`: every agent of the project at a glance, for the site's
 * overview. Answered from counters and the newest window rollups, never by scanning
 * traces, so it costs the same with a thousand traces or a million.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireProject } from "../middleware/auth";
import { agentOverview, dayRange, TREND_WINDOWS } from "../site/overview";
import { agentCounters } from "../storage/site-rollups";
import { commonErrors, jsonResponse as json, newRouter, projectSecurity } from "./router";

const IntervalSchema = z.object({ low: z.number(), high: z.number() });

const AgentOverviewSchema = z
  .object({
    agent: z.string(),
    tracesPerDay: z.array(z.object({ day: z.string(), traces: z.number() })).openapi({
      description: "Traces received per UTC day, oldest first, one entry per day of the range (zeros included).",
    }),
    totalTraces: z.number(),
    passRate: z
      .object({ value: z.number(), ci: IntervalSchema.nullable(), windowSeq: z.number(), closedAt: z.string() })
      .nullable()
      .openapi({
        description:
          "Final pass rate of the newest window with enough graded traces, with its Wilson 95% interval; null when none has.",
      }),
    trend: z
      .object({ kind: z.enum(["better", "worse", "steady", "unknown"]), text: z.string(), windows: z.number() })
      .openapi({
        description: `Better or worse only when the intervals of the oldest and newest of the last ${TREND_WINDOWS} trustworthy windows do not overlap.`,
      }),
    ungraded: z
      .object({
        count: z.number(),
        assembling: z.number(),
        reason: z.enum(["no_enabled_graders", "window_open"]).nullable(),
      })
      .openapi({
        description:
          "`count`: finished traces not graded yet; `reason` says why (no enabled grader, or their window has not closed yet). `assembling`: OTLP traces whose spans are still arriving.",
      }),
    graded: z.number(),
    quarantined: z.number(),
    enabledGraders: z.number(),
    windowCount: z.number().openapi({ description: `Graded windows looked at (at most ${TREND_WINDOWS}).` }),
    latestWindow: z.object({ seq: z.number(), closedAt: z.string() }).nullable(),
  })
  .openapi("AgentOverview");

export const agentRoutes = newRouter();

agentRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents",
    tags: ["agents"],
    summary: "Every agent of the project at a glance",
    description:
      "Traces per day, the current final pass rate with its interval, a trend marker, traces waiting for grading and why, graded and quarantined counts. Answered from rollups, not by scanning traces.",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      query: z.object({
        days: z.coerce.number().int().min(1).max(90).default(14).openapi({ description: "Days of traces per day." }),
      }),
    },
    responses: {
      200: json(z.object({ agents: z.array(AgentOverviewSchema), days: z.array(z.string()) }), "One entry per agent."),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { days: dayCount } = c.req.valid("query");
    const days = dayRange(new Date().toISOString().slice(0, 10), dayCount);
    const counters = await agentCounters(c.var.db, c.var.projectId, days[0]!, TREND_WINDOWS);
    return c.json({ agents: counters.map((counter) => agentOverview(counter, days)), days }, 200);
  },
);
