/**
 * @module Wiring the judge runner to its bindings for one grade window: the HTTP client
 * (key from the JUDGE_API_KEY secret), the D1 cache and token budget, and the judge side
 * of each score stored under the score's own id. Throws when the endpoint is unavailable
 * or the budget is spent, so the AgentWindow keeps the window pending and retries it.
 */
import type { Config } from "../config";
import type { Trace } from "../domain/trace";
import type { GraderVersion, ScoreResult } from "../grading/definitions";
import type { Db } from "../storage/db";
import { judgeTokensUsed, readJudgeCache, saveJudgeCalls, saveJudgeResults } from "../storage/judge-store";
import { scoreId } from "../storage/score-store";
import { JudgeCalls } from "./judge-calls";
import { JudgeClient } from "./judge-client";
import { runJudges, type JudgePorts, type JudgeRunOptions } from "./run-judges";

export interface JudgedWindow {
  projectId: string;
  agent: string;
  windowId: string;
}

/** Runs the window's judges and adds their scores to `traceScores` (in place). */
export async function judgeWindow(
  db: Db,
  config: Config,
  w: JudgedWindow,
  traces: readonly Trace[],
  judges: readonly GraderVersion[],
  traceScores: Map<string, ScoreResult[]>,
  now: string,
  calls?: JudgeCalls,
): Promise<void> {
  if (judges.length === 0 || traces.length === 0) return;
  const outcomes = await runJudges(
    traces,
    judges,
    traceScores,
    judgePorts(db, config, w.projectId, now),
    judgeRunOptions(config, w.projectId),
    calls,
  );
  await saveJudgeResults(
    db,
    outcomes
      .filter((o) => o.calls > 0)
      .map((o) => ({
        scoreId: scoreId(w.windowId, o.traceId, o.score.graderId, o.score.graderVersion),
        projectId: w.projectId,
        agent: w.agent,
        windowId: w.windowId,
        traceId: o.traceId,
        graderId: o.score.graderId,
        graderVersion: o.score.graderVersion,
        model: o.model,
        promptVersion: o.promptVersion,
        samples: o.samples,
        unstable: o.unstable,
        truncated: o.truncated,
        calls: o.calls,
        cachedCalls: o.cachedCalls,
        inputTokens: o.inputTokens,
        outputTokens: o.outputTokens,
        cost: o.cost,
        createdAt: now,
      })),
  );
  for (const o of outcomes) traceScores.get(o.traceId)?.push(o.score);
}

/**
 * The judge's bindings for one project: a client (concurrency cap and retries), the D1
 * cache, and the daily token budget. Every caller that judges (a window, an eval run)
 * goes through these, so they share the cache and the budget.
 */
export function judgePorts(db: Db, config: Config, projectId: string, now: string): JudgePorts {
  // Made on first use: a window that brings the agent's shared JudgeCalls never calls through here.
  let client: JudgeClient | undefined;
  const day = now.slice(0, 10);
  return {
    complete: (call) => (client ??= judgeClientOf(config)).complete(call),
    readCache: (keys) => readJudgeCache(db, keys),
    saveCalls: (entries, tokens) =>
      saveJudgeCalls(
        db,
        projectId,
        entries.map((e) => ({ ...e, projectId, createdAt: now })),
        tokens,
        day,
      ),
    tokensUsedToday: () => judgeTokensUsed(db, projectId, day),
  };
}

export function judgeRunOptions(config: Config, projectId: string): JudgeRunOptions {
  return {
    projectId,
    defaultBaseUrl: config.JUDGE_BASE_URL,
    defaultModel: config.JUDGE_MODEL,
    maxAttempts: config.JUDGE_MAX_ATTEMPTS,
    dailyTokenBudget: config.JUDGE_DAILY_TOKEN_BUDGET,
  };
}

/** The HTTP client with the configured key, timeout, retries and cap on calls in flight. */
export function judgeClientOf(config: Config): JudgeClient {
  return new JudgeClient({
    apiKey: config.JUDGE_API_KEY,
    timeoutMs: config.JUDGE_TIMEOUT_MS,
    maxAttempts: config.JUDGE_MAX_ATTEMPTS,
    concurrency: config.JUDGE_CONCURRENCY,
  });
}

/**
 * One agent's judge calls, kept for as long as its AgentWindow lives: calls asked as
 * traces arrive and calls asked when a window closes share one client, so the cap on calls
 * in flight holds across both, and one call is never made twice. Tokens count against the
 * UTC day on which they are saved.
 */
export function judgeCallsFor(db: Db, config: Config, projectId: string): JudgeCalls {
  const client = judgeClientOf(config);
  return new JudgeCalls(
    (call, options) => client.complete(call, options),
    (entries, tokens) => {
      const now = new Date().toISOString();
      return saveJudgeCalls(
        db,
        projectId,
        entries.map((e) => ({ ...e, projectId, createdAt: now })),
        tokens,
        now.slice(0, 10),
      );
    },
    config.JUDGE_MAX_ATTEMPTS,
  );
}
