/**
 * @module The review queue: pending items with their trace and the scores so far, a user
 * queueing a trace, a reviewer's verdict (a score of kind `human`), and a trace's final
 * verdict with every score behind it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../errors";
import { requireProject } from "../middleware/auth";
import { itemView, listQueue, queueTrace, submitVerdict, traceJudgement } from "../review/review-service";
import { agentNameSchema } from "./grading-shared";
import { commonErrors, errorResponse, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const REASONS = ["disputed", "sampled", "user"] as const;

const ReviewItemSchema = z
  .object({
    id: z.string(),
    agent: z.string(),
    traceId: z.string(),
    reason: z.enum(REASONS).openapi({
      description:
        "`disputed`: graders, judge samples, or a judge and a human disagree (see `detail`); `sampled`: the agent's review sampling rate; `user`: queued through the API.",
    }),
    detail: z.string(),
    state: z.enum(["pending", "reviewed"]),
    createdAt: z.string(),
    reviewedAt: z.string().nullable(),
  })
  .openapi("ReviewItem");

const HumanScoreSchema = z
  .object({
    kind: z.literal("human"),
    itemId: z.string(),
    reviewer: z.string(),
    verdict: z.enum(["pass", "fail"]),
    score: z.number().nullable(),
    note: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("HumanScore");

const JudgementSchema = z
  .object({
    finalVerdict: z
      .object({
        verdict: z.enum(["pass", "fail", "none"]),
        disputed: z.boolean(),
        windowId: z.string(),
        policy: z.string(),
        disputes: z.array(z.string()),
        reason: z.string(),
        basis: z.array(
          z.object({
            graderId: z.string(),
            graderVersion: z.number(),
            kind: z.enum(["rule", "metric", "judge", "human"]),
            verdict: z.string(),
            reason: z.string(),
            counted: z.boolean(),
            note: z.string().nullable(),
            reviewer: z.string().optional(),
          }),
        ),
      })
      .nullable()
      .openapi({ description: "Null until the trace's window is graded." }),
    scores: z.array(
      z.object({
        graderId: z.string(),
        graderVersion: z.number(),
        kind: z.enum(["grader", "judge"]),
        verdict: z.string(),
        score: z.number().nullable(),
        reason: z.string(),
        windowId: z.string(),
        judge: z
          .object({
            model: z.string(),
            promptVersion: z.string(),
            samples: z.unknown(),
            unstable: z.boolean(),
            truncated: z.array(z.string()),
            inputTokens: z.number(),
            outputTokens: z.number(),
            cost: z.number().nullable(),
            cachedCalls: z.number(),
          })
          .nullable(),
      }),
    ),
    humanScores: z.array(HumanScoreSchema),
  })
  .openapi("TraceJudgement");

const QueueEntrySchema = ReviewItemSchema.extend({
  trace: z
    .object({
      id: z.string(),
      input: z.unknown(),
      output: z.unknown(),
      toolCalls: z.array(z.object({ name: z.string(), input: z.unknown(), output: z.unknown() })),
    })
    .nullable()
    .openapi({ description: "Null when the trace cannot be read (quarantined)." }),
})
  .extend(JudgementSchema.shape)
  .openapi("ReviewQueueEntry");

const VerdictResultSchema = z
  .object({
    item: ReviewItemSchema,
    verdict: HumanScoreSchema,
    finalVerdict: z
      .object({
        before: z.enum(["pass", "fail", "none"]).nullable(),
        verdict: z.enum(["pass", "fail", "none"]),
        disputed: z.boolean(),
        reason: z.string(),
      })
      .nullable()
      .openapi({
        description: "The trace's final verdict before and after this verdict; null while the trace is not graded yet.",
      }),
    datasetChange: z.enum(["added", "removed"]).nullable().openapi({
      description: "What the regression dataset did because the final verdict flipped; null when nothing changed.",
    }),
  })
  .openapi("ReviewVerdictResult");

const conflictError = { 409: errorResponse("The item is no longer pending, or this reviewer gave another verdict.") };

export const reviewRoutes = newRouter();

reviewRoutes.openapi(
  createRoute({
    method: "get",
    path: "/review-queue",
    tags: ["review"],
    summary: "Pending review items, oldest first, with the trace and the scores so far",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      query: z.object({
        agent: agentNameSchema.optional(),
        reason: z.enum(REASONS).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
      }),
    },
    responses: { 200: json(z.object({ items: z.array(QueueEntrySchema) }), "Pending items."), ...commonErrors },
  }),
  async (c) => {
    const items = await listQueue(c.env, c.var.db, c.var.projectId, c.req.valid("query"));
    return c.json({ items }, 200);
  },
);

reviewRoutes.openapi(
  createRoute({
    method: "post",
    path: "/review-queue",
    tags: ["review"],
    summary: "Queue a trace for human review",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.strictObject({
              traceId: z.string().min(1).max(128),
              note: z.string().max(2_000).optional().openapi({ description: "Why it should be reviewed." }),
            }),
          },
        },
      },
    },
    responses: {
      201: json(ReviewItemSchema, "Queued."),
      200: json(ReviewItemSchema, "Already queued by a user and pending: the same item."),
      ...commonErrors,
      ...notFoundError,
      ...conflictError,
    },
  }),
  async (c) => {
    const { traceId, note } = c.req.valid("json");
    const { item, created } = await queueTrace(c.var.db, c.var.projectId, traceId, note);
    return c.json(itemView(item), created ? 201 : 200);
  },
);

reviewRoutes.openapi(
  createRoute({
    method: "post",
    path: "/review-queue/{itemId}/verdict",
    tags: ["review"],
    summary: "Record a reviewer's verdict (a score of kind `human`)",
    description:
      "Idempotent per item and reviewer: the same reviewer sending the same verdict again gets `200` and changes nothing. The trace's final verdict is recomputed under the agent's policy, and the regression dataset follows when it changes (`datasetChange`).",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: z.object({
        itemId: z
          .string()
          .max(64)
          .openapi({ param: { name: "itemId", in: "path" } }),
      }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.strictObject({
              verdict: z.enum(["pass", "fail"]),
              score: z.number().min(0).max(1).optional(),
              note: z.string().max(5_000).optional(),
              reviewer: z.string().min(1, "must name the reviewer").max(200),
            }),
          },
        },
      },
    },
    responses: {
      201: json(VerdictResultSchema, "Recorded."),
      200: json(VerdictResultSchema, "This reviewer's same verdict was already recorded."),
      ...commonErrors,
      ...notFoundError,
      ...conflictError,
    },
  }),
  async (c) => {
    const { itemId } = c.req.valid("param");
    const { replay, body } = await submitVerdict(c.env, c.var.db, c.var.projectId, itemId, c.req.valid("json"));
    return c.json(body, replay ? 200 : 201);
  },
);

reviewRoutes.openapi(
  createRoute({
    method: "get",
    path: "/traces/{id}/verdict",
    tags: ["review"],
    summary: "A trace's final verdict and every score behind it (graders, judges, humans)",
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
      200: json(JudgementSchema.extend({ traceId: z.string() }), "The verdict."),
      ...commonErrors,
      ...notFoundError,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const judgement = await traceJudgement(c.var.db, c.var.projectId, id);
    if (judgement.scores.length === 0 && judgement.humanScores.length === 0 && !judgement.finalVerdict) {
      throw notFound(`Graded trace ${id}`);
    }
    return c.json({ traceId: id, ...judgement }, 200);
  },
);
