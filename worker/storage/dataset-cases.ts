/**
 * @module D1 reads of dataset cases: a version's cases page by page (as of that
 * version), the live cases a planned change needs, occurrence statistics, and the two
 * snapshots a diff compares. Versions are immutable, so an as-of read of version v gives
 * the same rows whenever it runs; reads that must agree with each other run in one batch.
 */
import {
  type CaseRow,
  type DatasetCase,
  type VersionDiff,
  buildAsOfByIdsStatements,
  buildAsOfPageStatement,
  buildLiveCaseStatements,
  buildTouchedCaseIdsStatement,
  caseFromRow,
  chunkRows,
  diffVersions,
  type LastFailure,
} from "../dataset";
import type { Db } from "./db";
import { prepareAll } from "./dataset-store";

export interface CaseStats {
  occurrences: number;
  lastTraceId: string | null;
  lastSeenAt: string | null;
  lastFailure: LastFailure | null;
}

/** One page of a version's cases in case id order, after `afterCaseId`. */
export async function readCasePage(
  db: Db,
  datasetId: string,
  version: number,
  page: { afterCaseId?: string; limit: number },
): Promise<DatasetCase[]> {
  const [statement] = prepareAll(db, [buildAsOfPageStatement(datasetId, version, page)]);
  const { results } = await statement!.all<CaseRow>();
  return results.map(caseFromRow);
}

/** The live cases of the latest version that a plan needs, deduplicated by case id. */
export async function readLiveCases(
  db: Db,
  datasetId: string,
  needed: { caseIds: readonly string[]; fingerprints: readonly string[]; allLiveCases: boolean },
): Promise<DatasetCase[]> {
  const statements = prepareAll(db, buildLiveCaseStatements(datasetId, needed));
  if (statements.length === 0) return [];
  // One batch: every chunk sees the same latest version.
  const results = await db.$client.batch<CaseRow>(statements);
  const byId = new Map<string, DatasetCase>();
  for (const result of results) for (const row of result.results) byId.set(row.case_id, caseFromRow(row));
  return [...byId.values()];
}

/** Occurrence statistics by input fingerprint (unversioned: always the current counts). */
export async function readCaseStats(
  db: Db,
  datasetId: string,
  fingerprints: readonly string[],
): Promise<Map<string, CaseStats>> {
  const unique = [...new Set(fingerprints)];
  const stats = new Map<string, CaseStats>();
  if (unique.length === 0) return stats;
  const statements = chunkRows(unique, 1, undefined, 1).map((chunk) =>
    db.$client
      .prepare(
        "SELECT fingerprint, occurrences, last_trace_id, last_seen_at, last_failure FROM dataset_case_stats " +
          `WHERE dataset_id = ? AND fingerprint IN (${chunk.map(() => "?").join(", ")})`,
      )
      .bind(datasetId, ...chunk),
  );
  type Row = {
    fingerprint: string;
    occurrences: number;
    last_trace_id: string;
    last_seen_at: string;
    last_failure: string | null;
  };
  for (const result of await db.$client.batch<Row>(statements)) {
    for (const row of result.results) {
      stats.set(row.fingerprint, {
        occurrences: row.occurrences,
        lastTraceId: row.last_trace_id,
        lastSeenAt: row.last_seen_at,
        lastFailure: row.last_failure === null ? null : (JSON.parse(row.last_failure) as LastFailure),
      });
    }
  }
  return stats;
}

export interface DiffPage extends VersionDiff {
  /** Last case id this page considered; pass it back as `afterCaseId` when `truncated`. */
  lastCaseId: string | null;
  truncated: boolean;
}

/**
 * The diff between two versions over the cases touched between them, at most `limit`
 * touched cases per page in case id order. Only touched cases can differ, so a diff of
 * two versions of a large dataset reads a few rows, not two whole snapshots.
 */
export async function readDiffPage(
  db: Db,
  datasetId: string,
  from: number,
  to: number,
  page: { afterCaseId?: string; limit: number },
): Promise<DiffPage> {
  const touched = buildTouchedCaseIdsStatement(datasetId, Math.min(from, to), Math.max(from, to));
  const [idsStatement] = prepareAll(db, [
    {
      sql: `SELECT case_id FROM (${touched.sql}) WHERE case_id > ? ORDER BY case_id LIMIT ?`,
      params: [...touched.params, page.afterCaseId ?? "", page.limit + 1],
    },
  ]);
  const ids = (await idsStatement!.all<{ case_id: string }>()).results.map((r) => r.case_id);
  const truncated = ids.length > page.limit;
  const pageIds = ids.slice(0, page.limit);
  const fromStatements = buildAsOfByIdsStatements(datasetId, from, pageIds);
  const toStatements = buildAsOfByIdsStatements(datasetId, to, pageIds);
  const results =
    pageIds.length === 0 ? [] : await db.$client.batch<CaseRow>(prepareAll(db, [...fromStatements, ...toStatements]));
  const rowsOf = (start: number, end: number) => results.slice(start, end).flatMap((r) => r.results.map(caseFromRow));
  const diff = diffVersions(rowsOf(0, fromStatements.length), rowsOf(fromStatements.length, results.length));
  return { ...diff, lastCaseId: pageIds[pageIds.length - 1] ?? null, truncated };
}
