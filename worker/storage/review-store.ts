/**
 * @module D1 access for human review: the review queue and its human verdicts, final
 * verdicts per trace, per-agent review settings, grader links, and the (judge, human)
 * verdict pairs agreement is measured on. Queueing is idempotent per (trace, reason); a
 * human verdict per (item, reviewer).
 */
import { and, asc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { chunkRows } from "../dataset/chunk";
import type { ReviewSettingsInput } from "../review/review-settings";
import type { Db } from "./db";
import {
  graderLinks,
  graderVersions,
  humanVerdicts,
  reviewItems,
  reviewSettings,
  scores,
  traceVerdicts,
} from "./schema";

export type ReviewItemRow = typeof reviewItems.$inferSelect;
export type HumanVerdictRow = typeof humanVerdicts.$inferSelect;
export type TraceVerdictRow = typeof traceVerdicts.$inferSelect;
export type GraderLinkRow = typeof graderLinks.$inferSelect;

const IDS_PER_STATEMENT = 90;
const STATEMENTS_PER_BATCH = 50;

const chunks = <T>(items: T[], size = IDS_PER_STATEMENT): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

async function runBatches(db: Db, statements: unknown[]): Promise<void> {
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH) as unknown as Parameters<Db["batch"]>[0]);
  }
}

export const newReviewItemId = () => `rev_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;

/** Queues items; an item of the same trace and reason already queued (or reviewed) is left as it is. */
export async function queueReviewItems(db: Db, items: ReviewItemRow[]): Promise<void> {
  await runBatches(
    db,
    chunkRows(items, Object.keys(reviewItems).length).map((chunk) =>
      db.insert(reviewItems).values(chunk).onConflictDoNothing(),
    ),
  );
}

export async function listPendingItems(
  db: Db,
  projectId: string,
  filter: { agent?: string; reason?: ReviewItemRow["reason"]; limit: number },
): Promise<ReviewItemRow[]> {
  const conditions = [eq(reviewItems.projectId, projectId), eq(reviewItems.state, "pending")];
  if (filter.agent !== undefined) conditions.push(eq(reviewItems.agent, filter.agent));
  if (filter.reason !== undefined) conditions.push(eq(reviewItems.reason, filter.reason));
  return db
    .select()
    .from(reviewItems)
    .where(and(...conditions))
    .orderBy(asc(reviewItems.createdAt), asc(reviewItems.id))
    .limit(filter.limit)
    .all();
}

export async function findReviewItem(db: Db, projectId: string, id: string): Promise<ReviewItemRow | undefined> {
  return db
    .select()
    .from(reviewItems)
    .where(and(eq(reviewItems.projectId, projectId), eq(reviewItems.id, id)))
    .get();
}

/** The item queued for this trace and reason, pending or reviewed. */
export async function findItemOfTrace(
  db: Db,
  projectId: string,
  traceId: string,
  reason: ReviewItemRow["reason"],
): Promise<ReviewItemRow | undefined> {
  return db
    .select()
    .from(reviewItems)
    .where(and(eq(reviewItems.projectId, projectId), eq(reviewItems.traceId, traceId), eq(reviewItems.reason, reason)))
    .get();
}

export async function findHumanVerdict(db: Db, itemId: string, reviewer: string): Promise<HumanVerdictRow | undefined> {
  return db
    .select()
    .from(humanVerdicts)
    .where(and(eq(humanVerdicts.itemId, itemId), eq(humanVerdicts.reviewer, reviewer)))
    .get();
}

/**
 * Records the verdict and closes the item in one transaction, only while the item is
 * pending: the insert is conditional on it, and runs before the update closes it.
 * Returns false when the item was no longer pending (nothing was written).
 */
export async function recordHumanVerdict(db: Db, row: HumanVerdictRow): Promise<boolean> {
  const [, closed] = await db.batch([
    db
      .insert(humanVerdicts)
      .select(
        sql`SELECT ${row.itemId}, ${row.reviewer}, ${row.projectId}, ${row.agent}, ${row.traceId}, ${row.verdict}, ${row.score}, ${row.note}, ${row.createdAt}
            WHERE EXISTS (SELECT 1 FROM review_items WHERE id = ${row.itemId} AND state = 'pending')`,
      )
      .onConflictDoNothing(),
    db
      .update(reviewItems)
      .set({ state: "reviewed", reviewedAt: row.createdAt })
      .where(and(eq(reviewItems.id, row.itemId), eq(reviewItems.state, "pending")))
      .returning({ id: reviewItems.id }),
  ]);
  return closed.length > 0;
}

export async function humanVerdictsOfTraces(db: Db, projectId: string, traceIds: string[]): Promise<HumanVerdictRow[]> {
  const out: HumanVerdictRow[] = [];
  for (const ids of chunks(traceIds, IDS_PER_STATEMENT - 1)) {
    out.push(
      ...(await db
        .select()
        .from(humanVerdicts)
        .where(and(eq(humanVerdicts.projectId, projectId), inArray(humanVerdicts.traceId, ids)))
        .orderBy(asc(humanVerdicts.createdAt))
        .all()),
    );
  }
  return out;
}

/** Upserts many rows per statement (D1 allows 100 bound parameters), so a large window costs a few round trips. */
export async function saveTraceVerdicts(db: Db, rows: TraceVerdictRow[]): Promise<void> {
  await runBatches(
    db,
    chunkRows(rows, Object.keys(traceVerdicts).length).map((chunk) =>
      db
        .insert(traceVerdicts)
        .values(chunk)
        .onConflictDoUpdate({
          target: [traceVerdicts.projectId, traceVerdicts.traceId],
          set: {
            agent: sql`excluded.agent`,
            windowId: sql`excluded.window_id`,
            verdict: sql`excluded.verdict`,
            disputed: sql`excluded.disputed`,
            decision: sql`excluded.decision`,
            updatedAt: sql`excluded.updated_at`,
          },
          // A retried older window never overwrites the verdict a newer window gave.
          setWhere: sql`excluded.window_id >= ${traceVerdicts.windowId}`,
        }),
    ),
  );
}

export async function traceVerdictsOf(db: Db, projectId: string, traceIds: string[]): Promise<TraceVerdictRow[]> {
  const out: TraceVerdictRow[] = [];
  for (const ids of chunks(traceIds, IDS_PER_STATEMENT - 1)) {
    out.push(
      ...(await db
        .select()
        .from(traceVerdicts)
        .where(and(eq(traceVerdicts.projectId, projectId), inArray(traceVerdicts.traceId, ids)))
        .all()),
    );
  }
  return out;
}

export async function readReviewSettings(
  db: Db,
  projectId: string,
  agent: string,
): Promise<ReviewSettingsInput | null> {
  const row = await db
    .select()
    .from(reviewSettings)
    .where(and(eq(reviewSettings.projectId, projectId), eq(reviewSettings.agent, agent)))
    .get();
  return row ? (row.settings as ReviewSettingsInput) : null;
}

export async function writeReviewSettings(
  db: Db,
  projectId: string,
  agent: string,
  settings: ReviewSettingsInput | null,
): Promise<void> {
  if (settings === null) {
    await db
      .delete(reviewSettings)
      .where(and(eq(reviewSettings.projectId, projectId), eq(reviewSettings.agent, agent)));
    return;
  }
  const updatedAt = new Date().toISOString();
  await db
    .insert(reviewSettings)
    .values({ projectId, agent, settings, updatedAt })
    .onConflictDoUpdate({ target: [reviewSettings.projectId, reviewSettings.agent], set: { settings, updatedAt } });
}

export async function listGraderLinks(db: Db, projectId: string, agent: string): Promise<GraderLinkRow[]> {
  return db
    .select()
    .from(graderLinks)
    .where(and(eq(graderLinks.projectId, projectId), eq(graderLinks.agent, agent)))
    .orderBy(asc(graderLinks.createdAt))
    .all();
}

/** Inserts the link; returns the existing one when the pair is already linked. */
export async function addGraderLink(db: Db, row: GraderLinkRow): Promise<GraderLinkRow> {
  await db.insert(graderLinks).values(row).onConflictDoNothing();
  const existing = await db
    .select()
    .from(graderLinks)
    .where(
      and(
        eq(graderLinks.projectId, row.projectId),
        eq(graderLinks.graderA, row.graderA),
        eq(graderLinks.graderB, row.graderB),
      ),
    )
    .get();
  return existing ?? row;
}

export async function deleteGraderLink(db: Db, projectId: string, id: string): Promise<boolean> {
  const gone = await db
    .delete(graderLinks)
    .where(and(eq(graderLinks.projectId, projectId), eq(graderLinks.id, id)))
    .returning({ id: graderLinks.id });
  return gone.length > 0;
}

/** The `kind` of each grader version named, read from its stored definition. */
export async function graderKinds(
  db: Db,
  projectId: string,
  graderIds: string[],
): Promise<Map<string, "rule" | "metric" | "judge">> {
  const kinds = new Map<string, "rule" | "metric" | "judge">();
  for (const ids of chunks([...new Set(graderIds)], IDS_PER_STATEMENT - 1)) {
    const rows = await db
      .select({
        graderId: graderVersions.graderId,
        version: graderVersions.version,
        definition: graderVersions.definition,
      })
      .from(graderVersions)
      .where(and(eq(graderVersions.projectId, projectId), inArray(graderVersions.graderId, ids)))
      .all();
    for (const r of rows) {
      const kind = (r.definition as { kind?: string }).kind;
      kinds.set(`${r.graderId}@${r.version}`, kind === "judge" ? "judge" : kind === "metric" ? "metric" : "rule");
    }
  }
  return kinds;
}

export interface VerdictPair {
  graderId: string;
  graderVersion: number;
  traceId: string;
  graderVerdict: "pass" | "fail";
  humanVerdict: "pass" | "fail";
}

/**
 * Every (grader score, human verdict) pair of the agent on the same trace, counting only
 * scores still in force and pass/fail verdicts. One pair per reviewer.
 */
export async function graderHumanPairs(db: Db, projectId: string, agent: string): Promise<VerdictPair[]> {
  const rows = await db
    .select({
      graderId: scores.graderId,
      graderVersion: scores.graderVersion,
      traceId: scores.traceId,
      graderVerdict: scores.verdict,
      humanVerdict: humanVerdicts.verdict,
    })
    .from(humanVerdicts)
    .innerJoin(
      scores,
      and(
        eq(scores.projectId, humanVerdicts.projectId),
        eq(scores.traceId, humanVerdicts.traceId),
        isNull(scores.supersededBy),
      ),
    )
    .where(
      and(
        eq(humanVerdicts.projectId, projectId),
        eq(humanVerdicts.agent, agent),
        or(eq(scores.verdict, "pass"), eq(scores.verdict, "fail")),
      ),
    )
    .all();
  return rows as VerdictPair[];
}

/** Pass/fail verdicts of two graders on the same traces (scores in force). */
export async function linkedPairs(
  db: Db,
  projectId: string,
  agent: string,
  graderA: string,
  graderB: string,
): Promise<{ traceId: string; a: "pass" | "fail"; b: "pass" | "fail" }[]> {
  const rows = await db
    .select({ graderId: scores.graderId, traceId: scores.traceId, verdict: scores.verdict })
    .from(scores)
    .where(
      and(
        eq(scores.projectId, projectId),
        eq(scores.agent, agent),
        isNull(scores.supersededBy),
        inArray(scores.graderId, [graderA, graderB]),
        or(eq(scores.verdict, "pass"), eq(scores.verdict, "fail")),
      ),
    )
    .all();
  const byTrace = new Map<string, { a?: "pass" | "fail"; b?: "pass" | "fail" }>();
  for (const r of rows) {
    if (r.traceId === null) continue;
    const entry = byTrace.get(r.traceId) ?? {};
    if (r.graderId === graderA) entry.a = r.verdict as "pass" | "fail";
    else entry.b = r.verdict as "pass" | "fail";
    byTrace.set(r.traceId, entry);
  }
  return [...byTrace].filter(([, v]) => v.a && v.b).map(([traceId, v]) => ({ traceId, a: v.a!, b: v.b! }));
}
