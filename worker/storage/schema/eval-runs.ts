/**
 * @module D1 tables of the improvement loop: eval runs (one candidate over one dataset
 * version, with the grader versions pinned at its start and its summary once finished)
 * and the fix suggestions made for failure modes. A run's per-(case, repeat) results
 * live in its EvalRun Durable Object, the one place that writes them.
 */
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A pinned grader version (the shape of grader-store's GraderRef, kept here so the schema imports no store). */
interface PinnedGrader {
  graderId: string;
  version: number;
}

export interface CandidateRecord {
  label: string;
  version: string | null;
  endpoint: string | null;
  suggestionIds: string[];
}

export const evalRuns = sqliteTable(
  "eval_runs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    datasetId: text("dataset_id").notNull(),
    datasetVersion: integer("dataset_version").notNull(),
    candidate: text("candidate", { mode: "json" }).$type<CandidateRecord>().notNull(),
    /** `server`: the EvalRun object calls the candidate's endpoint; `client`: the CLI posts answers. */
    mode: text("mode", { enum: ["server", "client"] }).notNull(),
    graders: text("graders", { mode: "json" }).$type<PinnedGrader[]>().notNull(),
    repeats: integer("repeats").notNull(),
    /** The run compared against; null when the dataset itself is the baseline. */
    baselineRunId: text("baseline_run_id"),
    idempotencyKey: text("idempotency_key"),
    status: text("status", { enum: ["running", "completed", "cancelled"] }).notNull(),
    caseCount: integer("case_count").notNull(),
    createdAt: text("created_at").notNull(),
    finishedAt: text("finished_at"),
    acceptedAt: text("accepted_at"),
    improvementRate: real("improvement_rate"),
    regressionCount: integer("regression_count"),
    flakyCount: integer("flaky_count"),
    errorCount: integer("error_count"),
    passRate: real("pass_rate"),
    /** The finished run's RunMetrics (worker/eval/metrics.ts), as the API returns it. */
    summary: text("summary", { mode: "json" }),
  },
  (t) => [
    index("eval_runs_agent_created").on(t.projectId, t.agent, t.createdAt),
    index("eval_runs_accepted").on(t.projectId, t.agent, t.datasetId, t.datasetVersion, t.acceptedAt),
    // The same key returns the first run, even when two retries race.
    uniqueIndex("eval_runs_idempotency").on(t.projectId, t.idempotencyKey),
  ],
);

/** A fix suggested for one failure mode; `triedRunId` names the first eval run whose candidate was built from it. */
export const fixSuggestions = sqliteTable(
  "fix_suggestions",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    agent: text("agent").notNull(),
    modeKey: text("mode_key").notNull(),
    /** `grader_hint`: derived from the grader definition; other sources (an LLM proposer) plug in later. */
    source: text("source").notNull(),
    title: text("title").notNull(),
    detail: text("detail", { mode: "json" }).notNull(),
    createdAt: text("created_at").notNull(),
    triedRunId: text("tried_run_id"),
    triedAt: text("tried_at"),
  },
  (t) => [index("fix_suggestions_agent_mode").on(t.projectId, t.agent, t.modeKey)],
);
