/**
 * @module Judging ahead. A judge answers in hundreds of milliseconds with a capped number
 * of calls in flight, so it is the slow part of grading; waiting for a window to close
 * before asking it leaves it idle while the window fills, and again between windows.
 * The AgentWindow therefore puts each finished trace to the agent's current judges as it
 * arrives. Nothing is scored or written here but the judge cache: when the window closes
 * it pins its graders, plans its calls and uses the answers already asked for
 * (JudgeCalls). A trace that fails verification, a judge changed meanwhile, a spent budget
 * or an outage only leaves the window to ask for itself, and its own grading records
 * every score, exactly once.
 */
import { loadConfig } from "../../worker/config";
import type { Trace } from "../../worker/domain/trace";
import type { JudgeCalls } from "../../worker/judge/judge-calls";
import { judgePorts, judgeRunOptions } from "../../worker/judge/judge-window";
import { callsOf, checkJudgeBudget, isJudge, planJudges } from "../../worker/judge/run-judges";
import { createDb } from "../../worker/storage/db";
import { enabledGraderRefs, loadGraderVersions } from "../../worker/storage/grader-store";
import type { FinishedTraceRef, WindowScope } from "./contract";
import { gradeOneTrace, readStoredTraces } from "./grade-window";

/**
 * Plans the judge calls for newly arrived traces and asks those neither asked already nor
 * cached. Resolves once they are asked (not answered); their answers are saved to the
 * cache as they come. Throws when the budget is spent, which the caller ignores.
 */
export async function judgeAhead(
  env: Env,
  scope: WindowScope,
  refs: readonly FinishedTraceRef[],
  calls: JudgeCalls,
): Promise<void> {
  // The endpoint just failed a call: asking ahead now would only add calls bound to fail.
  if (calls.aheadPaused()) return;
  const db = createDb(env.DB);
  const config = loadConfig(env);
  const graders = await loadGraderVersions(
    db,
    scope.projectId,
    await enabledGraderRefs(db, scope.projectId, scope.agent),
  );
  const judges = graders.filter(isJudge);
  if (judges.length === 0) return;
  // One that cannot be read is left to its window, which quarantines it or retries.
  const traces = (await readStoredTraces(env, refs)).filter((t): t is Trace => t !== null);
  // A cascading judge asks only about traces the rules pass, so the rules run here too.
  const cascades = judges.some((j) => (j.definition as { cascade?: unknown }).cascade === true);
  const rules = graders.filter((g) => !isJudge(g));
  const ruleScores = new Map(cascades ? traces.map((t) => [t.id, gradeOneTrace(t, rules)]) : []);
  const plan = await planJudges(traces, judges, ruleScores, judgeRunOptions(config, scope.projectId));
  const planned = [...callsOf(plan).values()].filter((c) => !calls.has(c.key));
  if (planned.length === 0) return;
  const ports = judgePorts(db, config, scope.projectId, new Date().toISOString());
  const cached = await ports.readCache(planned.map((c) => c.key));
  const uncached = planned.filter((c) => !cached.has(c.key) && !calls.has(c.key));
  await checkJudgeBudget(ports, config.JUDGE_DAILY_TOKEN_BUDGET, uncached.length);
  const asked = uncached.map((c) => calls.ask(c, true));
  // Saved once this batch is answered; a window that closes first saves what it used itself.
  Promise.allSettled(asked)
    .then(() => calls.save())
    .catch(() => {});
}
