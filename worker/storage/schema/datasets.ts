/**
 * @module D1 tables of versioned datasets. A case's content as of version v is the row
 * with `valid_from_version <= v < coalesce(valid_to_version, infinity)`: an edit closes
 * the old row and inserts a new revision, a removal closes the row, so every version
 * stays readable as it was. Occurrence statistics live apart, unversioned, so repeated
 * failures do not make new versions. The write statements are in worker/dataset/version-statements.ts.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const datasets = sqliteTable(
  "datasets",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    /** The agent whose failures feed it; null for a custom dataset not tied to one agent. */
    agent: text("agent"),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["regression", "custom"] }).notNull(),
    description: text("description"),
    createdAt: text("created_at").notNull(),
    /** Mirrors max(dataset_versions.version); 0 while the dataset has no version. */
    latestVersion: integer("latest_version").notNull().default(0),
  },
  (t) => [
    index("datasets_project_agent").on(t.projectId, t.agent),
    // One auto-created regression dataset per agent, even when two windows race to create it.
    uniqueIndex("datasets_regression_per_agent").on(t.projectId, t.agent).where(sql`kind = 'regression'`),
  ],
);

/** One immutable version. Counts are computed in the batch that makes the version. */
export const datasetVersions = sqliteTable(
  "dataset_versions",
  {
    datasetId: text("dataset_id").notNull(),
    version: integer("version").notNull(),
    createdAt: text("created_at").notNull(),
    changeKind: text("change_kind", { enum: ["collected", "added", "edited", "removed", "imported"] }).notNull(),
    summary: text("summary"),
    caseCount: integer("case_count").notNull(),
    addedCount: integer("added_count").notNull(),
    changedCount: integer("changed_count").notNull(),
    removedCount: integer("removed_count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.datasetId, t.version] })],
);

/** Revisions of cases; see the module comment for how versions select them. */
export const datasetCases = sqliteTable(
  "dataset_cases",
  {
    datasetId: text("dataset_id").notNull(),
    caseId: text("case_id").notNull(),
    revision: integer("revision").notNull(),
    validFromVersion: integer("valid_from_version").notNull(),
    validToVersion: integer("valid_to_version"),
    fingerprint: text("fingerprint").notNull(),
    input: text("input", { mode: "json" }).notNull(),
    /** Null when the expectation is unknown. */
    expected: text("expected", { mode: "json" }),
    failure: text("failure", { mode: "json" }).$type<{
      graderId: string;
      graderVersion: number | string;
      reason: string;
    }>(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    sourceTraceId: text("source_trace_id"),
    guard: integer("guard", { mode: "boolean" }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    // The primary key orders by case id, so as-of reads page by case id without a sort.
    primaryKey({ columns: [t.datasetId, t.caseId, t.revision] }),
    index("dataset_cases_valid_from").on(t.datasetId, t.validFromVersion),
    index("dataset_cases_valid_to").on(t.datasetId, t.validToVersion),
    // Live cases have distinct inputs: the backstop of dedup when two changes race.
    uniqueIndex("dataset_cases_live_fingerprint").on(t.datasetId, t.fingerprint).where(sql`valid_to_version IS NULL`),
  ],
);

/** How often an input was seen and by which trace last. Not versioned. */
export const datasetCaseStats = sqliteTable(
  "dataset_case_stats",
  {
    datasetId: text("dataset_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    occurrences: integer("occurrences").notNull(),
    firstSeenAt: text("first_seen_at").notNull(),
    lastTraceId: text("last_trace_id").notNull(),
    lastSeenAt: text("last_seen_at").notNull(),
    /** The latest failing occurrence: `{traceId, output, failures}` (migration 0003). */
    lastFailure: text("last_failure", { mode: "json" }),
  },
  (t) => [primaryKey({ columns: [t.datasetId, t.fingerprint] })],
);

/**
 * Keys of changes already applied. The write batch inserts its key first, so a retried
 * change (a window graded again after a crash) fails as a whole instead of counting twice.
 */
export const datasetAppliedChanges = sqliteTable(
  "dataset_applied_changes",
  {
    datasetId: text("dataset_id").notNull(),
    changeKey: text("change_key").notNull(),
    appliedAt: text("applied_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.datasetId, t.changeKey] })],
);
