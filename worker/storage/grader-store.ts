/**
 * @module D1 access for graders and their immutable versions. An edit inserts the next
 * version and moves `current_version` in one atomic batch; the update is conditional on
 * the version the edit started from, so two racing edits cannot both claim a number.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { GraderDefinitionInput, GraderVersion } from "../grading";
import type { Db } from "./db";
import { graders, graderVersions } from "./schema";

export type GraderRow = typeof graders.$inferSelect;
export type GraderVersionRow = typeof graderVersions.$inferSelect;

/** A grader as the API shows it: its current version's name and definition inlined. */
export interface GraderView {
  id: string;
  agent: string;
  name: string;
  version: number;
  enabled: boolean;
  definition: unknown;
  createdAt: string;
  updatedAt: string;
}

/** Which version of which grader a window runs; pinned when the window closes. */
export interface GraderRef {
  graderId: string;
  version: number;
}

const toView = (g: GraderRow, v: GraderVersionRow): GraderView => ({
  id: g.id,
  agent: g.agent,
  name: v.name,
  version: v.version,
  enabled: g.enabled,
  definition: v.definition,
  createdAt: g.createdAt,
  updatedAt: g.updatedAt,
});

export async function createGrader(
  db: Db,
  input: { projectId: string; agent: string; name: string; definition: GraderDefinitionInput },
): Promise<GraderView> {
  const now = new Date().toISOString();
  const grader: GraderRow = {
    id: `grd_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`,
    projectId: input.projectId,
    agent: input.agent,
    name: input.name,
    currentVersion: 1,
    enabled: true,
    createdAt: now,
    updatedAt: now,
  };
  const version: GraderVersionRow = {
    graderId: grader.id,
    version: 1,
    projectId: input.projectId,
    name: input.name,
    definition: input.definition,
    createdAt: now,
  };
  await db.batch([db.insert(graders).values(grader), db.insert(graderVersions).values(version)]);
  return toView(grader, version);
}

export async function findGrader(db: Db, projectId: string, id: string): Promise<GraderView | undefined> {
  const row = await db
    .select()
    .from(graders)
    .innerJoin(
      graderVersions,
      and(eq(graderVersions.graderId, graders.id), eq(graderVersions.version, graders.currentVersion)),
    )
    .where(and(eq(graders.projectId, projectId), eq(graders.id, id)))
    .get();
  return row ? toView(row.graders, row.grader_versions) : undefined;
}

export async function listGraders(db: Db, projectId: string, agent?: string): Promise<GraderView[]> {
  const conditions = [eq(graders.projectId, projectId)];
  if (agent !== undefined) conditions.push(eq(graders.agent, agent));
  const rows = await db
    .select()
    .from(graders)
    .innerJoin(
      graderVersions,
      and(eq(graderVersions.graderId, graders.id), eq(graderVersions.version, graders.currentVersion)),
    )
    .where(and(...conditions))
    .orderBy(asc(graders.agent), asc(graders.createdAt), asc(graders.id))
    .all();
  return rows.map((r) => toView(r.graders, r.grader_versions));
}

export async function listGraderVersions(db: Db, projectId: string, id: string): Promise<GraderVersionRow[]> {
  return db
    .select()
    .from(graderVersions)
    .where(and(eq(graderVersions.projectId, projectId), eq(graderVersions.graderId, id)))
    .orderBy(asc(graderVersions.version))
    .all();
}

/**
 * Makes version `from + 1`. Returns undefined when another edit got there first (the
 * version's primary key or the conditional update refuses it, and the batch rolls back).
 */
export async function addGraderVersion(
  db: Db,
  current: GraderView,
  projectId: string,
  change: { name: string; definition: GraderDefinitionInput },
): Promise<GraderView | undefined> {
  const now = new Date().toISOString();
  const next = current.version + 1;
  try {
    const [, updated] = await db.batch([
      db.insert(graderVersions).values({
        graderId: current.id,
        version: next,
        projectId,
        name: change.name,
        definition: change.definition,
        createdAt: now,
      }),
      db
        .update(graders)
        .set({ currentVersion: next, name: change.name, updatedAt: now })
        .where(
          and(
            eq(graders.projectId, projectId),
            eq(graders.id, current.id),
            eq(graders.currentVersion, current.version),
          ),
        )
        .returning({ id: graders.id }),
    ]);
    if (updated.length === 0) return undefined;
  } catch (err) {
    if (String(err).includes("UNIQUE") || String(err).includes("PRIMARY KEY")) return undefined;
    throw err;
  }
  return findGrader(db, projectId, current.id);
}

export async function setGraderEnabled(db: Db, projectId: string, id: string, enabled: boolean): Promise<void> {
  await db
    .update(graders)
    .set({ enabled, updatedAt: new Date().toISOString() })
    .where(and(eq(graders.projectId, projectId), eq(graders.id, id)));
}

/** The current versions of the agent's enabled graders: what a window closing now runs. */
export async function enabledGraderRefs(db: Db, projectId: string, agent: string): Promise<GraderRef[]> {
  const rows = await db
    .select({ graderId: graders.id, version: graders.currentVersion })
    .from(graders)
    .where(and(eq(graders.projectId, projectId), eq(graders.agent, agent), eq(graders.enabled, true)))
    .orderBy(asc(graders.createdAt), asc(graders.id))
    .all();
  return rows;
}

/**
 * Loads pinned versions as `GraderVersion` objects. The caller keeps these objects for a
 * whole window: the grading domain caches compiled graders (regexes, JSON Schemas) per object.
 */
export async function loadGraderVersions(db: Db, projectId: string, refs: GraderRef[]): Promise<GraderVersion[]> {
  if (refs.length === 0) return [];
  const ids = [...new Set(refs.map((r) => r.graderId))];
  const rows = await db
    .select()
    .from(graderVersions)
    .where(and(eq(graderVersions.projectId, projectId), inArray(graderVersions.graderId, ids)))
    .all();
  const byKey = new Map(rows.map((r) => [`${r.graderId}\u0000${r.version}`, r]));
  return refs.map((ref) => {
    const row = byKey.get(`${ref.graderId}\u0000${ref.version}`);
    if (!row) throw new Error(`grader ${ref.graderId} version ${ref.version} is missing from D1`);
    return {
      graderId: row.graderId,
      version: row.version,
      name: row.name,
      definition: row.definition as GraderDefinitionInput,
    };
  });
}
