/**
 * @module Turns one candidate answer for one dataset case into a verdict, with the
 * same pure grading code and the same pinned grader versions the windows use. The
 * answer becomes a Trace (the case input, the candidate's output and spans), so a
 * grader sees an eval-run answer exactly as it would see a production trace.
 */
import { z } from "@hono/zod-openapi";
import { spanSchema, type Trace } from "../domain/trace";
import { type GraderVersion, type ScoreResult, finalVerdict, gradeTrace } from "../grading";
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
    metadata: { evalRunId: run.runId, caseId: graded.caseId, repeat },
    tags: ["eval-run"],
    spans: answer.spans ?? [],
  };
}

/**
 * The verdict of one answer: a failing grader fails it, else a passing one passes it.
 * When no pinned grader passes or fails it (all skipped or errored) the result is
 * `error`: nothing judged the answer, so it must not count for or against the candidate.
 */
export function gradeAnswer(trace: Trace, graders: readonly GraderVersion[], expected: unknown): GradedAnswer {
  const scores = gradeTrace(trace, graders, expected === null || expected === undefined ? {} : { reference: expected });
  const verdict = finalVerdict(scores);
  if (verdict === "fail") {
    const failing = scores.filter((score) => score.verdict === "fail");
    return { verdict: "fail", reason: failing.map(describeScore).join("; "), scores };
  }
  if (verdict === "pass") return { verdict: "pass", reason: "every pinned grader that applies passed", scores };
  const errors = scores.filter((score) => score.verdict === "error");
  const reason = errors.length
    ? `no grader could judge the answer: ${errors.map(describeScore).join("; ")}`
    : "no pinned grader applies to this answer";
  return { verdict: "error", reason, scores };
}

function describeScore(score: ScoreResult): string {
  return `${score.graderId}@${score.graderVersion}: ${score.reason}`;
}
