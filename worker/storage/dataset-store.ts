/**
 * @module The D1 adapter for dataset metadata: creating and finding datasets, listing
 * versions, and running the one atomic batch that makes a new version. The SQL that
 * writes versions is pure and lives in worker/dataset/version-statements.ts; this module
 * only binds and runs it.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { ApplyChangeInput, SqlStatement } from "../dataset";
import { buildApplyStatements } from "../dataset";
import type { Db } from "./db";
import { datasets, datasetVersions } from "./schema";

export type DatasetRow = typeof datasets.$inferSelect;
export type VersionRow = typeof datasetVersions.$inferSelect;
export interface DatasetSummary extends DatasetRow {
  /** Cases in the latest version; 0 while the dataset has no version. */
  caseCount: number;
}

/** How a URL names the auto-created regression dataset of an agent instead of by id. */
export const AGENT_DATASET_PREFIX = "agent:";

export const newDatasetId = () => `ds_${randomToken()}`;
export const newCaseId = () => `case_${randomToken()}`;

function randomToken(): string {
  return crypto.randomUUID().replace(/-/g, "").slice(0, 20);
}

/** Binds pure `{sql, params}` statements to the D1 client behind drizzle. */
export function prepareAll(db: Db, statements: readonly SqlStatement[]): D1PreparedStatement[] {
  return statements.map((s) => db.$client.prepare(s.sql).bind(...s.params));
}

/**
 * Creates a custom dataset unless the project already has a dataset of this name. One
 * conditional INSERT, so two racing creates cannot both succeed.
 */
export async function createCustomDataset(
  db: Db,
  input: { projectId: string; name: string; agent: string | null; description: string | null },
): Promise<DatasetRow | undefined> {
  const row: DatasetRow = {
    id: newDatasetId(),
    projectId: input.projectId,
    agent: input.agent,
    name: input.name,
    kind: "custom",
    description: input.description,
    createdAt: new Date().toISOString(),
    latestVersion: 0,
  };
  const result = await db.$client
    .prepare(
      "INSERT INTO datasets (id, project_id, agent, name, kind, description, created_at, latest_version) " +
        "SELECT ?, ?, ?, ?, 'custom', ?, ?, 0 WHERE NOT EXISTS (SELECT 1 FROM datasets WHERE project_id = ? AND name = ?)",
    )
    .bind(row.id, row.projectId, row.agent, row.name, row.description, row.createdAt, row.projectId, row.name)
    .run();
  return result.meta.changes === 1 ? row : undefined;
}

/**
 * The agent's regression dataset, created on first use. The partial unique index on
 * (project, agent) for regression datasets makes racing first uses create one dataset.
 */
export async function ensureRegressionDataset(
  db: Db,
  projectId: string,
  agent: string,
  name: string,
): Promise<DatasetRow> {
  await db
    .insert(datasets)
    .values({
      id: newDatasetId(),
      projectId,
      agent,
      name,
      kind: "regression",
      description: `Failing traces of agent '${agent}', collected by grading`,
      createdAt: new Date().toISOString(),
    })
    .onConflictDoNothing();
  const row = await findRegressionDataset(db, projectId, agent);
  if (!row) throw new Error(`regression dataset of agent '${agent}' vanished after its creation`);
  return row;
}

function findRegressionDataset(db: Db, projectId: string, agent: string): Promise<DatasetRow | undefined> {
  return db
    .select()
    .from(datasets)
    .where(and(eq(datasets.projectId, projectId), eq(datasets.agent, agent), eq(datasets.kind, "regression")))
    .get();
}

/** A dataset of this project by id, or by `agent:<name>` for an agent's regression dataset. */
export function findDataset(db: Db, projectId: string, ref: string): Promise<DatasetRow | undefined> {
  if (ref.startsWith(AGENT_DATASET_PREFIX)) {
    return findRegressionDataset(db, projectId, ref.slice(AGENT_DATASET_PREFIX.length));
  }
  return db
    .select()
    .from(datasets)
    .where(and(eq(datasets.projectId, projectId), eq(datasets.id, ref)))
    .get();
}

/** The project's datasets with the case count of each one's latest version, oldest first. */
export async function listDatasets(db: Db, projectId: string, agent?: string): Promise<DatasetSummary[]> {
  const conditions = [eq(datasets.projectId, projectId)];
  if (agent !== undefined) conditions.push(eq(datasets.agent, agent));
  const rows = await db
    .select({ dataset: datasets, caseCount: sql<number>`coalesce(${datasetVersions.caseCount}, 0)` })
    .from(datasets)
    .leftJoin(
      datasetVersions,
      and(eq(datasetVersions.datasetId, datasets.id), eq(datasetVersions.version, datasets.latestVersion)),
    )
    .where(and(...conditions))
    .orderBy(datasets.createdAt, datasets.id)
    .all();
  return rows.map((r) => ({ ...r.dataset, caseCount: r.caseCount }));
}

/** Versions newest first, below `beforeVersion` when given. */
export function listVersions(
  db: Db,
  datasetId: string,
  page: { limit: number; beforeVersion?: number },
): Promise<VersionRow[]> {
  const conditions = [eq(datasetVersions.datasetId, datasetId)];
  if (page.beforeVersion !== undefined) conditions.push(lt(datasetVersions.version, page.beforeVersion));
  return db
    .select()
    .from(datasetVersions)
    .where(and(...conditions))
    .orderBy(desc(datasetVersions.version))
    .limit(page.limit)
    .all();
}

export function findVersion(db: Db, datasetId: string, version: number): Promise<VersionRow | undefined> {
  return db
    .select()
    .from(datasetVersions)
    .where(and(eq(datasetVersions.datasetId, datasetId), eq(datasetVersions.version, version)))
    .get();
}

/**
 * Runs one change as a single D1 batch (atomic: all of it or none of it) and returns the
 * version it made, read back inside the same batch so a racing change cannot be mistaken
 * for it. Undefined when the change makes no version (statistics only, or nothing).
 * Errors propagate: `isAlreadyAppliedError` tells a replayed `changeKey`.
 */
export async function applyDatasetChange(db: Db, input: ApplyChangeInput): Promise<VersionRow | undefined> {
  const statements = prepareAll(db, buildApplyStatements(input));
  if (statements.length === 0) return undefined;
  const { plan } = input;
  const makesVersion = plan.added.length + plan.edited.length + plan.removed.length > 0;
  if (makesVersion) {
    statements.push(
      db.$client
        .prepare("SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC LIMIT 1")
        .bind(input.datasetId),
    );
  }
  const results = await db.$client.batch<Record<string, unknown>>(statements);
  if (!makesVersion) return undefined;
  const row = results[results.length - 1]!.results[0];
  if (!row) throw new Error("the version made by a dataset change could not be read back");
  return versionFromRow(row);
}

function versionFromRow(row: Record<string, unknown>): VersionRow {
  return {
    datasetId: row.dataset_id as string,
    version: row.version as number,
    createdAt: row.created_at as string,
    changeKind: row.change_kind as VersionRow["changeKind"],
    summary: (row.summary as string | null) ?? null,
    caseCount: row.case_count as number,
    addedCount: row.added_count as number,
    changedCount: row.changed_count as number,
    removedCount: row.removed_count as number,
  };
}
