/**
 * @module Projects and their API keys in D1. A key is shown once, at creation; only
 * its SHA-256 is stored. Verified keys are cached briefly per isolate so the ingest
 * hot path does not read D1 on every request; revoking a key clears it from this
 * isolate's cache at once (other isolates within KEY_CACHE_SECONDS).
 */
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./db";
import { constantTimeEqual, sha256Hex } from "./hash";
import { apiKeys, projects } from "./schema";

export interface KeyOwner {
  projectId: string;
  keyId: string;
}

const KEY_PREFIX = "fw_";
const cache = new Map<string, KeyOwner & { expiresAt: number }>();

function randomToken(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export const newId = (prefix: string) => `${prefix}_${randomToken(12)}`;

export async function createProject(db: Db, name: string) {
  const now = new Date().toISOString();
  const project = { id: newId("prj"), name, createdAt: now };
  const key = await newKeyRow(project.id, now);
  await db.batch([db.insert(projects).values(project), db.insert(apiKeys).values(key.row)]);
  return { project, apiKey: key.secret, keyId: key.row.id };
}

export async function createKey(db: Db, projectId: string) {
  const key = await newKeyRow(projectId, new Date().toISOString());
  await db.insert(apiKeys).values(key.row);
  return { apiKey: key.secret, keyId: key.row.id, prefix: key.row.prefix, createdAt: key.row.createdAt };
}

async function newKeyRow(projectId: string, createdAt: string) {
  const secret = `${KEY_PREFIX}${randomToken(32)}`;
  return {
    secret,
    row: {
      id: newId("key"),
      projectId,
      keyHash: await sha256Hex(secret),
      prefix: secret.slice(0, 10),
      createdAt,
      revokedAt: null,
    },
  };
}

export async function findProject(db: Db, projectId: string) {
  return db.select().from(projects).where(eq(projects.id, projectId)).get();
}

export async function listProjects(db: Db) {
  return db.select().from(projects).orderBy(projects.createdAt).all();
}

export async function listKeys(db: Db, projectId: string) {
  return db
    .select({ id: apiKeys.id, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.projectId, projectId))
    .orderBy(apiKeys.createdAt)
    .all();
}

/** Returns false when the key does not exist in that project or was already revoked. */
export async function revokeKey(db: Db, projectId: string, keyId: string): Promise<boolean> {
  const result = await db
    .update(apiKeys)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.projectId, projectId), isNull(apiKeys.revokedAt)))
    .returning({ keyHash: apiKeys.keyHash });
  for (const { keyHash } of result) cache.delete(keyHash);
  return result.length > 0;
}

/**
 * The project a presented key belongs to, or null. The lookup is by hash, so the
 * secret itself is never compared; the hash comparison is constant-time anyway.
 */
export async function verifyKey(db: Db, presented: string, cacheSeconds: number): Promise<KeyOwner | null> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length > 200) return null;
  const hash = await sha256Hex(presented);
  const cached = cache.get(hash);
  if (cached && cached.expiresAt > Date.now()) return { projectId: cached.projectId, keyId: cached.keyId };
  const row = await db
    .select({ id: apiKeys.id, projectId: apiKeys.projectId, keyHash: apiKeys.keyHash })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
    .get();
  if (!row || !constantTimeEqual(row.keyHash, hash)) {
    cache.delete(hash);
    return null;
  }
  const owner = { projectId: row.projectId, keyId: row.id };
  if (cacheSeconds > 0) cache.set(hash, { ...owner, expiresAt: Date.now() + cacheSeconds * 1000 });
  return owner;
}
