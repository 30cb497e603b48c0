/**
 * @module Eval runs: start one (server-side against the candidate's endpoint, or
 * client-side with answers posted by the CLI), read its progress and metrics, post
 * answers, cancel it, accept it as the new baseline, and list an agent's runs as
 * iterations. The numbers are computed by worker/eval/metrics.ts, never by a client.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, notFound } from "../errors";
import { requireProject } from "../middleware/auth";
import type { DatasetCase } from "../dataset";
import { readCasePage } from "../storage/dataset-cases";
import type { Db } from "../storage/db";
import { evalRunObject } from "../storage/eval-run-client";
import { type EvalRunRow, acceptEvalRun, findEvalRun, listEvalRuns } from "../storage/eval-run-store";
import { nextCaseCursor } from "./dataset-shared";
import { launchEvalRun } from "./eval-run-launch";
import {
  createEvalRunBody,
  evalRunJson,
  evalRunSchema,
  iterationJson,
  iterationSchema,
  submitResultsBody,
} from "./eval-run-schemas";
import { commonErrors, errorResponse, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const tags = ["eval runs"];
const RunParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" }, example: "run_3f2a9c" }),
});
const AgentParams = z.object({
  agent: z
    .string()
    .min(1)
    .openapi({ param: { name: "agent", in: "path" }, example: "support-bot" }),
});

const casesQuery = z.enum(["true", "false"]).default("true").openapi({
  description: "`false` leaves `cases` empty: the progress and metrics without a line per case",
});

/** At most this many cases' inputs come with a new run: as many as one page of the version's cases. */
const MAX_INPUTS = 500;
const inputsQuery = z.coerce
  .number()
  .int()
  .min(0)
  .max(MAX_INPUTS)
  .default(0)
  .openapi({
    description: `With N > 0 (at most ${MAX_INPUTS}), \`inputs\` holds the ids and inputs of the run's first N cases, in the order of \`GET /api/datasets/{dataset}/versions/{version}/cases\`, with its \`nextCursor\` for the rest: a client-side run starts answering without reading them first`,
  });
const inputsSchema = z
  .object({
    cases: z.array(z.object({ id: z.string(), input: z.unknown() })),
    nextCursor: z.string().nullable(),
  })
  .openapi({ description: "With `?inputs=N`: the run's first N cases to answer" });

/** The first `limit` cases of the run's version: the ones the launch read, or a page of D1 for an existing run. */
async function firstInputs(db: Db, row: EvalRunRow, read: DatasetCase[] | null, limit: number) {
  const cases = read ? read.slice(0, limit) : await readCasePage(db, row.datasetId, row.datasetVersion, { limit });
  return {
    cases: cases.map((c) => ({ id: c.id, input: c.input })),
    nextCursor: nextCaseCursor(cases, limit),
  };
}

async function requireRun(db: Db, projectId: string, id: string) {
  const row = await findEvalRun(db, projectId, id);
  if (!row) throw notFound(`Eval run '${id}'`);
  return row;
}

const startedRunSchema = evalRunSchema.extend({ inputs: inputsSchema.optional() });

export const evalRunRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/eval-runs",
      tags,
      summary: "Start an eval run of a candidate over one dataset version, with grader versions pinned now",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: {
        query: z.object({ cases: casesQuery, inputs: inputsQuery }),
        body: { required: true, content: { "application/json": { schema: createEvalRunBody } } },
      },
      responses: {
        201: json(startedRunSchema, "Started"),
        200: json(startedRunSchema, "A run with this idempotency key exists: the first run"),
        409: errorResponse(
          "`no_graders`, `grader_versions_differ`, `baseline_mismatch` or `baseline_not_finished`; the message says what to change.",
        ),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const launched = await launchEvalRun(c.env, c.var.db, c.var.projectId, c.req.valid("json"));
      const { row, report } = launched;
      const query = c.req.valid("query");
      const run = evalRunJson(row, query.cases === "true" ? report : { ...report, cases: [] }, false);
      const inputs = query.inputs > 0 ? await firstInputs(c.var.db, row, launched.cases, query.inputs) : undefined;
      return c.json({ ...run, ...(inputs ? { inputs } : {}) }, launched.created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/eval-runs/{id}",
      tags,
      summary: "An eval run: progress, per-case outcomes, improvement rate, regressions, flaky cases, pass rate",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: {
        params: RunParams,
        query: z.object({
          results: z
            .enum(["true", "false"])
            .default("false")
            .openapi({ description: "Include every (case, repeat) result with its grader scores" }),
          cases: casesQuery,
          wait: z.coerce.number().int().min(0).max(60).default(0).openapi({
            description:
              "Seconds (at most 60) to hold the answer while the run is still going: it comes as soon as the run ends, or after that long with the progress so far",
          }),
        }),
      },
      responses: { 200: json(evalRunSchema, "The run"), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const row = await requireRun(c.var.db, c.var.projectId, c.req.valid("param").id);
      const query = c.req.valid("query");
      const withResults = query.results === "true";
      const report = await evalRunObject(c.env, row.id).report({
        results: withResults,
        cases: query.cases === "true",
        waitMs: query.wait * 1000,
      });
      if (!report) throw new ApiError(409, "run_not_started", `Eval run '${row.id}' has not started; retry its POST.`);
      return c.json(evalRunJson(row, report, withResults), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/eval-runs/{id}/results",
      tags,
      summary: "Client-side run: send the agent's answers (graded on the server with the run's pinned graders)",
      description:
        "Each (case, repeat) counts once: the first answer is kept and later ones are reported as duplicates, so a client may retry a batch safely.",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: {
        params: RunParams,
        body: { required: true, content: { "application/json": { schema: submitResultsBody } } },
      },
      responses: {
        200: json(
          z.object({
            accepted: z.number().int(),
            duplicates: z.number().int(),
            rejected: z.array(z.object({ caseId: z.string(), repeat: z.number().int(), problem: z.string() })),
          }),
          "Recorded",
        ),
        409: errorResponse("The run is server-side, cancelled or completed (`run_not_accepting`)."),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const row = await requireRun(c.var.db, c.var.projectId, c.req.valid("param").id);
      const outcome = await evalRunObject(c.env, row.id).submit(c.req.valid("json").answers);
      if ("refused" in outcome) {
        const why =
          outcome.refused === "server_side"
            ? "it is a server-side run: the server calls the candidate's endpoint itself"
            : `it is ${outcome.refused}`;
        throw new ApiError(409, "run_not_accepting", `Eval run '${row.id}' takes no answers: ${why}.`);
      }
      return c.json(outcome, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/eval-runs/{id}/cancel",
      tags,
      summary: "Stop a run: no more candidate calls; recorded results stay and the run ends as cancelled",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: { params: RunParams },
      responses: { 200: json(evalRunSchema, "The run as cancelled"), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const row = await requireRun(c.var.db, c.var.projectId, c.req.valid("param").id);
      const report = await evalRunObject(c.env, row.id).cancel();
      if (!report) throw new ApiError(409, "run_not_started", `Eval run '${row.id}' has not started; retry its POST.`);
      return c.json(evalRunJson(row, report, false), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/eval-runs/{id}/accept",
      tags,
      summary: "Make a completed run the baseline of later runs on its dataset version",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: { params: RunParams },
      responses: {
        200: json(iterationSchema, "Accepted"),
        409: errorResponse("The run is not completed (`run_not_completed`)."),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const row = await requireRun(c.var.db, c.var.projectId, c.req.valid("param").id);
      if (row.status !== "completed") {
        throw new ApiError(
          409,
          "run_not_completed",
          `Eval run '${row.id}' is ${row.status}; only a completed run can be accepted.`,
        );
      }
      const accepted = await acceptEvalRun(c.var.db, c.var.projectId, row.id);
      return c.json(iterationJson(accepted ?? row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agents/{agent}/iterations",
      tags,
      summary: "The agent's eval runs in order, with improvement rate, regressions, flaky count and pass rate",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: {
        params: AgentParams,
        query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      },
      responses: {
        200: json(z.object({ agent: z.string(), iterations: z.array(iterationSchema) }), "Oldest first"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { agent } = c.req.valid("param");
      const rows = await listEvalRuns(c.var.db, c.var.projectId, agent, c.req.valid("query").limit);
      return c.json({ agent, iterations: rows.map(iterationJson) }, 200);
    },
  );
