/**
 * @module The agent `version` labels of a set of traces, counted, for a window's rollup:
 * the site shows which prompt or agent version each window graded and where it changed.
 */
import { sql } from "drizzle-orm";
import type { Db } from "./db";

/**
 * `{label: traces}`; traces without a version count under `""`. The ids go as one JSON
 * parameter (D1 allows 100 bound parameters per statement; a window may hold more).
 */
export async function countTraceVersions(
  db: Db,
  projectId: string,
  traceIds: readonly string[],
): Promise<Record<string, number>> {
  if (traceIds.length === 0) return {};
  const rows = await db.all<{ version: string | null; traces: number }>(sql`
    SELECT version, count(*) AS traces FROM traces
    WHERE project_id = ${projectId} AND id IN (SELECT value FROM json_each(${JSON.stringify(traceIds)}))
    GROUP BY version`);
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.version ?? ""] = (counts[row.version ?? ""] ?? 0) + Number(row.traces);
  return counts;
}
