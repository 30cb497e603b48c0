/**
 * @module Regression datasets, read side: listing and creating datasets, their immutable
 * versions, a version's cases page by page, and the streamed export. Writes that make
 * new versions are in dataset-changes.ts; any attempt to modify a version is 409 here.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { EXPORT_CONTENT_TYPES, type ExportFormat, caseIdSchema } from "../dataset";
import { ApiError } from "../errors";
import { isWellFormedText } from "../domain/names";
import { requireProject } from "../middleware/auth";
import { readCasePage, readCaseStats } from "../storage/dataset-cases";
import { exportFileName, exportVersionStream } from "../storage/dataset-export";
import { createCustomDataset, listDatasets, listVersions } from "../storage/dataset-store";
import { datasetChangeRoutes } from "./dataset-changes";
import {
  CaseWithStatsSchema,
  DatasetParams,
  DatasetSchema,
  VersionParams,
  VersionSchema,
  json,
  nextCaseCursor,
  resolveDataset,
  resolveVersion,
  toVersionJson,
} from "./dataset-shared";
import { commonErrors, errorResponse, newRouter, notFoundError, projectSecurity } from "./router";

const tags = ["datasets"];

const createBody = z.object({
  name: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(200, "must be at most 200 characters")
    .refine(isWellFormedText, "must be valid Unicode text (it holds an unpaired surrogate, \\ud800-\\udfff)"),
  agent: z.string().trim().min(1).max(200).optional().openapi({ description: "The agent this dataset is for, if any" }),
  description: z.string().max(2000).optional(),
});

const casesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: caseIdSchema.optional().openapi({ description: "`nextCursor` of the previous page" }),
});

const exportQuery = z.object({
  format: z.enum(["jsonl", "csv", "openai-evals"]).default("jsonl"),
});

export const datasetRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/datasets",
      tags,
      summary: "List the project's datasets with their latest version and case count",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: { query: z.object({ agent: z.string().optional() }) },
      responses: {
        200: json(z.object({ datasets: z.array(DatasetSchema) }), "Datasets, oldest first"),
        ...commonErrors,
      },
    }),
    async (c) => {
      const rows = await listDatasets(c.var.db, c.var.projectId, c.req.valid("query").agent);
      return c.json({ datasets: rows.map(({ projectId: _p, ...d }) => d) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/datasets",
      tags,
      summary: "Create a dataset of your own (regression datasets are created by grading)",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: { body: { required: true, content: { "application/json": { schema: createBody } } } },
      responses: {
        201: json(DatasetSchema, "Created; it has no version until cases are added or imported."),
        409: errorResponse("The project already has a dataset of this name (`dataset_exists`)."),
        ...commonErrors,
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const row = await createCustomDataset(c.var.db, {
        projectId: c.var.projectId,
        name: body.name,
        agent: body.agent ?? null,
        description: body.description ?? null,
      });
      if (!row)
        throw new ApiError(
          409,
          "dataset_exists",
          `The project already has a dataset named '${body.name}'; pick another name.`,
        );
      const { projectId: _p, ...dataset } = row;
      return c.json({ ...dataset, caseCount: 0 }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/datasets/{dataset}/versions",
      tags,
      summary: "List a dataset's versions, newest first, with their counts",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: {
        params: DatasetParams,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          cursor: z.coerce
            .number()
            .int()
            .min(1)
            .optional()
            .openapi({ description: "`nextCursor` of the previous page" }),
        }),
      },
      responses: {
        200: json(
          z.object({ datasetId: z.string(), versions: z.array(VersionSchema), nextCursor: z.number().nullable() }),
          "Versions",
        ),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const dataset = await resolveDataset(c.var.db, c.var.projectId, c.req.valid("param").dataset);
      const { limit, cursor } = c.req.valid("query");
      const rows = await listVersions(c.var.db, dataset.id, { limit, beforeVersion: cursor });
      const last = rows.length === limit ? rows[rows.length - 1] : undefined;
      return c.json(
        {
          datasetId: dataset.id,
          versions: rows.map(toVersionJson),
          nextCursor: last && last.version > 1 ? last.version : null,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/datasets/{dataset}/versions/{version}/cases",
      tags,
      summary: "Read a version's cases as they were in that version, paged by case id",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: { params: VersionParams, query: casesQuery },
      responses: {
        200: json(
          z.object({
            datasetId: z.string(),
            version: z.number().int(),
            cases: z.array(CaseWithStatsSchema),
            nextCursor: z.string().nullable(),
          }),
          "A page of cases; pass `nextCursor` back as `cursor` for the next one.",
        ),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const params = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      const dataset = await resolveDataset(c.var.db, c.var.projectId, params.dataset);
      const version = await resolveVersion(c.var.db, dataset, params.version);
      const cases = await readCasePage(c.var.db, dataset.id, version.version, { afterCaseId: cursor, limit });
      const stats = await readCaseStats(
        c.var.db,
        dataset.id,
        cases.map((k) => k.fingerprint),
      );
      const noStats = { occurrences: 0, lastTraceId: null, lastSeenAt: null, lastFailure: null };
      return c.json(
        {
          datasetId: dataset.id,
          version: version.version,
          cases: cases.map((k) => ({ ...k, stats: stats.get(k.fingerprint) ?? noStats })),
          nextCursor: nextCaseCursor(cases, limit),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/datasets/{dataset}/versions/{version}/export",
      tags,
      summary: "Export a version as JSONL, CSV or OpenAI evals JSONL, streamed",
      description:
        "Streamed from D1 a page at a time. JSONL imports back unchanged. CSV cells that a spreadsheet would run as a formula start with `'`. `X-Dataset-Version` holds the resolved version, `X-Dataset-Case-Count` the number of cases to expect.",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: { params: VersionParams, query: exportQuery },
      responses: {
        200: {
          description: "The file, as an attachment named `<dataset>-v<version>.<ext>`.",
          content: {
            "application/x-ndjson": { schema: z.string() },
            "text/csv": { schema: z.string() },
          },
        },
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const params = c.req.valid("param");
      const format: ExportFormat = c.req.valid("query").format;
      const dataset = await resolveDataset(c.var.db, c.var.projectId, params.dataset);
      const version = await resolveVersion(c.var.db, dataset, params.version);
      return new Response(exportVersionStream(c.var.db, dataset.id, version.version, format), {
        status: 200,
        headers: {
          "Content-Type": EXPORT_CONTENT_TYPES[format],
          "Content-Disposition": `attachment; filename="${exportFileName(dataset.name, version.version, format)}"`,
          "X-Dataset-Id": dataset.id,
          "X-Dataset-Version": String(version.version),
          "X-Dataset-Case-Count": String(version.caseCount),
          "Cache-Control": "private, no-store",
        },
      });
    },
  );

datasetRoutes.route("/", datasetChangeRoutes);

const immutableRoute = (method: "put" | "patch" | "delete" | "post") =>
  createRoute({
    method,
    path: "/datasets/{dataset}/versions/{version}",
    tags,
    summary: "Versions are immutable: always 409",
    description:
      "A version never changes once made (so evaluations against it stay reproducible). Change the dataset's cases instead; that makes a new version.",
    security: projectSecurity,
    request: { params: VersionParams },
    responses: { 409: errorResponse("`version_immutable`"), ...commonErrors, ...notFoundError },
  });
for (const method of ["put", "patch", "delete", "post"] as const)
  datasetRoutes.openAPIRegistry.registerPath(immutableRoute(method));

datasetRoutes.on(
  ["PUT", "PATCH", "DELETE", "POST"],
  ["/datasets/:dataset/versions/:version", "/datasets/:dataset/versions/:version/*"],
  requireProject,
  async (c) => {
    const dataset = await resolveDataset(c.var.db, c.var.projectId, c.req.param("dataset"));
    const version = c.req.param("version");
    throw new ApiError(
      409,
      "version_immutable",
      `Version '${version}' of dataset '${dataset.id}' is immutable and cannot be changed. Add, edit or remove cases with /api/datasets/${dataset.id}/cases (or import), which makes a new version.`,
    );
  },
);
