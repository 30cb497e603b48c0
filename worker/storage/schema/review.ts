/**
 * @module D1 tables of LLM judging and human review: what each judge call cost and said,
 * the cache of identical judge calls, each project's judge tokens per day, the review
 * queue and its human verdicts, each trace's final verdict with the scores behind it,
 * per-agent review settings and links between graders that judge the same criterion.
 */
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** The judge side of one judge score (same id as the score): model, prompt version, samples, tokens, cost. */
export const judgeResults = sqliteTable(
  "judge_results",
  {
    scoreId: text("score_id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    windowId: text("window_id").notNull(),
    traceId: text("trace_id").notNull(),
    graderId: text("grader_id").notNull(),
    graderVersion: integer("grader_version").notNull(),
    model: text("model").notNull(),
    promptVersion: text("prompt_version").notNull(),
    samples: text("samples", { mode: "json" }).notNull(),
    unstable: integer("unstable", { mode: "boolean" }).notNull(),
    truncated: text("truncated", { mode: "json" }).$type<string[]>().notNull(),
    calls: integer("calls").notNull(),
    cachedCalls: integer("cached_calls").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cost: real("cost"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("judge_results_window").on(t.windowId), index("judge_results_trace").on(t.projectId, t.traceId)],
);

/** Answers of identical judge calls, keyed by a hash of (project, judge version, sample, rendered prompt). */
export const judgeCache = sqliteTable("judge_cache", {
  key: text("key").primaryKey(),
  projectId: text("project_id").notNull(),
  text: text("text").notNull(),
  inputTokens: integer("input_tokens").notNull(),
  outputTokens: integer("output_tokens").notNull(),
  createdAt: text("created_at").notNull(),
});

/** Judge tokens spent per project and UTC day, checked against JUDGE_DAILY_TOKEN_BUDGET. */
export const judgeUsage = sqliteTable(
  "judge_usage",
  {
    projectId: text("project_id").notNull(),
    day: text("day").notNull(),
    tokens: integer("tokens").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.day] })],
);

/** A trace waiting for (or given) a human verdict, and why it was queued. */
export const reviewItems = sqliteTable(
  "review_items",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    traceId: text("trace_id").notNull(),
    reason: text("reason", { enum: ["disputed", "sampled", "user"] }).notNull(),
    detail: text("detail").notNull(),
    state: text("state", { enum: ["pending", "reviewed"] }).notNull(),
    createdAt: text("created_at").notNull(),
    reviewedAt: text("reviewed_at"),
  },
  (t) => [
    uniqueIndex("review_items_trace_reason").on(t.projectId, t.traceId, t.reason),
    index("review_items_queue").on(t.projectId, t.state, t.agent, t.createdAt),
  ],
);

/** A human score: one per item and reviewer (a repeat with the same verdict is a no-op). */
export const humanVerdicts = sqliteTable(
  "human_verdicts",
  {
    itemId: text("item_id").notNull(),
    reviewer: text("reviewer").notNull(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    traceId: text("trace_id").notNull(),
    verdict: text("verdict", { enum: ["pass", "fail"] }).notNull(),
    score: real("score"),
    note: text("note"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.reviewer] }), index("human_verdicts_trace").on(t.projectId, t.traceId)],
);

/** A trace's final verdict under its agent's policy, with the scores behind it; recomputed, never edited. */
export const traceVerdicts = sqliteTable(
  "trace_verdicts",
  {
    projectId: text("project_id").notNull(),
    traceId: text("trace_id").notNull(),
    agent: text("agent").notNull(),
    windowId: text("window_id").notNull(),
    verdict: text("verdict", { enum: ["pass", "fail", "none"] }).notNull(),
    disputed: integer("disputed", { mode: "boolean" }).notNull(),
    decision: text("decision", { mode: "json" }).notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.traceId] }), index("trace_verdicts_window").on(t.windowId)],
);

/** Per-agent review settings set through the API (policy, sampling, calibration); defaults come from config. */
export const reviewSettings = sqliteTable(
  "review_settings",
  {
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    settings: text("settings", { mode: "json" }).notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.agent] })],
);

/** Two graders of one agent that judge the same criterion: their disagreement on a trace is a dispute. */
export const graderLinks = sqliteTable(
  "grader_links",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    graderA: text("grader_a").notNull(),
    graderB: text("grader_b").notNull(),
    criterion: text("criterion").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("grader_links_pair").on(t.projectId, t.graderA, t.graderB)],
);
