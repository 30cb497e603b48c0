/**
 * @module The D1 adapter: the drizzle factory. D1 allows 100 bound parameters per
 * statement, so multi-row inserts are chunked with `chunkRows` (dataset/chunk.ts);
 * `db.batch()` runs its statements atomically, in order.
 */
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

/**
 * One drizzle instance per binding: drizzle walks the whole schema when it is created,
 * which costs milliseconds, and the instance holds no per-request state.
 */
const instances = new WeakMap<D1Database, ReturnType<typeof newDb>>();

export function createDb(d1: D1Database) {
  let db = instances.get(d1);
  if (!db) {
    db = newDb(d1);
    instances.set(d1, db);
  }
  return db;
}

function newDb(d1: D1Database) {
  return drizzle(d1, { schema });
}
