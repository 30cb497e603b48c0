/**
 * @module Per-agent review and judging: agreement of graders with humans and of linked
 * graders with each other (with calibration), review settings (final verdict policy,
 * review sampling, calibration), links between graders judging the same criterion, and
 * judge tokens and cost per window.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, notFound } from "../errors";
import { requireProject } from "../middleware/auth";
import { agreementReport } from "../review/review-service";
import { resolveReviewSettings, reviewSettingsInputSchema } from "../review/review-settings";
import { findGrader } from "../storage/grader-store";
import { judgeUsageByWindow } from "../storage/judge-store";
import {
  addGraderLink,
  deleteGraderLink,
  listGraderLinks,
  readReviewSettings,
  writeReviewSettings,
} from "../storage/review-store";
import { agentParam } from "./grading-shared";
import { commonErrors, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const IntervalSchema = z.object({ low: z.number(), high: z.number() }).nullable();
const AgreementFields = {
  n: z.number().openapi({ description: "Traces (verdict pairs) behind the figures." }),
  agree: z.number(),
  percentAgreement: z.number().nullable(),
  percentAgreementCI: IntervalSchema.openapi({ description: "Wilson 95% interval." }),
  kappa: z.number().nullable().openapi({ description: "Cohen's kappa; null when both always gave the same answer." }),
  kappaCI: IntervalSchema.openapi({
    description:
      "95% interval (large-sample standard error; when every trace agrees or none does, the Wilson interval of the agreement rate mapped onto kappa).",
  }),
};

const AgreementSchema = z
  .object({
    agent: z.string(),
    calibration: z.object({ enabled: z.boolean(), minVerdicts: z.number(), kappaThreshold: z.number() }),
    withHumans: z.array(
      z.object({
        graderId: z.string(),
        graderVersion: z.number(),
        kind: z.enum(["grader", "judge"]),
        ...AgreementFields,
        calibration: z
          .object({ state: z.enum(["calibrated", "uncalibrated", "not_required"]), reason: z.string() })
          .nullable()
          .openapi({
            description: "Judges only. An `uncalibrated` judge's failures show but do not fail a trace on their own.",
          }),
      }),
    ),
    linkedPairs: z.array(
      z.object({
        linkId: z.string(),
        graderA: z.string(),
        graderB: z.string(),
        criterion: z.string(),
        ...AgreementFields,
      }),
    ),
  })
  .openapi("Agreement");

const ReviewSettingsSchema = z
  .object({
    agent: z.string(),
    settings: z.object({
      policy: z.enum(["any_fail", "majority", "human_overrides"]),
      reviewSampleRate: z.number(),
      calibration: z.object({ enabled: z.boolean(), minVerdicts: z.number(), kappaThreshold: z.number() }),
    }),
    custom: z.unknown().openapi({ description: "The values set through the API; null when all are server defaults." }),
  })
  .openapi("ReviewSettings");

const LinkSchema = z
  .object({
    id: z.string(),
    agent: z.string(),
    graderA: z.string(),
    graderB: z.string(),
    criterion: z.string(),
    createdAt: z.string(),
  })
  .openapi("GraderLink");

export const agentReviewRoutes = newRouter();

agentReviewRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/agreement",
    tags: ["review"],
    summary: "Agreement of each grader version with human verdicts, and of each linked grader pair",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: agentParam },
    responses: {
      200: json(AgreementSchema, "Percent agreement and Cohen's kappa, with counts and intervals."),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    return c.json(await agreementReport(c.var.db, c.var.config, c.var.projectId, agent), 200);
  },
);

agentReviewRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/review-settings",
    tags: ["review"],
    summary: "The agent's final verdict policy, review sampling rate and calibration",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: agentParam },
    responses: { 200: json(ReviewSettingsSchema, "Settings in force."), ...commonErrors },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const custom = await readReviewSettings(c.var.db, c.var.projectId, agent);
    return c.json({ agent, settings: resolveReviewSettings(custom, c.var.config), custom }, 200);
  },
);

agentReviewRoutes.openapi(
  createRoute({
    method: "put",
    path: "/agents/{agent}/review-settings",
    tags: ["review"],
    summary: "Set the agent's review settings (fields left out use the server defaults)",
    description:
      "Applies to final verdicts decided from now on (windows graded and human verdicts recorded after this call).",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: agentParam,
      body: { required: true, content: { "application/json": { schema: reviewSettingsInputSchema } } },
    },
    responses: { 200: json(ReviewSettingsSchema, "Settings now in force."), ...commonErrors },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const input = c.req.valid("json");
    await writeReviewSettings(c.var.db, c.var.projectId, agent, input);
    return c.json({ agent, settings: resolveReviewSettings(input, c.var.config), custom: input }, 200);
  },
);

agentReviewRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/grader-links",
    tags: ["review"],
    summary: "Links between graders that judge the same criterion",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: agentParam },
    responses: { 200: json(z.object({ links: z.array(LinkSchema) }), "Links."), ...commonErrors },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const links = await listGraderLinks(c.var.db, c.var.projectId, agent);
    return c.json({ links: links.map(({ projectId: _p, ...l }) => l) }, 200);
  },
);

agentReviewRoutes.openapi(
  createRoute({
    method: "post",
    path: "/agents/{agent}/grader-links",
    tags: ["review"],
    summary: "Link two graders of the agent that judge the same criterion",
    description:
      "When linked graders reach different verdicts on a trace, the trace is disputed and queued for review.",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: agentParam,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.strictObject({
              graderA: z.string().min(1).max(64),
              graderB: z.string().min(1).max(64),
              criterion: z.string().min(1).max(500).openapi({ example: "no invented tracking numbers" }),
            }),
          },
        },
      },
    },
    responses: {
      201: json(LinkSchema, "Linked (or the existing link of the same pair)."),
      ...commonErrors,
      ...notFoundError,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const body = c.req.valid("json");
    if (body.graderA === body.graderB)
      throw new ApiError(400, "invalid_request", "graderA and graderB must be two different graders.");
    const [a, b] = await Promise.all([
      findGrader(c.var.db, c.var.projectId, body.graderA),
      findGrader(c.var.db, c.var.projectId, body.graderB),
    ]);
    for (const [id, g] of [
      [body.graderA, a],
      [body.graderB, b],
    ] as const) {
      if (!g || g.agent !== agent) throw notFound(`Grader ${id} of agent ${agent}`);
    }
    // Stored in a canonical order so (A, B) and (B, A) are one link.
    const [graderA, graderB] = [body.graderA, body.graderB].sort() as [string, string];
    const link = await addGraderLink(c.var.db, {
      id: `lnk_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`,
      projectId: c.var.projectId,
      agent,
      graderA,
      graderB,
      criterion: body.criterion,
      createdAt: new Date().toISOString(),
    });
    const { projectId: _p, ...view } = link;
    return c.json(view, 201);
  },
);

agentReviewRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/agents/{agent}/grader-links/{linkId}",
    tags: ["review"],
    summary: "Remove a grader link",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: agentParam.extend({
        linkId: z
          .string()
          .max(64)
          .openapi({ param: { name: "linkId", in: "path" } }),
      }),
    },
    responses: { 204: { description: "Removed." }, ...commonErrors, ...notFoundError },
  }),
  async (c) => {
    const { linkId } = c.req.valid("param");
    if (!(await deleteGraderLink(c.var.db, c.var.projectId, linkId))) throw notFound(`Grader link ${linkId}`);
    return c.body(null, 204);
  },
);

agentReviewRoutes.openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/judge-usage",
    tags: ["review"],
    summary: "Judge calls, tokens and cost per grade window, newest first",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: agentParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
    responses: {
      200: json(
        z.object({
          agent: z.string(),
          windows: z.array(
            z.object({
              windowId: z.string(),
              judgedTraces: z.number(),
              calls: z.number(),
              cachedCalls: z.number().openapi({ description: "Calls answered from the cache (no tokens spent)." }),
              inputTokens: z.number(),
              outputTokens: z.number(),
              cost: z.number().nullable().openapi({ description: "Null when no judge of the window has `pricing`." }),
            }),
          ),
        }),
        "Per window.",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    return c.json({ agent, windows: await judgeUsageByWindow(c.var.db, c.var.projectId, agent, limit) }, 200);
  },
);
