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
import { TraceStore } from "../../worker/storage/r2";
import { yieldToIo } from "../../worker/yield-to-io";
import type { FinishedTraceRef, WindowScope } from "./contract";
import { gradeOneTrace, parseTrace } from "./grade-window";

/** R2 reads in flight at once, as when a window is read. */
const READ_CONCURRENCY = 16;

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
  const traces = await readTraces(env, refs);
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

/** Reads and verifies the traces; one that cannot be read is left to its window, which quarantines it. */
async function readTraces(env: Env, refs: readonly FinishedTraceRef[]): Promise<Trace[]> {
  const store = new TraceStore(env.TRACES);
  const traces: Trace[] = [];
  for (let i = 0; i < refs.length; i += READ_CONCURRENCY) {
    if (i > 0) await yieldToIo();
    const read = await Promise.all(
      refs.slice(i, i + READ_CONCURRENCY).map(async (ref) => {
        try {
          const bytes = await store.getVerified(ref.r2Key, ref.sha256);
          return bytes ? parseTrace(bytes, ref.traceId) : null;
        } catch {
          return null;
        }
      }),
    );
    for (const trace of read) if (trace) traces.push(trace);
  }
  return traces;
}
