/**
 * @module Regression datasets, write side: add, edit and remove cases and import JSONL.
 * Each accepted change is one new immutable version written in one atomic D1 batch; a
 * refused change (any bad case or line) writes nothing. Also the diff of two versions.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  type CaseChangeRequest,
  type CaseInput,
  type ImportMode,
  caseEditSchema,
  caseIdSchema,
  caseInputSchema,
  caseSchema,
  parseImport,
} from "../dataset";
import { ApiError } from "../errors";
import { readBody } from "../ingest/body";
import { describeIssues } from "../ingest/native";
import { requireProject } from "../middleware/auth";
import { changeDataset } from "../storage/dataset-changes";
import { readDiffPage } from "../storage/dataset-cases";
import type { DatasetRow } from "../storage/dataset-store";
import type { Db } from "../storage/db";
import {
  CaseParams,
  ChangeResponseSchema,
  DatasetParams,
  json,
  planRejection,
  resolveDataset,
  resolveVersion,
} from "./dataset-shared";
import { commonErrors, errorResponse, newRouter, notFoundError, projectSecurity } from "./router";

const tags = ["datasets"];
const changeResponses = {
  200: json(ChangeResponseSchema, "Nothing changed; no version was made."),
  201: json(ChangeResponseSchema, "A new version was made."),
  ...commonErrors,
  ...notFoundError,
};

/** Applies a change and shapes the answer; a refused plan becomes 404/409 and writes nothing. */
async function applyChange(
  db: Db,
  dataset: DatasetRow,
  request: CaseChangeRequest,
  what: "add" | "edit" | "remove" | "import",
) {
  const outcome = await changeDataset(db, dataset.id, request);
  if (!outcome.ok) throw planRejection(outcome.errors, what);
  const counts = { addedCount: 0, changedCount: 0, removedCount: 0 };
  if (!outcome.version) {
    // Nothing changed: answer with the latest version as it stands.
    const latest = dataset.latestVersion > 0 ? await resolveVersion(db, dataset, "latest") : undefined;
    const unchanged = {
      datasetId: dataset.id,
      created: false,
      version: dataset.latestVersion,
      caseCount: latest?.caseCount ?? 0,
      ...counts,
      caseIds: [],
    };
    return { body: unchanged, status: 200 as const };
  }
  const { version, caseCount, addedCount, changedCount, removedCount } = outcome.version;
  const made = {
    datasetId: dataset.id,
    created: true,
    version,
    caseCount,
    addedCount,
    changedCount,
    removedCount,
    caseIds: outcome.caseIds,
  };
  return { body: made, status: 201 as const };
}

const addBodySchema = z.union([caseInputSchema, z.object({ cases: z.array(caseInputSchema).min(1) })]);

export const datasetChangeRoutes = newRouter();

datasetChangeRoutes.openAPIRegistry.registerPath(
  createRoute({
    method: "post",
    path: "/datasets/{dataset}/cases",
    tags,
    summary: "Add one case, or several as {cases: [...]}; makes a new version",
    description:
      "All or nothing: if any case is invalid, already exists, or repeats an input, nothing is added and every problem is listed.",
    security: projectSecurity,
    request: {
      params: DatasetParams,
      body: { required: true, content: { "application/json": { schema: addBodySchema } } },
    },
    responses: {
      ...changeResponses,
      409: errorResponse("`duplicate_case_id` or `duplicate_input`"),
      413: errorResponse("Too many cases or bytes"),
    },
  }),
);
datasetChangeRoutes.post("/datasets/:dataset/cases", requireProject, async (c) => {
  const { db, config } = c.var;
  const dataset = await resolveDataset(db, c.var.projectId, c.req.param("dataset"));
  const body = await readBody(c.req.raw, config.MAX_BODY_BYTES);
  const cases = parseAddBody(body.content, config.MAX_IMPORT_CASES);
  const { body: answer, status } = await applyChange(db, dataset, { kind: "add", cases }, "add");
  return c.json(answer, status);
});

function parseAddBody(content: Uint8Array, maxCases: number): CaseInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(content));
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : "the body is not valid UTF-8";
    throw new ApiError(
      400,
      "invalid_json",
      `The body is not valid JSON (${detail}). Send one case, or {"cases": [...]}.`,
    );
  }
  const many = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && "cases" in parsed;
  const items = many ? (parsed as { cases: unknown }).cases : [parsed];
  if (!Array.isArray(items) || items.length === 0) {
    throw new ApiError(400, "invalid_request", "cases: must be a non-empty array of cases.");
  }
  if (items.length > maxCases) {
    throw new ApiError(
      413,
      "too_many_cases",
      `${items.length} cases in one request; at most ${maxCases} (MAX_IMPORT_CASES) can be added at once.`,
    );
  }
  const problems: string[] = [];
  const cases = items.flatMap((item, index) => {
    const result = caseInputSchema.safeParse(item);
    if (result.success) return [result.data];
    problems.push(describeIssues(result.error, many ? `cases[${index}]` : ""));
    return [];
  });
  if (problems.length > 0) throw new ApiError(400, "invalid_case", `Nothing was added: ${problems.join("; ")}.`);
  return cases;
}

datasetChangeRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/datasets/{dataset}/cases/{caseId}",
    tags,
    summary: "Edit a case of the latest version; makes a new version (older versions keep the old content)",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: CaseParams,
      body: { required: true, content: { "application/json": { schema: caseEditSchema } } },
    },
    responses: { ...changeResponses, 409: errorResponse("`duplicate_input`: another case has this input") },
  }),
  async (c) => {
    const params = c.req.valid("param");
    const dataset = await resolveDataset(c.var.db, c.var.projectId, params.dataset);
    const request = { kind: "edit" as const, caseId: params.caseId, edit: c.req.valid("json") };
    const { body, status } = await applyChange(c.var.db, dataset, request, "edit");
    return c.json(body, status);
  },
);

datasetChangeRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/datasets/{dataset}/cases/{caseId}",
    tags,
    summary: "Remove a case from the latest version; makes a new version (older versions keep it)",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: CaseParams },
    responses: changeResponses,
  }),
  async (c) => {
    const params = c.req.valid("param");
    const dataset = await resolveDataset(c.var.db, c.var.projectId, params.dataset);
    const { body, status } = await applyChange(
      c.var.db,
      dataset,
      { kind: "remove", caseIds: [params.caseId] },
      "remove",
    );
    return c.json(body, status);
  },
);

const importQuery = z.object({
  mode: z.enum(["merge", "replace"]).default("merge").openapi({
    description: "`merge` adds and updates cases; `replace` also removes every case the file does not hold",
  }),
});

datasetChangeRoutes.openAPIRegistry.registerPath(
  createRoute({
    method: "post",
    path: "/datasets/{dataset}/import",
    tags,
    summary: "Import JSONL (one case per line, as the JSONL export writes); makes one new version",
    description:
      "All or nothing: a file with any bad line is refused whole (400 `invalid_import`, every bad line by number in the message and `details`), and nothing is applied. Lines with an `id` write that case; lines without one update the case with the same input, or add a new case.",
    security: projectSecurity,
    request: {
      params: DatasetParams,
      query: importQuery,
      body: { required: true, content: { "application/x-ndjson": { schema: z.string() } } },
    },
    responses: {
      ...changeResponses,
      409: errorResponse("`import_conflict`: lines that write the same case or repeat an input"),
      413: errorResponse("Over MAX_BODY_BYTES or MAX_IMPORT_CASES"),
    },
  }),
);
datasetChangeRoutes.post("/datasets/:dataset/import", requireProject, async (c) => {
  const { db, config } = c.var;
  const dataset = await resolveDataset(db, c.var.projectId, c.req.param("dataset"));
  const query = importQuery.safeParse({ mode: c.req.query("mode") });
  if (!query.success) throw new ApiError(400, "invalid_request", "query mode: must be 'merge' or 'replace'.");
  const mode: ImportMode = query.data.mode;
  const body = await readBody(c.req.raw, config.MAX_BODY_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body.content);
  } catch {
    throw new ApiError(400, "invalid_import", "The import is not valid UTF-8 text; nothing was applied.");
  }
  const parsed = parseImport(text, { maxCases: config.MAX_IMPORT_CASES });
  if (!parsed.ok) {
    const tooMany = parsed.errors.length === 1 && parsed.errors[0]!.message.includes("at most");
    if (tooMany)
      throw new ApiError(413, "too_many_cases", `${parsed.errors[0]!.message} (MAX_IMPORT_CASES); split the file.`);
    const listed = parsed.errors.map((e) => e.message).join("; ");
    throw new ApiError(
      400,
      "invalid_import",
      `The import was refused and nothing was applied. Fix these lines: ${listed}.`,
      parsed.errors,
    );
  }
  const { body: answer, status } = await applyChange(
    db,
    dataset,
    { kind: "import", cases: parsed.cases, mode },
    "import",
  );
  return c.json(answer, status);
});

const versionRef = z.string().regex(/^(latest|[1-9][0-9]{0,9})$/, "must be a version number or 'latest'");

datasetChangeRoutes.openapi(
  createRoute({
    method: "get",
    path: "/datasets/{dataset}/diff",
    tags,
    summary: "What changed between two versions: added, removed and changed cases",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: DatasetParams,
      query: z.object({
        from: versionRef.openapi({ example: "1" }),
        to: versionRef.default("latest").openapi({ example: "latest" }),
        limit: z.coerce
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(500)
          .openapi({ description: "Most touched cases per page" }),
        cursor: caseIdSchema.optional().openapi({ description: "`nextCursor` of the previous page" }),
      }),
    },
    responses: {
      200: json(
        z.object({
          datasetId: z.string(),
          from: z.number().int(),
          to: z.number().int(),
          added: z.array(caseSchema),
          removed: z.array(caseSchema),
          changed: z.array(z.object({ id: z.string(), before: caseSchema, after: caseSchema })),
          nextCursor: z.string().nullable(),
        }),
        "The diff, paged by case id when many cases were touched.",
      ),
      ...commonErrors,
      ...notFoundError,
    },
  }),
  async (c) => {
    const params = c.req.valid("param");
    const query = c.req.valid("query");
    const dataset = await resolveDataset(c.var.db, c.var.projectId, params.dataset);
    const from = await resolveVersion(c.var.db, dataset, query.from);
    const to = await resolveVersion(c.var.db, dataset, query.to);
    const page = await readDiffPage(c.var.db, dataset.id, from.version, to.version, {
      afterCaseId: query.cursor,
      limit: query.limit,
    });
    return c.json(
      {
        datasetId: dataset.id,
        from: from.version,
        to: to.version,
        added: page.added,
        removed: page.removed,
        changed: page.changed,
        nextCursor: page.truncated ? page.lastCaseId : null,
      },
      200,
    );
  },
);
