/**
 * @module What the dataset route modules share: path parameters, response schemas, and
 * resolving `:dataset` and `:version` to rows of the caller's project (404 otherwise).
 */
import { z } from "@hono/zod-openapi";
import { caseSchema, caseStatsSchema, type PlanError } from "../dataset";
import { ApiError } from "../errors";
import {
  type DatasetRow,
  type VersionRow,
  AGENT_DATASET_PREFIX,
  findDataset,
  findVersion,
} from "../storage/dataset-store";
import type { Db } from "../storage/db";

export { jsonResponse as json } from "./router";

const datasetParam = z
  .string()
  .min(1)
  .openapi({
    param: { name: "dataset", in: "path" },
    description: `A dataset id, or \`${AGENT_DATASET_PREFIX}<agent>\` for the agent's regression dataset`,
    example: "agent:support-bot",
  });
const versionParam = z
  .string()
  .regex(/^(latest|[1-9][0-9]{0,9})$/, "must be a version number (1, 2, ...) or 'latest'")
  .openapi({ param: { name: "version", in: "path" }, example: "latest" });

export const DatasetParams = z.object({ dataset: datasetParam });
export const VersionParams = z.object({ dataset: datasetParam, version: versionParam });
export const CaseParams = z.object({
  dataset: datasetParam,
  caseId: z.string().openapi({ param: { name: "caseId", in: "path" }, example: "case_7f3a" }),
});

export const DatasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    agent: z.string().nullable(),
    kind: z.enum(["regression", "custom"]),
    description: z.string().nullable(),
    createdAt: z.string(),
    latestVersion: z.number().int().openapi({ description: "0 while the dataset has no version" }),
    caseCount: z.number().int().openapi({ description: "Cases in the latest version" }),
  })
  .openapi("Dataset");

export const VersionSchema = z
  .object({
    version: z.number().int(),
    createdAt: z.string(),
    changeKind: z.enum(["collected", "added", "edited", "removed", "imported"]),
    summary: z.string().nullable(),
    caseCount: z.number().int(),
    addedCount: z.number().int(),
    changedCount: z.number().int(),
    removedCount: z.number().int(),
  })
  .openapi("DatasetVersion");

export const CaseWithStatsSchema = caseSchema
  .extend({ stats: caseStatsSchema.openapi({ description: "How often the input was seen; current, not versioned" }) })
  .openapi("DatasetCaseWithStats");

export const ChangeResponseSchema = z
  .object({
    datasetId: z.string(),
    created: z.boolean().openapi({ description: "Whether the change made a new version (false: it changed nothing)" }),
    version: z.number().int().openapi({ description: "The new version, or the unchanged latest one" }),
    caseCount: z.number().int(),
    addedCount: z.number().int(),
    changedCount: z.number().int(),
    removedCount: z.number().int(),
    caseIds: z.array(z.string()).openapi({ description: "Ids of the cases the request added, edited or removed" }),
  })
  .openapi("DatasetChange");

export const toVersionJson = ({ datasetId: _d, ...version }: VersionRow) => version;

/** The dataset named by `ref` in this project; another project's dataset is not found either. */
export async function resolveDataset(db: Db, projectId: string, ref: string): Promise<DatasetRow> {
  const dataset = await findDataset(db, projectId, ref);
  if (!dataset) {
    throw new ApiError(
      404,
      "dataset_not_found",
      `Dataset '${ref}' was not found in this project. Use an id from GET /api/datasets, or '${AGENT_DATASET_PREFIX}<agent>' for an agent's regression dataset.`,
    );
  }
  return dataset;
}

/** The cursor after a page of cases read `limit` at a time: its last id, or null when it was the last page. */
export const nextCaseCursor = (page: readonly { id: string }[], limit: number): string | null =>
  page.length === limit ? page[page.length - 1]!.id : null;

/** A version of the dataset by number, or its latest; 404 when it does not exist (yet). */
export async function resolveVersion(db: Db, dataset: DatasetRow, ref: string): Promise<VersionRow> {
  const number = ref === "latest" ? dataset.latestVersion : Number(ref);
  const version = number > 0 ? await findVersion(db, dataset.id, number) : undefined;
  if (!version) {
    const detail =
      dataset.latestVersion === 0
        ? "it has no versions yet; add or import cases to make version 1"
        : `its versions are 1 to ${dataset.latestVersion}`;
    throw new ApiError(
      404,
      "version_not_found",
      `Version '${ref}' of dataset '${dataset.id}' does not exist: ${detail}.`,
    );
  }
  return version;
}

/** Refused plans: a missing case is 404, conflicts (ids, inputs) are 409; every problem is listed. */
export function planRejection(errors: PlanError[], what: "add" | "edit" | "remove" | "import"): ApiError {
  const first = errors[0]!;
  const listed = errors.map((e) => e.message).join("; ");
  if (what === "import") {
    return new ApiError(409, "import_conflict", `The import was refused and nothing was applied: ${listed}.`, errors);
  }
  const status = first.code === "case_not_found" ? 404 : 409;
  return new ApiError(status, first.code, `Nothing was changed: ${listed}.`, errors);
}
