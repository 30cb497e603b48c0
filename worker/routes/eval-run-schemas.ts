/**
 * @module Request and response schemas of the eval-run routes, in the OpenAPI document.
 * The iterations page of the site and the `flywheel` CLI read these shapes.
 */
import { z } from "@hono/zod-openapi";
import { scoreResultSchema } from "../grading";
import { type EvalRunReport, MAX_STORED_OUTPUT } from "../../durable-objects/eval-run/contract";
import type { EvalRunRow } from "../storage/eval-run-store";
import { DATASET_BASELINE } from "./eval-run-launch";

const interval = z.object({ low: z.number(), high: z.number() }).nullable();
const verdict = z.enum(["pass", "fail", "error"]);

export const createEvalRunBody = z
  .object({
    agent: z.string().trim().min(1).max(200),
    candidate: z.object({
      label: z.string().trim().min(1).max(200).openapi({ example: "prompt-v4" }),
      version: z.string().max(200).nullish().openapi({ description: "Agent/prompt version stamped on graded answers" }),
      endpoint: z
        .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
        .nullish()
        .openapi({
          description:
            'Server-side run: `POST endpoint` with `{"runId","caseId","repeat","input"}` per case and repeat. Without it the run is client-side: post answers to `/api/eval-runs/{id}/results`.',
        }),
      suggestionIds: z
        .array(z.string().min(1).max(100))
        .max(100)
        .optional()
        .openapi({ description: "Fix suggestions this candidate was built from; they are marked tried." }),
    }),
    dataset: z.string().min(1).openapi({ example: "agent:support-bot" }),
    datasetVersion: z
      .union([z.literal("latest"), z.number().int().min(1), z.string().regex(/^[1-9][0-9]{0,9}$/)])
      .transform(String)
      .openapi({ example: 3 }),
    graders: z
      .array(z.union([z.string().min(1), z.object({ id: z.string().min(1), version: z.number().int().min(1) })]))
      .max(50)
      .optional()
      .openapi({
        description:
          "Grader ids (current version) or {id, version}; default: the baseline's, else the agent's enabled graders",
      }),
    repeats: z.number().int().min(1).max(10).default(1),
    concurrency: z.number().int().min(1).max(64).default(8),
    timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    maxAttempts: z.number().int().min(1).max(10).default(3),
    baseline: z
      .string()
      .min(1)
      .optional()
      .openapi({
        description: `A run id, or '${DATASET_BASELINE}'; default: the accepted run on this dataset version, else the dataset`,
      }),
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
  .openapi("CreateEvalRun");

export const submitResultsBody = z
  .object({
    answers: z
      .array(
        z.object({
          caseId: z.string().min(1),
          repeat: z.number().int().min(0),
          answer: z.unknown().optional().openapi({ description: "The agent's return value (see CandidateAnswer)" }),
          error: z.string().max(2000).optional().openapi({ description: "What the agent threw; recorded as `error`" }),
          latencyMs: z.number().nonnegative().optional(),
        }),
      )
      .min(1)
      .max(500),
  })
  .openapi("EvalRunAnswers");

export const runMetricsSchema = z
  .object({
    caseCount: z.number().int(),
    failureCaseCount: z.number().int(),
    guardCaseCount: z.number().int(),
    completed: z.number().int().openapi({ description: "(case, repeat) results recorded" }),
    total: z.number().int().openapi({ description: "caseCount × repeats" }),
    counts: z.object({
      pass: z.number().int(),
      fail: z.number().int(),
      error: z.number().int(),
      flaky: z.number().int(),
      pending: z.number().int(),
    }),
    improvementRate: z.number().nullable().openapi({ description: "Failure cases passing now / all failure cases" }),
    improvementRateCI: interval,
    regressionCount: z
      .number()
      .int()
      .openapi({ description: "Cases (guard cases included) passing in the baseline, failing now" }),
    passRate: z.number().nullable().openapi({ description: "Passing (case, repeat) results / all recorded" }),
    passRateCI: interval,
    fixed: z.array(z.string()),
    improved: z.array(z.string()),
    regressed: z.array(z.string()),
    flaky: z.array(z.string()),
    errored: z.array(z.string()),
  })
  .openapi("EvalRunMetrics");

const caseReportSchema = z
  .object({
    caseId: z.string(),
    guard: z.boolean(),
    outcome: z.enum(["pass", "fail", "error", "flaky", "pending"]),
    baseline: z.enum(["pass", "fail", "flaky", "error", "unknown"]),
    repeats: z.array(verdict.nullable()),
    reason: z.string().nullable(),
  })
  .openapi("EvalCaseReport");

const resultSchema = z
  .object({
    caseId: z.string(),
    repeat: z.number().int(),
    verdict,
    reason: z.string(),
    attempts: z.number().int(),
    latencyMs: z.number().nullable(),
    scores: z.array(scoreResultSchema),
    output: z.unknown().openapi({
      description: `What the candidate answered, as JSON; one longer than ${MAX_STORED_OUTPUT} characters of JSON is kept cut, and says so. null when it answered nothing (a timeout, an error).`,
    }),
  })
  .openapi("EvalResult");

const runFields = {
  id: z.string(),
  agent: z.string(),
  datasetId: z.string(),
  datasetVersion: z.number().int(),
  candidate: z.object({
    label: z.string(),
    version: z.string().nullable(),
    endpoint: z.string().nullable(),
    suggestionIds: z.array(z.string()),
  }),
  mode: z.enum(["server", "client"]),
  graders: z.array(z.object({ graderId: z.string(), version: z.number().int() })),
  repeats: z.number().int(),
  baselineRunId: z.string().nullable(),
  status: z.enum(["running", "completed", "cancelled"]),
  accepted: z.boolean(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
};

export const evalRunSchema = z
  .object({
    ...runFields,
    metrics: runMetricsSchema,
    cases: z.array(caseReportSchema),
    results: z
      .array(resultSchema)
      .optional()
      .openapi({ description: "With `?results=true`: every (case, repeat) result with its scores" }),
    waitingForJudge: z
      .object({ reason: z.string(), answers: z.number().int(), retryAt: z.string() })
      .nullable()
      .openapi({
        description:
          "While the judge endpoint is unavailable or the judge budget is spent: why, how many answers wait, and when the run asks again. The run stays `running`.",
      }),
    judgeUsage: z
      .object({
        judged: z.number().int(),
        calls: z.number().int(),
        cachedCalls: z.number().int(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        cost: z.number().nullable(),
      })
      .nullable()
      .openapi({
        description:
          "What the run's judges asked so far: judged (answer, judge) pairs, calls (cached ones apart), tokens, and cost when a judge has `pricing`. The tokens count against JUDGE_DAILY_TOKEN_BUDGET like a window's. Null when no judge is pinned.",
      }),
  })
  .openapi("EvalRun");

export const iterationSchema = z
  .object({
    ...runFields,
    improvementRate: z.number().nullable(),
    regressionCount: z.number().int().nullable(),
    flakyCount: z.number().int().nullable(),
    errorCount: z.number().int().nullable(),
    passRate: z.number().nullable(),
    passRateCI: interval,
  })
  .openapi("EvalIteration");

function runJson(row: EvalRunRow) {
  return {
    id: row.id,
    agent: row.agent,
    datasetId: row.datasetId,
    datasetVersion: row.datasetVersion,
    candidate: row.candidate,
    mode: row.mode,
    graders: row.graders,
    repeats: row.repeats,
    baselineRunId: row.baselineRunId,
    status: row.status,
    accepted: row.acceptedAt !== null,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

/** A run as `GET /api/eval-runs/{id}` answers: the row, and the live report of its object. */
export function evalRunJson(row: EvalRunRow, report: EvalRunReport, withResults: boolean) {
  return {
    ...runJson(row),
    // The object knows first that a run finished; D1 follows once the summary is written.
    status: row.status === "running" ? report.status : row.status,
    metrics: report.metrics,
    cases: report.cases,
    waitingForJudge: report.waitingForJudge,
    judgeUsage: report.judgeUsage,
    ...(withResults && report.results
      ? {
          results: report.results.map(({ outputJson, ...result }) => ({
            ...result,
            output: outputJson === null ? null : JSON.parse(outputJson),
          })),
        }
      : {}),
  };
}

export function iterationJson(row: EvalRunRow) {
  const summary = row.summary as { passRateCI?: { low: number; high: number } | null } | null;
  return {
    ...runJson(row),
    improvementRate: row.improvementRate,
    regressionCount: row.regressionCount,
    flakyCount: row.flakyCount,
    errorCount: row.errorCount,
    passRate: row.passRate,
    passRateCI: summary?.passRateCI ?? null,
  };
}
