/**
 * @module D1 tables for projects, API keys and the trace index.
 * The trace bytes live in R2; D1 holds what is needed to find, list and check them.
 */
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
});

/** API keys are stored only as SHA-256 hashes; `prefix` lets a human tell keys apart. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
  },
  (t) => [index("api_keys_project").on(t.projectId)],
);

/**
 * One row per trace. `state` moves received -> finished -> graded, or to
 * quarantined when its bytes fail the SHA-256 check.
 */
export const traces = sqliteTable(
  "traces",
  {
    projectId: text("project_id").notNull(),
    id: text("id").notNull(),
    agent: text("agent").notNull(),
    version: text("version"),
    source: text("source").notNull(),
    startTime: text("start_time"),
    endTime: text("end_time"),
    latencyMs: integer("latency_ms"),
    status: text("status").notNull(),
    spanCount: integer("span_count").notNull(),
    sha256: text("sha256").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    r2Key: text("r2_key").notNull(),
    state: text("state").notNull(),
    receivedAt: text("received_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.id] }),
    index("traces_agent_time").on(t.projectId, t.agent, t.startTime),
    index("traces_project_time").on(t.projectId, t.receivedAt),
  ],
);
