/**
 * @module D1 counters the site's overview reads instead of scanning traces. SQLite
 * triggers on `traces` (migrations/0006_site_rollups.sql) keep them exact, so they are
 * read-only here.
 */
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Traces received per agent and UTC day (`YYYY-MM-DD` of `received_at`). */
export const agentTraceDays = sqliteTable(
  "agent_trace_days",
  {
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    day: text("day").notNull(),
    traces: integer("traces").notNull(),
  },
  // The overview reads the last N days of every agent: by (project, day), not a walk over every day ever.
  (t) => [
    primaryKey({ columns: [t.projectId, t.agent, t.day] }),
    index("agent_trace_days_project_day").on(t.projectId, t.day),
  ],
);

/** Traces per agent and state: how many wait for grading, are graded or quarantined. */
export const agentTraceStates = sqliteTable(
  "agent_trace_states",
  {
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    state: text("state").notNull(),
    traces: integer("traces").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.agent, t.state] })],
);
