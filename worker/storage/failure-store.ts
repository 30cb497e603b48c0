/**
 * @module D1 reads behind failure modes: an agent's failing trace scores in a time range
 * (superseded scores left out, as everywhere else) and its recent graded windows.
 */
import type { Db } from "./db";

export interface FailingScoreRow {
  trace_id: string;
  window_id: string;
  grader_id: string;
  grader_version: number;
  reason: string;
}

export interface WindowCountRow {
  id: string;
  closed_at: string;
  graded_count: number | null;
}

/** Newest first, at most `limit`; `truncated` says whether more matched. */
export async function readFailingScores(
  db: Db,
  query: { projectId: string; agent: string; from: string; to: string; limit: number },
): Promise<{ rows: FailingScoreRow[]; truncated: boolean }> {
  const { results } = await db.$client
    .prepare(
      `SELECT trace_id, window_id, grader_id, grader_version, reason FROM scores
       WHERE project_id = ? AND agent = ? AND verdict = 'fail' AND superseded_by IS NULL AND trace_id IS NOT NULL
         AND graded_at >= ? AND graded_at < ?
       ORDER BY graded_at DESC LIMIT ?`,
    )
    .bind(query.projectId, query.agent, query.from, query.to, query.limit + 1)
    .all<FailingScoreRow>();
  return { rows: results.slice(0, query.limit), truncated: results.length > query.limit };
}

/** The most recent graded windows closed in the range, newest first. */
export async function readRecentWindows(
  db: Db,
  query: { projectId: string; agent: string; from: string; to: string; limit: number },
): Promise<WindowCountRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT id, closed_at, graded_count FROM grade_windows
       WHERE project_id = ? AND agent = ? AND graded_at IS NOT NULL AND closed_at >= ? AND closed_at < ?
       ORDER BY closed_at DESC LIMIT ?`,
    )
    .bind(query.projectId, query.agent, query.from, query.to, query.limit)
    .all<WindowCountRow>();
  return results;
}
