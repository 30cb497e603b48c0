/**
 * @module Asking the run's pinned judge graders about candidate answers, through the same
 * runner, client, cache and daily token budget the windows use (worker/judge). Nothing is
 * written to a window: the judges' scores go back to the EvalRun only. An unreachable
 * judge or a spent budget is told apart from every other failure, so the run waits and
 * tries again rather than deciding answers without the judge.
 */
import { loadConfig } from "../../worker/config";
import type { Trace } from "../../worker/domain/trace";
import { decideAnswer, type AnswerVerdictRules, type GradedAnswer } from "../../worker/eval/grade-case";
import type { GraderVersion, ScoreResult } from "../../worker/grading";
import { JudgeUnavailableError } from "../../worker/judge/judge-client";
import { judgePorts, judgeRunOptions } from "../../worker/judge/judge-window";
import { JudgeBudgetExhaustedError, type JudgeOutcome, runJudges } from "../../worker/judge/run-judges";
import type { RunJudgeUsage } from "./contract";
import { createDb } from "../../worker/storage/db";

export interface AnswerToJudge {
  trace: Trace;
  ruleScores: ScoreResult[];
}

/** The judge cannot be asked now (outage or budget): the answers wait, the run keeps running. */
export function isJudgeOutage(err: unknown): err is Error {
  return err instanceof JudgeUnavailableError || err instanceof JudgeBudgetExhaustedError;
}

/**
 * Each answer's verdict with the judges' scores, by trace id, and what the judges spent on
 * them. Throws on an outage (see {@link isJudgeOutage}).
 */
export async function judgeAnswers(
  env: Env,
  projectId: string,
  answers: readonly AnswerToJudge[],
  judges: readonly GraderVersion[],
  rules: AnswerVerdictRules,
): Promise<{ graded: Map<string, GradedAnswer>; usage: RunJudgeUsage }> {
  const config = loadConfig(env);
  const now = new Date().toISOString();
  const ruleScores = new Map(answers.map((a) => [a.trace.id, a.ruleScores]));
  const outcomes = await runJudges(
    answers.map((a) => a.trace),
    judges,
    ruleScores,
    judgePorts(createDb(env.DB), config, projectId, now),
    judgeRunOptions(config, projectId),
  );
  const graded = new Map<string, GradedAnswer>();
  for (const answer of answers) {
    const judged = outcomes
      .filter((o) => o.traceId === answer.trace.id)
      .map((o) => ({ score: o.score, unstable: o.unstable }));
    graded.set(answer.trace.id, decideAnswer(answer.ruleScores, judged, rules));
  }
  return { graded, usage: usageOf(outcomes) };
}

/** What the calls behind `outcomes` cost. */
function usageOf(outcomes: readonly JudgeOutcome[]): RunJudgeUsage {
  return addUsage(
    null,
    outcomes
      .filter((o) => o.calls > 0)
      .map((o) => ({
        judged: 1,
        calls: o.calls,
        cachedCalls: o.cachedCalls,
        inputTokens: o.inputTokens,
        outputTokens: o.outputTokens,
        cost: o.cost,
      })),
  );
}

/** `total` (null: nothing yet) plus `more`; the cost stays null until a priced call is added. */
export function addUsage(total: RunJudgeUsage | null, more: readonly RunJudgeUsage[]): RunJudgeUsage {
  const sum = total
    ? { ...total }
    : { judged: 0, calls: 0, cachedCalls: 0, inputTokens: 0, outputTokens: 0, cost: null as number | null };
  for (const u of more) {
    sum.judged += u.judged;
    sum.calls += u.calls;
    sum.cachedCalls += u.cachedCalls;
    sum.inputTokens += u.inputTokens;
    sum.outputTokens += u.outputTokens;
    if (u.cost !== null) sum.cost = (sum.cost ?? 0) + u.cost;
  }
  return sum;
}
