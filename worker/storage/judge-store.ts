/**
 * @module D1 access for judging: the cache of identical judge calls, each project's judge
 * tokens per UTC day, and the judge side of judge scores (model, prompt version, samples,
 * tokens, cost). Writes are idempotent (cache and results by key), so a retried window
 * adds nothing twice; token usage is added once per call actually made.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { chunkRows } from "../dataset/chunk";
import type { Db } from "./db";
import { judgeCache, judgeResults, judgeUsage } from "./schema";

export type JudgeCacheRow = typeof judgeCache.$inferSelect;
export type JudgeResultRow = typeof judgeResults.$inferSelect;

/** Keys per `IN (...)` list: D1 allows 100 bound parameters per statement. */
const KEYS_PER_STATEMENT = 90;
const STATEMENTS_PER_BATCH = 50;

export async function readJudgeCache(db: Db, keys: string[]): Promise<Map<string, JudgeCacheRow>> {
  const found = new Map<string, JudgeCacheRow>();
  for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
    const rows = await db
      .select()
      .from(judgeCache)
      .where(inArray(judgeCache.key, keys.slice(i, i + KEYS_PER_STATEMENT)))
      .all();
    for (const row of rows) found.set(row.key, row);
  }
  return found;
}

/** Stores new cache entries and the tokens they cost, in as few round trips as D1 allows. */
export async function saveJudgeCalls(
  db: Db,
  projectId: string,
  entries: JudgeCacheRow[],
  tokens: number,
  day: string,
): Promise<void> {
  const statements = [
    ...chunkRows(entries, Object.keys(judgeCache).length).map((chunk) =>
      db.insert(judgeCache).values(chunk).onConflictDoNothing(),
    ),
    ...(tokens > 0
      ? [
          db
            .insert(judgeUsage)
            .values({ projectId, day, tokens })
            .onConflictDoUpdate({
              target: [judgeUsage.projectId, judgeUsage.day],
              set: { tokens: sql`${judgeUsage.tokens} + ${tokens}` },
            }),
        ]
      : []),
  ];
  await runBatches(db, statements);
}

export async function judgeTokensUsed(db: Db, projectId: string, day: string): Promise<number> {
  const row = await db
    .select({ tokens: judgeUsage.tokens })
    .from(judgeUsage)
    .where(and(eq(judgeUsage.projectId, projectId), eq(judgeUsage.day, day)))
    .get();
  return row?.tokens ?? 0;
}

export async function saveJudgeResults(db: Db, rows: JudgeResultRow[]): Promise<void> {
  await runBatches(
    db,
    chunkRows(rows, Object.keys(judgeResults).length).map((chunk) =>
      db.insert(judgeResults).values(chunk).onConflictDoNothing(),
    ),
  );
}

export async function judgeResultsOfTraces(db: Db, projectId: string, traceIds: string[]): Promise<JudgeResultRow[]> {
  const out: JudgeResultRow[] = [];
  for (let i = 0; i < traceIds.length; i += KEYS_PER_STATEMENT - 1) {
    out.push(
      ...(await db
        .select()
        .from(judgeResults)
        .where(
          and(
            eq(judgeResults.projectId, projectId),
            inArray(judgeResults.traceId, traceIds.slice(i, i + KEYS_PER_STATEMENT - 1)),
          ),
        )
        .all()),
    );
  }
  return out;
}

export interface WindowJudgeUsage {
  windowId: string;
  judgedTraces: number;
  calls: number;
  cachedCalls: number;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
}

/** Tokens and cost of judging, per window of the agent, newest first. */
export async function judgeUsageByWindow(
  db: Db,
  projectId: string,
  agent: string,
  limit: number,
): Promise<WindowJudgeUsage[]> {
  const rows = await db
    .select({
      windowId: judgeResults.windowId,
      judgedTraces: sql<number>`count(DISTINCT ${judgeResults.traceId})`,
      calls: sql<number>`sum(${judgeResults.calls})`,
      cachedCalls: sql<number>`sum(${judgeResults.cachedCalls})`,
      inputTokens: sql<number>`sum(${judgeResults.inputTokens})`,
      outputTokens: sql<number>`sum(${judgeResults.outputTokens})`,
      cost: sql<number | null>`sum(${judgeResults.cost})`,
    })
    .from(judgeResults)
    .where(and(eq(judgeResults.projectId, projectId), eq(judgeResults.agent, agent)))
    .groupBy(judgeResults.windowId)
    .orderBy(sql`${judgeResults.windowId} DESC`)
    .limit(limit)
    .all();
  return rows;
}

async function runBatches(db: Db, statements: unknown[]): Promise<void> {
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    const batch = statements.slice(i, i + STATEMENTS_PER_BATCH) as unknown as Parameters<Db["batch"]>[0];
    await db.batch(batch);
  }
}
