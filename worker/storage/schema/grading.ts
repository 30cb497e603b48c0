/**
 * @module D1 tables of grading: graders and their immutable versions, scores (one per
 * trace, grader and grader version, or per window for window-level graders) and the
 * rollup of every graded window. Window configuration lives in the AgentWindow
 * Durable Object, which is the one place that applies it.
 */
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A grader of one agent. `currentVersion` is what new windows run; older versions stay readable. */
export const graders = sqliteTable(
  "graders",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    name: text("name").notNull(),
    currentVersion: integer("current_version").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("graders_project_agent").on(t.projectId, t.agent)],
);

/** Never updated: editing a grader inserts the next version, so every score can name what judged it. */
export const graderVersions = sqliteTable(
  "grader_versions",
  {
    graderId: text("grader_id").notNull(),
    version: integer("version").notNull(),
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    definition: text("definition", { mode: "json" }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.graderId, t.version] })],
);

/**
 * One score. The id is derived from (window, trace, grader, version), so a window graded
 * again after a crash inserts nothing new. `supersededBy` names the later window that
 * graded a re-finished trace again; superseded scores are kept but never counted.
 */
export const scores = sqliteTable(
  "scores",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    windowId: text("window_id").notNull(),
    /** Null for a window-level grader's score (e.g. a latency percentile). */
    traceId: text("trace_id"),
    graderId: text("grader_id").notNull(),
    graderVersion: integer("grader_version").notNull(),
    verdict: text("verdict", { enum: ["pass", "fail", "skipped", "error"] }).notNull(),
    score: real("score"),
    reason: text("reason").notNull(),
    gradedAt: text("graded_at").notNull(),
    supersededBy: text("superseded_by"),
  },
  (t) => [
    index("scores_trace").on(t.projectId, t.traceId),
    index("scores_window").on(t.windowId),
    index("scores_agent_grader_time").on(t.projectId, t.agent, t.graderId, t.graderVersion, t.gradedAt),
  ],
);

/** A graded window and its rollup (recomputed from the scores above on every attempt). */
export const gradeWindows = sqliteTable(
  "grade_windows",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    seq: integer("seq").notNull(),
    openedAt: text("opened_at").notNull(),
    closedAt: text("closed_at").notNull(),
    gradedAt: text("graded_at"),
    /** `{traceId: latencyMs | null}` of the graded traces: the rollup's denominator and latencies. */
    members: text("members", { mode: "json" }).$type<Record<string, number | null>>().notNull(),
    quarantined: integer("quarantined").notNull(),
    minGraded: integer("min_graded").notNull(),
    traceCount: integer("trace_count"),
    gradedCount: integer("graded_count"),
    passCount: integer("pass_count"),
    passRate: real("pass_rate"),
    insufficient: integer("insufficient", { mode: "boolean" }),
    /** The full WindowRollup plus window-level scores, as the API returns it. */
    rollup: text("rollup", { mode: "json" }),
  },
  (t) => [index("grade_windows_agent_closed").on(t.projectId, t.agent, t.closedAt)],
);
