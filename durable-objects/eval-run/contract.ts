/**
 * @module What the EvalRun Durable Object and its callers (routes, tests) exchange. A
 * leaf module: it imports types only from the pure domain, so neither side imports the other.
 */
import type { AnswerVerdictRules, CaseToGrade } from "../../worker/eval/grade-case";
import type { BaselineOutcome, CaseReport, ResultVerdict, RunMetrics } from "../../worker/eval/metrics";
import type { GraderVersion, ScoreResult } from "../../worker/grading";

export interface EvalRunCase extends CaseToGrade {
  guard: boolean;
  baseline: BaselineOutcome;
}

/** Everything a run needs, fixed at its start: the grader versions are pinned here. */
export interface EvalRunSpec {
  runId: string;
  projectId: string;
  agent: string;
  candidateVersion: string | null;
  /** The candidate's HTTP endpoint (server-side run); null when the CLI posts the answers. */
  endpoint: string | null;
  repeats: number;
  concurrency: number;
  /** Per call to the endpoint; an answer later than this is an `error`. */
  timeoutMs: number;
  /** Calls per (case, repeat) at most when the endpoint answers 429/5xx or the connection fails. */
  maxAttempts: number;
  graders: GraderVersion[];
  /** The agent's final-verdict policy and uncalibrated judges at the start (absent in older runs). */
  verdictRules?: AnswerVerdictRules;
  cases: EvalRunCase[];
}

export type EvalRunStatus = "running" | "completed" | "cancelled";

/** One answer the CLI sends: the agent's return value, or the error it threw. */
export interface SubmittedAnswer {
  caseId: string;
  repeat: number;
  answer?: unknown;
  error?: string;
  latencyMs?: number;
}

export interface SubmitOutcome {
  accepted: number;
  /** Already recorded: the first answer of a (case, repeat) wins, so retries count once. */
  duplicates: number;
  rejected: { caseId: string; repeat: number; problem: string }[];
}

export interface CaseResultDetail {
  caseId: string;
  repeat: number;
  verdict: ResultVerdict;
  reason: string;
  attempts: number;
  latencyMs: number | null;
  scores: ScoreResult[];
  /**
   * What the candidate answered, as JSON text (a long one cut, saying so); null when it
   * gave nothing, or when results were not asked for. Text, not a value: it crosses RPC as is.
   */
  outputJson: string | null;
}

/** Longest output kept per result, as JSON text; a longer one is kept cut, and says so. */
export const MAX_STORED_OUTPUT = 4_000;

/** What a report holds beside the metrics; a waiting report answers when the run ends or after `waitMs`. */
export interface ReportOptions {
  /** Every (case, repeat) result with its grader scores and output (default true). */
  results?: boolean;
  /** The per-case outcomes (default true); a poll of progress and metrics leaves them out. */
  cases?: boolean;
  waitMs?: number;
}

export interface EvalRunReport {
  runId: string;
  status: EvalRunStatus;
  /** Whether the finished run's summary is written to D1 (iterations read it there). */
  finalized: boolean;
  metrics: RunMetrics;
  cases: CaseReport[];
  results: CaseResultDetail[] | null;
  /** Answers held because the judge could not be asked (outage or spent budget); null otherwise. */
  waitingForJudge: JudgeWaiting | null;
  /** What the run's judges asked and spent so far; null when no judge is pinned. */
  judgeUsage: RunJudgeUsage | null;
}

/** A run's judge calls, summed over the answers judged so far. */
export interface RunJudgeUsage {
  /** Judged (answer, judge) pairs. */
  judged: number;
  calls: number;
  cachedCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Null unless a judge has `pricing`. */
  cost: number | null;
}

export interface JudgeWaiting {
  reason: string;
  answers: number;
  /** When the run asks the judge again (ISO 8601). */
  retryAt: string;
}
