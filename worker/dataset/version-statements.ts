/**
 * @module The SQL that writes and reads dataset versions, as plain `{sql, params}` for
 * `db.prepare(sql).bind(...params)` inside one `db.batch()`.
 *
 * D1 has no interactive transactions: a batch is atomic and runs its statements in order,
 * but the plan was made from a read that may be stale by then. So every statement is
 * relative to the state the batch finds, never to what the planner saw:
 * - the new version is max(version) + 1, and later statements find it again as max(version);
 *   two racing batches get distinct versions because batches run one after the other;
 * - an edit closes whatever revision is live and inserts max(revision) + 1, and only if the
 *   case is still live (a concurrently removed case is not brought back); racing edits of
 *   one case: the later batch wins, the earlier one stays in history;
 * - an add is skipped when a live case already has its input fingerprint (or its id), so
 *   racing collections of the same failure make one case, and no case is ever lost;
 * - the version's counts are computed from the rows actually written, so they stay true
 *   even when a racing change made part of the plan a no-op.
 * D1 allows 100 bound parameters per statement, so multi-row statements are chunked.
 */
import type { DatasetCase } from "./case-model";
import { type CaseFailure, GUARD_TAG } from "./case-schema";
import { chunkRows } from "./chunk";
import type { CaseStatUpdate } from "./collect";
import type { CasePlan } from "./plan-changes";

export type SqlValue = string | number | null;

export interface SqlStatement {
  sql: string;
  params: SqlValue[];
}

export interface ApplyChangeInput {
  datasetId: string;
  plan: CasePlan;
  /** Occurrence statistics to add (collection only); they never make a version on their own. */
  stats?: readonly CaseStatUpdate[];
  /** ISO 8601 time of the change. */
  now: string;
  summary?: string | null;
  /**
   * An idempotency key (for example the grade window id). The batch inserts it first, so
   * replaying the same change fails the whole batch with a UNIQUE constraint error on
   * `dataset_applied_changes` (see `isAlreadyAppliedError`) instead of applying twice.
   */
  changeKey?: string;
}

const LATEST_VERSION = "(SELECT max(version) FROM dataset_versions WHERE dataset_id = ?)";

/**
 * "Is live" for statements that look cases up by id. The unary `+` keeps SQLite from
 * choosing the (dataset_id, valid_to_version) index, which would visit every live case,
 * so it probes the primary key by case id instead.
 */
const LIVE_BY_CASE_ID = "+valid_to_version IS NULL";

/** Statements of one atomic batch that applies a plan (and statistics). Empty when nothing changes. */
export function buildApplyStatements(input: ApplyChangeInput): SqlStatement[] {
  const { datasetId, plan, now } = input;
  const statements: SqlStatement[] = [];
  if (input.changeKey !== undefined) {
    statements.push({
      sql: "INSERT INTO dataset_applied_changes (dataset_id, change_key, applied_at) VALUES (?, ?, ?)",
      params: [datasetId, input.changeKey, now],
    });
  }
  const changesCases = plan.added.length + plan.edited.length + plan.removed.length > 0;
  if (changesCases) {
    statements.push({
      sql:
        "INSERT INTO dataset_versions (dataset_id, version, created_at, change_kind, summary, case_count, added_count, changed_count, removed_count) " +
        "SELECT ?, coalesce(max(version), 0) + 1, ?, ?, ?, 0, 0, 0, 0 FROM dataset_versions WHERE dataset_id = ?",
      params: [datasetId, now, plan.changeKind, input.summary ?? null, datasetId],
    });
    const closed = [...plan.edited.map((e) => e.before.id), ...plan.removed.map((c) => c.id)];
    statements.push(...closeStatements(datasetId, closed));
    statements.push(
      ...insertStatements(
        datasetId,
        plan.edited.map((e) => e.after),
        now,
        "edit",
      ),
    );
    statements.push(...insertStatements(datasetId, plan.added, now, "add"));
    statements.push(versionCountsStatement(datasetId), {
      sql: `UPDATE datasets SET latest_version = ${LATEST_VERSION} WHERE id = ?`,
      params: [datasetId, datasetId],
    });
  }
  statements.push(...statsStatements(datasetId, input.stats ?? []));
  return statements;
}

/** Whether a failed batch failed because its `changeKey` was applied before. */
export function isAlreadyAppliedError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /UNIQUE constraint failed: dataset_applied_changes/.test(message);
}

function closeStatements(datasetId: string, caseIds: string[]): SqlStatement[] {
  return chunkRows(caseIds, 1, undefined, 2).map((ids) => ({
    sql:
      `UPDATE dataset_cases SET valid_to_version = ${LATEST_VERSION} ` +
      `WHERE dataset_id = ? AND ${LIVE_BY_CASE_ID} AND case_id IN (${ids.map(() => "?").join(", ")})`,
    params: [datasetId, datasetId, ...ids],
  }));
}

/** Parameters per inserted case row, in the order of the VALUES columns below. */
const CASE_VALUE_COLUMNS = 10;

function insertStatements(datasetId: string, cases: DatasetCase[], now: string, kind: "add" | "edit"): SqlStatement[] {
  // VALUES columns: 1 dataset_id, 2 case_id, 3 fingerprint, 4 input, 5 expected,
  // 6 failure, 7 tags, 8 source_trace_id, 9 guard, 10 created_at.
  const latest = "(SELECT max(version) FROM dataset_versions WHERE dataset_id = v.column1)";
  const condition =
    kind === "edit"
      ? // Only a case this batch just closed gets its new revision.
        `EXISTS (SELECT 1 FROM dataset_cases c WHERE c.dataset_id = v.column1 AND c.case_id = v.column2 AND c.valid_to_version = ${latest})`
      : // Two probes, not one OR: SQLite cannot serve the OR from an index and would scan
        // every live case once per added row (quadratic in the dataset's size). The `+`: see LIVE_BY_CASE_ID.
        `NOT EXISTS (SELECT 1 FROM dataset_cases c WHERE c.dataset_id = v.column1 AND c.case_id = v.column2 AND +c.valid_to_version IS NULL) ` +
        "AND NOT EXISTS (SELECT 1 FROM dataset_cases c WHERE c.dataset_id = v.column1 AND c.fingerprint = v.column3 AND c.valid_to_version IS NULL)";
  return chunkRows(cases, CASE_VALUE_COLUMNS).map((chunk) => ({
    sql:
      "INSERT INTO dataset_cases (dataset_id, case_id, revision, valid_from_version, valid_to_version, fingerprint, input, expected, failure, tags, source_trace_id, guard, created_at) " +
      "SELECT v.column1, v.column2, " +
      "(SELECT coalesce(max(c.revision), 0) + 1 FROM dataset_cases c WHERE c.dataset_id = v.column1 AND c.case_id = v.column2), " +
      `${latest}, NULL, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, v.column10 ` +
      `FROM (VALUES ${chunk.map(() => `(${Array(CASE_VALUE_COLUMNS).fill("?").join(", ")})`).join(", ")}) AS v ` +
      `WHERE ${condition}`,
    params: chunk.flatMap((c) => [
      datasetId,
      c.id,
      c.fingerprint,
      JSON.stringify(c.input ?? null),
      c.expected === null || c.expected === undefined ? null : JSON.stringify(c.expected),
      c.failure ? JSON.stringify(c.failure) : null,
      JSON.stringify(c.tags),
      c.sourceTraceId,
      c.guard ? 1 : 0,
      now,
    ]),
  }));
}

/** Counts of the latest version, from the rows the batch actually wrote. */
function versionCountsStatement(datasetId: string): SqlStatement {
  const opened = "n.dataset_id = dataset_versions.dataset_id AND n.valid_from_version = dataset_versions.version";
  const closed = "o.dataset_id = dataset_versions.dataset_id AND o.valid_to_version = dataset_versions.version";
  return {
    sql:
      "UPDATE dataset_versions SET " +
      "case_count = (SELECT count(*) FROM dataset_cases c WHERE c.dataset_id = dataset_versions.dataset_id AND c.valid_to_version IS NULL), " +
      `added_count = (SELECT count(*) FROM dataset_cases n WHERE ${opened} AND NOT EXISTS (SELECT 1 FROM dataset_cases o WHERE ${closed} AND o.case_id = n.case_id)), ` +
      `changed_count = (SELECT count(*) FROM dataset_cases n WHERE ${opened} AND EXISTS (SELECT 1 FROM dataset_cases o WHERE ${closed} AND o.case_id = n.case_id)), ` +
      `removed_count = (SELECT count(*) FROM dataset_cases o WHERE ${closed} AND NOT EXISTS (SELECT 1 FROM dataset_cases n WHERE ${opened} AND n.case_id = o.case_id)) ` +
      `WHERE dataset_id = ? AND version = ${LATEST_VERSION}`,
    params: [datasetId, datasetId],
  };
}

function statsStatements(datasetId: string, stats: readonly CaseStatUpdate[]): SqlStatement[] {
  // In an upsert's SET, bare column names are the stored row and every expression sees
  // its values from before the update.
  return chunkRows(stats, 7).map((chunk) => ({
    sql:
      "INSERT INTO dataset_case_stats (dataset_id, fingerprint, occurrences, first_seen_at, last_trace_id, last_seen_at, last_failure) " +
      `VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")} ` +
      "ON CONFLICT (dataset_id, fingerprint) DO UPDATE SET " +
      "occurrences = occurrences + excluded.occurrences, " +
      "first_seen_at = min(first_seen_at, excluded.first_seen_at), " +
      "last_trace_id = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.last_trace_id ELSE last_trace_id END, " +
      // The latest failure wins; a passing guard observation never erases one.
      "last_failure = CASE WHEN excluded.last_failure IS NOT NULL AND (last_failure IS NULL OR excluded.last_seen_at >= last_seen_at) THEN excluded.last_failure ELSE last_failure END, " +
      "last_seen_at = max(last_seen_at, excluded.last_seen_at)",
    params: chunk.flatMap((s) => [
      datasetId,
      s.fingerprint,
      s.occurrences,
      s.firstSeenAt,
      s.lastTraceId,
      s.lastSeenAt,
      s.lastFailure === undefined ? null : JSON.stringify(s.lastFailure),
    ]),
  }));
}

const CASE_COLUMNS = "case_id, revision, fingerprint, input, expected, failure, tags, source_trace_id, guard";
const AS_OF = "valid_from_version <= ? AND (valid_to_version IS NULL OR valid_to_version > ?)";

/** One page of a version's cases in case id order, after `afterCaseId` ("" for the first page). */
export function buildAsOfPageStatement(
  datasetId: string,
  version: number,
  page: { afterCaseId?: string; limit: number },
): SqlStatement {
  return {
    sql: `SELECT ${CASE_COLUMNS} FROM dataset_cases WHERE dataset_id = ? AND case_id > ? AND ${AS_OF} ORDER BY case_id LIMIT ?`,
    params: [datasetId, page.afterCaseId ?? "", version, version, page.limit],
  };
}

/** The cases of a version with these ids (chunked). */
export function buildAsOfByIdsStatements(
  datasetId: string,
  version: number,
  caseIds: readonly string[],
): SqlStatement[] {
  return chunkRows(caseIds, 1, undefined, 3).map((ids) => ({
    sql: `SELECT ${CASE_COLUMNS} FROM dataset_cases WHERE dataset_id = ? AND ${AS_OF} AND case_id IN (${ids.map(() => "?").join(", ")}) ORDER BY case_id`,
    params: [datasetId, version, version, ...ids],
  }));
}

/**
 * Ids of the cases touched after version `from` up to `to`: only they can differ, so a
 * diff reads them as of both versions (`buildAsOfByIdsStatements`) and runs `diffVersions`.
 */
export function buildTouchedCaseIdsStatement(datasetId: string, from: number, to: number): SqlStatement {
  return {
    sql:
      "SELECT DISTINCT case_id FROM dataset_cases WHERE dataset_id = ? AND " +
      "((valid_from_version > ? AND valid_from_version <= ?) OR (valid_to_version > ? AND valid_to_version <= ?)) ORDER BY case_id",
    params: [datasetId, from, to, from, to],
  };
}

/**
 * The live cases a plan needs (see `casesNeeded`), chunked; rows may repeat across
 * statements, so deduplicate by case id.
 */
export function buildLiveCaseStatements(
  datasetId: string,
  needed: { caseIds: readonly string[]; fingerprints: readonly string[]; allLiveCases: boolean },
): SqlStatement[] {
  const live = `SELECT ${CASE_COLUMNS} FROM dataset_cases WHERE dataset_id = ? AND valid_to_version IS NULL`;
  if (needed.allLiveCases) return [{ sql: `${live} ORDER BY case_id`, params: [datasetId] }];
  const byColumn = (column: string, liveTerm: string, values: readonly string[]) =>
    chunkRows(values, 1, undefined, 1).map((chunk) => ({
      sql: `SELECT ${CASE_COLUMNS} FROM dataset_cases WHERE dataset_id = ? AND ${liveTerm} AND ${column} IN (${chunk.map(() => "?").join(", ")})`,
      params: [datasetId, ...chunk],
    }));
  return [
    ...byColumn("case_id", LIVE_BY_CASE_ID, needed.caseIds),
    // The plain term lets SQLite use the partial unique index on live fingerprints.
    ...byColumn("fingerprint", "valid_to_version IS NULL", needed.fingerprints),
  ];
}

/** Cases collected before grader versions were numbers stored them as text. */
function failureFromJson(text: string): CaseFailure {
  const failure = JSON.parse(text) as CaseFailure;
  return { ...failure, graderVersion: Number(failure.graderVersion) };
}

/** A row as the SELECTs above return it (D1 gives snake_case columns, JSON as text). */
export interface CaseRow {
  case_id: string;
  revision: number;
  fingerprint: string;
  input: string;
  expected: string | null;
  failure: string | null;
  tags: string;
  source_trace_id: string | null;
  guard: number;
}

export function caseFromRow(row: CaseRow): DatasetCase {
  const tags = JSON.parse(row.tags) as string[];
  return {
    id: row.case_id,
    input: JSON.parse(row.input),
    expected: row.expected === null ? null : JSON.parse(row.expected),
    failure: row.failure === null ? null : failureFromJson(row.failure),
    tags,
    sourceTraceId: row.source_trace_id,
    guard: tags.includes(GUARD_TAG),
    fingerprint: row.fingerprint,
  };
}
