/** @module The whole D1 schema; drizzle-kit generates `migrations/` from it (`npm run db:generate`). */
export * from "./core";
export * from "./datasets";
export * from "./grading";
export * from "./site";
export * from "./review";
export * from "./eval-runs";
