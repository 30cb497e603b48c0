/**
 * @module Reading grades: the scores of one trace, and an agent's grade distribution over
 * a time range. Both are per grader id *and* version, never mixed; superseded scores (a
 * re-finished trace graded again) are shown as such on the trace and never counted.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../errors";
import { wilsonInterval } from "../grading";
import { requireProject } from "../middleware/auth";
import { agentWindow } from "../storage/durable-objects";
import { scoreDistribution, traceScoreRows } from "../storage/score-store";
import { findTraceRow } from "../storage/trace-index";
import { agentParam, timeRangeQuery } from "./grading-shared";
import { commonErrors, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const ScoreSchema = z
  .object({
    graderId: z.string(),
    graderVersion: z.number().int(),
    verdict: z.enum(["pass", "fail", "skipped", "error"]),
    score: z.number().nullable(),
    reason: z.string(),
    windowId: z.string(),
    gradedAt: z.string(),
    superseded: z.boolean().openapi({ description: "True when a later window graded a newer revision of the trace." }),
    supersededBy: z.string().nullable(),
  })
  .openapi("Score");

const DistributionSchema = z
  .object({
    graderId: z.string(),
    graderVersion: z.number().int(),
    level: z.enum(["trace", "window"]),
    count: z.number(),
    pass: z.number(),
    fail: z.number(),
    error: z.number(),
    skipped: z.number(),
    passRate: z.number().nullable(),
    ci: z
      .object({ low: z.number(), high: z.number() })
      .nullable()
      .openapi({ description: "Wilson 95% interval of the pass rate." }),
    insufficient: z.boolean(),
    insufficientReason: z.string().nullable(),
    meanScore: z.number().nullable(),
    histogram: z.array(z.number()).openapi({ description: "Counts of scores in [0, 0.1), [0.1, 0.2), … [0.9, 1]." }),
  })
  .openapi("GradeDistribution");

export const scoreRoutes = newRouter();

scoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/traces/{id}/scores",
    tags: ["scores"],
    summary: "Scores of one trace, per grader version",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: z.object({
        id: z
          .string()
          .max(128)
          .openapi({ param: { name: "id", in: "path" } }),
      }),
    },
    responses: {
      200: json(
        z.object({ traceId: z.string(), state: z.string().nullable(), scores: z.array(ScoreSchema) }),
        "Newest window first.",
      ),
      ...commonErrors,
      ...notFoundError,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const [row, scores] = await Promise.all([
      findTraceRow(c.var.db, c.var.projectId, id),
      traceScoreRows(c.var.db, c.var.projectId, id),
    ]);
    if (!row && scores.length === 0) throw notFound(`Trace ${id}`);
    return c.json(
      {
        traceId: id,
        state: row?.state ?? null,
        scores: scores.map((s) => ({
          graderId: s.graderId,
          graderVersion: s.graderVersion,
          verdict: s.verdict,
          score: s.score,
          reason: s.reason,
          windowId: s.windowId,
          gradedAt: s.gradedAt,
          superseded: s.supersededBy !== null,
          supersededBy: s.supersededBy,
        })),
      },
      200,
    );
  },
);

scoreRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/distribution",
    tags: ["scores"],
    summary: "Grade distribution of an agent over a time range, per grader id and version",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: agentParam, query: timeRangeQuery },
    responses: {
      200: json(
        z.object({
          agent: z.string(),
          minGraded: z.number(),
          scoreCount: z.number(),
          graders: z.array(DistributionSchema),
        }),
        "One entry per grader version; scores graded within the range.",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const range = c.req.valid("query");
    const [rows, status] = await Promise.all([
      scoreDistribution(c.var.db, c.var.projectId, agent, range),
      agentWindow(c.env, c.var.projectId, agent).status(),
    ]);
    const minGraded = status.settings.minGraded;
    const graders = rows.map((r) => {
      const decided = r.pass + r.fail;
      const insufficient = decided < minGraded;
      return {
        ...r,
        passRate: decided === 0 ? null : r.pass / decided,
        ci: decided === 0 ? null : wilsonInterval(r.pass, decided),
        insufficient,
        insufficientReason: insufficient
          ? `only ${decided} pass/fail scores from this grader version in the range; at least ${minGraded} are needed for a pass rate worth plotting`
          : null,
      };
    });
    return c.json({ agent, minGraded, scoreCount: rows.reduce((n, r) => n + r.count, 0), graders }, 200);
  },
);
