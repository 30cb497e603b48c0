/**
 * @module Turns one candidate answer for one dataset case into a verdict, with the
 * same pure grading code and the same pinned grader versions the windows use. The
 * answer becomes a Trace (the case input, the candidate's output and spans), so a
 * grader sees an eval-run answer exactly as it would see a production trace.
 */
import { z } from "@hono/zod-openapi";
import { spanSchema, type Trace } from "../domain/trace";
import { type GraderVersion, type ScoreResult, gradeTrace } from "../grading";
import { decideFinalVerdict, failuresBehind, type VerdictInput } from "../review/final-verdict";
import type { FinalVerdictPolicy } from "../review/review-settings";
import type { ResultVerdict } from "./metrics";

/**
 * What a candidate returns for one case. The CLI's agent function and an HTTP endpoint
 * answer the same way: a JSON object with `output` (and optionally `spans`, `status`,
 * `error`); any other JSON value is taken as the output itself.
 */
export const candidateAnswerSchema = z
  .object({
    output: z.unknown(),
    spans: z.array(spanSchema).optional(),
    status: z.enum(["ok", "error"]).optional(),
    error: z.string().nullish(),
    latencyMs: z.number().nonnegative().optional(),
    // What the agent would have put on a production trace, so graders filtered on
    // metadata or tags apply to an eval answer as they would to that trace.
    metadata: z.record(z.string(), z.unknown()).optional(),
    tags: z.array(z.string().max(200)).max(100).optional(),
  })
  .openapi("CandidateAnswer");
export type CandidateAnswer = z.output<typeof candidateAnswerSchema>;

export interface CaseToGrade {
  caseId: string;
  input: unknown;
  expected: unknown;
}

export interface GradedAnswer {
  verdict: ResultVerdict;
  reason: string;
  scores: ScoreResult[];
}

/** An answer that cannot be graded (timeout, HTTP error, garbage): `error` with the reason, never a pass. */
export const errorAnswer = (reason: string): GradedAnswer => ({ verdict: "error", reason, scores: [] });

/**
 * Reads a raw answer: an object holding `output` is validated as a CandidateAnswer (bad
 * spans make it garbage); anything else is the output itself.
 */
export function readCandidateAnswer(raw: unknown): { answer: CandidateAnswer } | { problem: string } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || !("output" in raw)) {
    return { answer: { output: raw } };
  }
  const parsed = candidateAnswerSchema.safeParse(raw);
  if (parsed.success) return { answer: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `the answer is not valid: ${issue.path.join(".") || "answer"}: ${issue.message}` };
}

/** The trace graders see: the case input and the candidate's answer, stamped with the run. */
export function answerTrace(
  run: { runId: string; agent: string; candidateVersion: string | null },
  graded: CaseToGrade,
  repeat: number,
  answer: CandidateAnswer,
): Trace {
  return {
    id: `${run.runId}:${graded.caseId}:${repeat}`,
    agent: run.agent,
    version: run.candidateVersion,
    input: graded.input,
    output: answer.output,
    status: answer.status ?? (answer.error ? "error" : "ok"),
    error: answer.error ?? null,
    // The run's own keys win over the answer's: a grader can always tell an eval answer.
    metadata: { ...answer.metadata, evalRunId: run.runId, caseId: graded.caseId, repeat },
    tags: [...new Set([...(answer.tags ?? []), "eval-run"])],
    spans: answer.spans ?? [],
  };
}

/** A judge's score on one answer, and whether its samples split. */
export interface JudgedScore {
  score: ScoreResult;
  unstable: boolean;
}

/** How a run decides an answer from its scores: the agent's policy, pinned at the run's start. */
export interface AnswerVerdictRules {
  policy: FinalVerdictPolicy;
  /** `graderId@version` of judges below the calibration bar: shown, not counted, as in the windows. */
  uncalibratedJudges: readonly string[];
}

const WINDOW_DEFAULT_RULES: AnswerVerdictRules = { policy: "human_overrides", uncalibratedJudges: [] };

/**
 * The verdict of one answer with the synchronous graders only (judges are left out: they
 * are asked separately, see {@link decideAnswer}).
 */
export function gradeAnswer(trace: Trace, graders: readonly GraderVersion[], expected: unknown): GradedAnswer {
  return decideAnswer(ruleScoresOf(trace, graders, expected), [], WINDOW_DEFAULT_RULES);
}

/** The synchronous graders' scores of one answer; judge graders are not among them. */
export function ruleScoresOf(trace: Trace, graders: readonly GraderVersion[], expected: unknown): ScoreResult[] {
  const synchronous = graders.filter((g) => (g.definition as { kind?: unknown }).kind !== "judge");
  return gradeTrace(trace, synchronous, expected === null || expected === undefined ? {} : { reference: expected });
}

/**
 * The verdict of one answer, decided as a window decides a trace's final verdict (the
 * same policy, the same judge rules), then made stricter where an eval run must be:
 * a judge that could not judge the answer makes it `error`, never a pass, and so does
 * an unstable judge (its samples split) or an answer nothing passed or failed. An
 * `error` counts neither for nor against the candidate.
 */
export function decideAnswer(
  ruleScores: readonly ScoreResult[],
  judged: readonly JudgedScore[],
  rules: AnswerVerdictRules,
): GradedAnswer {
  const scores = [...ruleScores, ...judged.map((j) => j.score)];
  const judgeErrors = judged.filter((j) => j.score.verdict === "error").map((j) => j.score);
  if (judgeErrors.length > 0) {
    return {
      verdict: "error",
      reason: `the judge could not judge the answer: ${judgeErrors.map(describeScore).join("; ")}`,
      scores,
    };
  }
  const uncalibrated = new Set(rules.uncalibratedJudges);
  const inputs: VerdictInput[] = [
    ...ruleScores.map((s) => ({ ...s, kind: "rule" as const })),
    ...judged.map((j) => ({
      ...j.score,
      kind: "judge" as const,
      unstable: j.unstable,
      uncalibrated: uncalibrated.has(`${j.score.graderId}@${j.score.graderVersion}`),
    })),
  ];
  const decision = decideFinalVerdict(inputs, rules.policy);
  if (decision.verdict === "fail") {
    const failing = failuresBehind(decision);
    return {
      verdict: "fail",
      reason: failing.map((f) => `${f.graderId}@${f.graderVersion}: ${f.reason}`).join("; "),
      scores,
    };
  }
  const unstable = judged.filter((j) => j.unstable).map((j) => j.score);
  if (unstable.length > 0) {
    return {
      verdict: "error",
      reason: `the judge is unstable on this answer, so it is not a pass: ${unstable.map(describeScore).join("; ")}`,
      scores,
    };
  }
  if (decision.verdict === "pass")
    return { verdict: "pass", reason: "every pinned grader that applies passed", scores };
  const errors = scores.filter((score) => score.verdict === "error");
  const reason = errors.length
    ? `no grader could judge the answer: ${errors.map(describeScore).join("; ")}`
    : "no pinned grader applies to this answer";
  return { verdict: "error", reason, scores };
}

function describeScore(score: ScoreResult): string {
  return `${score.graderId}@${score.graderVersion}: ${score.reason}`;
}
