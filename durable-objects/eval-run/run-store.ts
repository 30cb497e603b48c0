/**
 * @module The EvalRun object's SQLite storage: the run's spec, its cases, one task per
 * (case, repeat) and at most one result per (case, repeat). The result's primary key is
 * what makes a resumed or retried run count every answer once.
 */
import type { Trace } from "../../worker/domain/trace";
import type { EvalCaseRef, ResultVerdict } from "../../worker/eval/metrics";
import type { GraderVersion, ScoreResult } from "../../worker/grading";
import {
  type CaseResultDetail,
  type EvalRunCase,
  type EvalRunSpec,
  type EvalRunStatus,
  MAX_STORED_OUTPUT,
  type RunJudgeUsage,
} from "./contract";

export const EVAL_RUN_SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS cases (
    ord INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE,
    input TEXT NOT NULL,
    expected TEXT NOT NULL,
    guard INTEGER NOT NULL,
    baseline TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS tasks (
    case_id TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL DEFAULT 0,
    last_problem TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (case_id, repeat)
  );
  CREATE INDEX IF NOT EXISTS tasks_due ON tasks (done, next_at, ord);
  CREATE TABLE IF NOT EXISTS results (
    case_id TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    scores TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    latency_ms INTEGER,
    recorded_at INTEGER NOT NULL,
    output TEXT,
    PRIMARY KEY (case_id, repeat)
  );
  CREATE TABLE IF NOT EXISTS unjudged (
    case_id TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    trace TEXT NOT NULL,
    rule_scores TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    latency_ms INTEGER,
    PRIMARY KEY (case_id, repeat)
  );
`;

export interface ResultToRecord {
  caseId: string;
  repeat: number;
  verdict: ResultVerdict;
  reason: string;
  scores: ScoreResult[];
  attempts: number;
  latencyMs: number | null;
  /** The candidate's output (undefined when it gave none: a timeout, an error), kept so a run can show it. */
  output?: unknown;
  /** Set when the run has judge graders: the answer waits for them before it has a verdict. */
  awaitingJudges?: { trace: Trace };
}

/** An answer the synchronous graders scored, waiting for the judges. */
export interface UnjudgedAnswer {
  caseId: string;
  repeat: number;
  trace: Trace;
  ruleScores: ScoreResult[];
  attempts: number;
  latencyMs: number | null;
}

export interface DueTask {
  caseId: string;
  repeat: number;
  attempts: number;
}

type Settings = Omit<EvalRunSpec, "cases" | "graders">;

export class RunStore {
  private cachedGraders: GraderVersion[] | null = null;
  // A run's cases never change once it started, and only this object writes its status:
  // both are read on every call, so they are kept in memory once read.
  private cachedCaseRefs: EvalCaseRef[] | null = null;
  private readonly cachedCases = new Map<string, EvalRunCase>();
  private cachedStatus: EvalRunStatus | null = null;
  /**
   * Every recorded result without its scores and output, by (case, repeat), as the table
   * holds them: read once, then kept up to date by each insert. Metrics and progress need
   * only this, and reading 1,000 rows back cost a finishing run 7 ms of the one thread.
   */
  private ledger: Map<string, CaseResultDetail> | null = null;

  constructor(private readonly sql: SqlStorage) {}

  createSchema(): void {
    this.sql.exec(EVAL_RUN_SCHEMA);
    // Runs started before answers were kept have no output column: add it once.
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(results)").toArray();
    if (!columns.some((c) => c.name === "output")) this.sql.exec("ALTER TABLE results ADD COLUMN output TEXT");
  }

  private meta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? row.value : null;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  started(): boolean {
    return this.meta("settings") !== null;
  }

  /** Stores the spec once; a second start of the same run changes nothing. */
  start(spec: EvalRunSpec): boolean {
    if (this.started()) return false;
    const { cases, graders, ...settings } = spec;
    this.setMeta("graders", JSON.stringify(graders));
    this.setMeta("status", "running");
    // Two statements for the whole dataset, not two per case: a run of thousands of cases starts in milliseconds.
    const rows = JSON.stringify(
      cases.map((c) => [
        c.caseId,
        JSON.stringify(c.input ?? null),
        JSON.stringify(c.expected ?? null),
        c.guard ? 1 : 0,
        c.baseline,
      ]),
    );
    this.sql.exec(
      `INSERT INTO cases (ord, case_id, input, expected, guard, baseline)
       SELECT key, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?)`,
      rows,
    );
    this.sql.exec(
      `WITH RECURSIVE repeats (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM repeats WHERE n + 1 < ?)
       INSERT INTO tasks (case_id, repeat, ord) SELECT case_id, n, ord FROM cases, repeats ORDER BY ord, n`,
      spec.repeats,
    );
    // Written last: a start cut short leaves no settings, so it runs again from the top.
    this.setMeta("settings", JSON.stringify(settings));
    // The cases are at hand: the calls that follow need not read each back from storage.
    this.cachedCaseRefs = cases.map(({ caseId, guard, baseline }) => ({ caseId, guard, baseline }));
    for (const c of cases)
      this.cachedCases.set(c.caseId, { ...c, input: c.input ?? null, expected: c.expected ?? null });
    this.ledger = new Map();
    return true;
  }

  /**
   * Drops what is kept in memory of the tables and the status: after a transaction rolled
   * back, they may hold what it wrote. They are read again when next needed.
   */
  forgetCached(): void {
    this.ledger = null;
    this.cachedStatus = null;
  }

  settings(): Settings | null {
    const raw = this.meta("settings");
    return raw ? (JSON.parse(raw) as Settings) : null;
  }

  /** The pinned grader versions; one array per object lifetime, so compiled graders are reused. */
  graders(): GraderVersion[] {
    this.cachedGraders ??= JSON.parse(this.meta("graders") ?? "[]") as GraderVersion[];
    return this.cachedGraders;
  }

  status(): EvalRunStatus {
    this.cachedStatus ??= (this.meta("status") as EvalRunStatus | null) ?? "running";
    return this.cachedStatus;
  }

  setStatus(status: EvalRunStatus): void {
    this.setMeta("status", status);
    this.cachedStatus = status;
  }

  finalized(): boolean {
    return this.meta("finalized") === "1";
  }

  markFinalized(): void {
    this.setMeta("finalized", "1");
  }

  /** What the metrics need of each case, without parsing inputs. */
  caseRefs(): EvalCaseRef[] {
    this.cachedCaseRefs ??= this.sql
      .exec<{ case_id: string; guard: number; baseline: string }>(
        "SELECT case_id, guard, baseline FROM cases ORDER BY ord",
      )
      .toArray()
      .map((row) => ({
        caseId: row.case_id,
        guard: row.guard === 1,
        baseline: row.baseline as EvalCaseRef["baseline"],
      }));
    return this.cachedCaseRefs;
  }

  caseById(caseId: string): EvalRunCase | undefined {
    const cached = this.cachedCases.get(caseId);
    if (cached) return cached;
    const row = this.sql
      .exec<{ input: string; expected: string; guard: number; baseline: string }>(
        "SELECT input, expected, guard, baseline FROM cases WHERE case_id = ?",
        caseId,
      )
      .toArray()[0];
    if (!row) return undefined;
    const item: EvalRunCase = {
      caseId,
      input: JSON.parse(row.input),
      expected: JSON.parse(row.expected),
      guard: row.guard === 1,
      baseline: row.baseline as EvalRunCase["baseline"],
    };
    this.cachedCases.set(caseId, item);
    return item;
  }

  /** Tasks due now, oldest case first, leaving out the ones already being called. */
  dueTasks(now: number, limit: number, skip: ReadonlySet<string>): DueTask[] {
    return this.sql
      .exec<{ case_id: string; repeat: number; attempts: number }>(
        "SELECT case_id, repeat, attempts FROM tasks WHERE done = 0 AND next_at <= ? ORDER BY next_at, ord, repeat LIMIT ?",
        now,
        limit + skip.size,
      )
      .toArray()
      .filter((row) => !skip.has(taskKey(row.case_id, row.repeat)))
      .slice(0, limit)
      .map((row) => ({ caseId: row.case_id, repeat: row.repeat, attempts: row.attempts }));
  }

  /**
   * Counts an attempt for each task before it is called, in one statement for the whole
   * claim: an object that dies mid-call has still used the attempt, so a case that kills
   * the object cannot be retried for ever, and one write per claim rather than per call
   * keeps storage commits (and the output gate they hold calls behind) off the hot path.
   */
  claimAttempts(tasks: DueTask[]): void {
    if (tasks.length === 0) return;
    this.sql.exec(
      `UPDATE tasks SET attempts = attempts + 1
       WHERE (case_id, repeat) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
      JSON.stringify(tasks.map((task) => [task.caseId, task.repeat])),
    );
    for (const task of tasks) task.attempts++;
  }

  scheduleRetry(task: DueTask, at: number, problem: string): void {
    this.sql.exec(
      "UPDATE tasks SET next_at = ?, last_problem = ? WHERE case_id = ? AND repeat = ? AND done = 0",
      at,
      problem,
      task.caseId,
      task.repeat,
    );
  }

  /** Records the first result of a (case, repeat); returns false when one is already recorded. */
  recordResult(result: ResultToRecord): boolean {
    return this.recordResults([result]) > 0;
  }

  /**
   * Records graded answers in two statements for the whole batch (in the caller's
   * transaction); an answer whose (case, repeat) already has a result is dropped.
   * Returns how many were recorded.
   */
  recordResults(results: readonly ResultToRecord[]): number {
    if (results.length === 0) return 0;
    const now = Date.now();
    const rows = JSON.stringify(
      results.map((r) => [
        r.caseId,
        r.repeat,
        r.verdict,
        r.reason,
        JSON.stringify(r.scores),
        r.attempts,
        r.latencyMs === null ? null : Math.round(r.latencyMs),
        storedOutput(r.output),
      ]),
    );
    const inserted = this.sql.exec(
      `INSERT INTO results (case_id, repeat, verdict, reason, scores, attempts, latency_ms, recorded_at, output)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, ?, value ->> 7
       FROM json_each(?) WHERE true ON CONFLICT (case_id, repeat) DO NOTHING`,
      now,
      rows,
    );
    this.sql.exec(
      `UPDATE tasks SET done = 1
       WHERE (case_id, repeat) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
      rows,
    );
    // As the insert did: the first result of a (case, repeat) stays, a later one is dropped.
    for (const r of this.ledger ? results : []) {
      const key = taskKey(r.caseId, r.repeat);
      if (!this.ledger!.has(key)) this.ledger!.set(key, resultDetail(r, false));
    }
    return inserted.rowsWritten;
  }

  /**
   * Keeps an answer until the judges have seen it; its task is done (the candidate is not
   * called again). Returns false when the (case, repeat) already has a result or an answer.
   */
  recordUnjudged(result: ResultToRecord & { awaitingJudges: { trace: Trace } }): boolean {
    const taken = this.sql
      .exec("SELECT 1 FROM results WHERE case_id = ? AND repeat = ?", result.caseId, result.repeat)
      .toArray().length;
    if (taken > 0) return false;
    const cursor = this.sql.exec(
      `INSERT INTO unjudged (case_id, repeat, trace, rule_scores, attempts, latency_ms)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, repeat) DO NOTHING`,
      result.caseId,
      result.repeat,
      JSON.stringify(result.awaitingJudges.trace),
      JSON.stringify(result.scores),
      result.attempts,
      result.latencyMs === null ? null : Math.round(result.latencyMs),
    );
    this.sql.exec("UPDATE tasks SET done = 1 WHERE case_id = ? AND repeat = ?", result.caseId, result.repeat);
    return cursor.rowsWritten > 0;
  }

  unjudged(limit: number): UnjudgedAnswer[] {
    return this.sql
      .exec<{
        case_id: string;
        repeat: number;
        trace: string;
        rule_scores: string;
        attempts: number;
        latency_ms: number | null;
      }>("SELECT * FROM unjudged ORDER BY case_id, repeat LIMIT ?", limit)
      .toArray()
      .map((row) => ({
        caseId: row.case_id,
        repeat: row.repeat,
        trace: JSON.parse(row.trace) as Trace,
        ruleScores: JSON.parse(row.rule_scores) as ScoreResult[],
        attempts: row.attempts,
        latencyMs: row.latency_ms,
      }));
  }

  unjudgedCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM unjudged").one().n;
  }

  /** Records the judged answer's result and lets go of the answer, in the caller's transaction. */
  recordJudged(result: ResultToRecord): void {
    this.recordResult(result);
    this.sql.exec("DELETE FROM unjudged WHERE case_id = ? AND repeat = ?", result.caseId, result.repeat);
  }

  /** Why and until when judging waits after an outage; null when it does not. */
  judgeWait(): { until: number; failures: number; problem: string } | null {
    const raw = this.meta("judge_wait");
    return raw ? (JSON.parse(raw) as { until: number; failures: number; problem: string }) : null;
  }

  /** What the run's judges asked and spent so far; null before the first judged answer. */
  judgeUsage(): RunJudgeUsage | null {
    const raw = this.meta("judge_usage");
    return raw === null ? null : (JSON.parse(raw) as RunJudgeUsage);
  }

  setJudgeUsage(usage: RunJudgeUsage): void {
    this.setMeta("judge_usage", JSON.stringify(usage));
  }

  setJudgeWait(wait: { until: number; failures: number; problem: string } | null): void {
    if (wait) this.setMeta("judge_wait", JSON.stringify(wait));
    else this.sql.exec("DELETE FROM meta WHERE key = 'judge_wait'");
  }

  hasTask(caseId: string, repeat: number): boolean {
    return this.sql.exec("SELECT 1 FROM tasks WHERE case_id = ? AND repeat = ?", caseId, repeat).toArray().length > 0;
  }

  pendingCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tasks WHERE done = 0").one().n;
  }

  /** When the next pending task is due; null when none is pending. */
  nextDueAt(): number | null {
    const row = this.sql.exec<{ at: number | null }>("SELECT min(next_at) AS at FROM tasks WHERE done = 0").one();
    return row.at;
  }

  /** Every result; `withScores: false` leaves the grader scores and the output out, which is what metrics need. */
  results(withScores = true): CaseResultDetail[] {
    if (!withScores) {
      this.ledger ??= new Map(this.readResults(false).map((r) => [taskKey(r.caseId, r.repeat), r]));
      return [...this.ledger.values()];
    }
    return this.readResults(true);
  }

  private readResults(withScores: boolean): CaseResultDetail[] {
    const columns = withScores ? "scores, output" : "'[]' AS scores, NULL AS output";
    return this.sql
      .exec<{
        case_id: string;
        repeat: number;
        verdict: string;
        reason: string;
        scores: string;
        attempts: number;
        latency_ms: number | null;
        output: string | null;
      }>(`SELECT case_id, repeat, verdict, reason, ${columns}, attempts, latency_ms FROM results`)
      .toArray()
      .map((row) => ({
        caseId: row.case_id,
        repeat: row.repeat,
        verdict: row.verdict as ResultVerdict,
        reason: row.reason,
        attempts: row.attempts,
        latencyMs: row.latency_ms,
        scores: JSON.parse(row.scores) as ScoreResult[],
        outputJson: row.output,
      }));
  }
}

/** A result as the table gives it back; without scores, as the metrics see it: no scores, no output. */
export const resultDetail = (r: ResultToRecord, withScores: boolean): CaseResultDetail => ({
  caseId: r.caseId,
  repeat: r.repeat,
  verdict: r.verdict,
  reason: r.reason,
  attempts: r.attempts,
  latencyMs: r.latencyMs === null ? null : Math.round(r.latencyMs),
  scores: withScores ? r.scores : [],
  outputJson: withScores ? storedOutput(r.output) : null,
});

export const taskKey = (caseId: string, repeat: number) => `${caseId}\u0000${repeat}`;

/** An output as stored: JSON text, null when there was none; a long one cut to a string that says how long it was. */
export function storedOutput(output: unknown): string | null {
  if (output === undefined) return null;
  const json = JSON.stringify(output) ?? null;
  if (json === null || json.length <= MAX_STORED_OUTPUT) return json;
  return JSON.stringify(`${json.slice(0, MAX_STORED_OUTPUT)}… (cut: ${json.length} characters of JSON)`);
}
