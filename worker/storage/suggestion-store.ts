/**
 * @module D1 access for fix suggestions: stored once per (failure mode, source) under a
 * deterministic id, so recomputing failure modes never duplicates them, and marked tried
 * by the first eval run whose candidate names them.
 */
import { and, eq, inArray, isNull } from "drizzle-orm";
import { chunkRows } from "../dataset";
import type { Db } from "./db";
import { fixSuggestions } from "./schema";

export type SuggestionRow = typeof fixSuggestions.$inferSelect;
export type NewSuggestion = Omit<SuggestionRow, "createdAt" | "triedRunId" | "triedAt">;

/** Inserts suggestions not stored yet; returns every stored row for their ids (tried marks included). */
export async function saveSuggestions(
  db: Db,
  projectId: string,
  suggestions: NewSuggestion[],
): Promise<SuggestionRow[]> {
  if (suggestions.length === 0) return [];
  const now = new Date().toISOString();
  const rows = suggestions.map((s) => ({ ...s, projectId, createdAt: now, triedRunId: null, triedAt: null }));
  // D1 allows 100 bound parameters per statement: 10 columns a row.
  for (const chunk of chunkRows(rows, 10)) await db.insert(fixSuggestions).values(chunk).onConflictDoNothing();
  return findSuggestions(
    db,
    projectId,
    suggestions.map((s) => s.id),
  );
}

/** The stored suggestions among `ids`. */
export async function findSuggestions(db: Db, projectId: string, ids: string[]): Promise<SuggestionRow[]> {
  const stored: SuggestionRow[] = [];
  for (const chunk of chunkRows(ids, 1, undefined, 1)) {
    stored.push(
      ...(await db
        .select()
        .from(fixSuggestions)
        .where(and(eq(fixSuggestions.projectId, projectId), inArray(fixSuggestions.id, chunk)))
        .all()),
    );
  }
  return stored;
}

/** Marks the suggestions a candidate was built from; a suggestion keeps the first run that tried it. */
export async function markSuggestionsTried(db: Db, projectId: string, ids: string[], runId: string): Promise<void> {
  const now = new Date().toISOString();
  for (const chunk of chunkRows(ids, 1, undefined, 3)) {
    await db
      .update(fixSuggestions)
      .set({ triedRunId: runId, triedAt: now })
      .where(
        and(
          eq(fixSuggestions.projectId, projectId),
          inArray(fixSuggestions.id, chunk),
          isNull(fixSuggestions.triedRunId),
        ),
      );
  }
}
