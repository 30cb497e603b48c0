/**
 * @module Set-up of every integration test file (storage is isolated per file): applies
 * the D1 migrations first, and settles the TraceShards' alarms once the file's tests end.
 */
import { applyD1Migrations, env } from "cloudflare:test";
import { afterAll } from "vitest";
import { settleShards } from "./helpers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

afterAll(settleShards);
