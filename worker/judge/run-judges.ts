/**
 * @module Judging a set of traces: every applicable (trace, judge, sample) becomes one
 * call ({@link planJudges}); calls already asked for through {@link JudgeCalls} (as the
 * traces arrived) are used, identical calls (same judge version, same rendered prompt,
 * same sample) are answered from the cache, and the rest go to the endpoint through the
 * client's concurrency cap. A reply that does not parse is asked again up to
 * `maxAttempts`, then the trace gets an `error` score. An unreachable endpoint or a spent
 * budget throws, and the caller leaves the window pending: answers already paid for are
 * cached first, so the retry does not pay twice. Storage and HTTP come in through
 * {@link JudgePorts}.
 */
import type { Trace } from "../domain/trace";
import type { GraderVersion, ScoreResult } from "../grading/definitions";
import { compileFilter } from "../grading/filter";
import { sha256Hex } from "../storage/hash";
import { combineSamples } from "./combine-samples";
import { type CachedAnswer, type JudgeAnswer, JudgeCalls, type PlannedCall, type UsedAnswer } from "./judge-calls";
import { JudgeUnavailableError, type JudgeCall, type JudgeReply } from "./judge-client";
import { judgeGraderSchema, type JudgeDefinition } from "./judge-definition";
import { parseJudgeAnswer, type JudgeSample } from "./parse-answer";
import { JUDGE_PROMPT_VERSION, renderJudgePrompt } from "./prompt";

export type { CachedAnswer } from "./judge-calls";

export interface JudgePorts {
  complete(call: JudgeCall): Promise<JudgeReply>;
  readCache(keys: string[]): Promise<Map<string, CachedAnswer>>;
  /** Persists new answers and the tokens spent on them (called even when the run then fails). */
  saveCalls(entries: (CachedAnswer & { key: string })[], tokensSpent: number): Promise<void>;
  tokensUsedToday(): Promise<number>;
}

export interface JudgeRunOptions {
  projectId: string;
  defaultBaseUrl: string;
  defaultModel: string;
  maxAttempts: number;
  dailyTokenBudget: number;
}

export interface JudgeOutcome {
  traceId: string;
  score: ScoreResult;
  model: string;
  promptVersion: string;
  samples: (JudgeSample | { error: string })[];
  unstable: boolean;
  truncated: string[];
  calls: number;
  cachedCalls: number;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
}

/** The project's judge budget for today is spent: judging waits (the window stays pending). */
export class JudgeBudgetExhaustedError extends Error {
  override name = "JudgeBudgetExhaustedError";
}

export function isJudge(grader: GraderVersion): boolean {
  return (grader.definition as { kind?: unknown }).kind === "judge";
}

/** The JSON Schema of the answer, sent as `response_format` to endpoints that take one. */
function answerSchema(def: JudgeDefinition): Record<string, unknown> {
  const verdictOrScore = def.rubric.scale
    ? { score: { type: "number", minimum: def.rubric.scale.min, maximum: def.rubric.scale.max } }
    : { verdict: { type: "string", enum: ["pass", "fail"] } };
  return {
    type: "object",
    properties: { ...verdictOrScore, reason: { type: "string" } },
    required: [...Object.keys(verdictOrScore), "reason"],
    additionalProperties: false,
  };
}

interface Task {
  trace: Trace;
  grader: GraderVersion;
  def: JudgeDefinition;
  model: string;
  truncated: string[];
  calls: PlannedCall[];
}

/** What judging a set of traces takes: the calls per (trace, judge), and the outcomes that need none. */
export interface JudgePlan {
  tasks: Task[];
  /** Traces a judge does not ask about: an invalid definition, or a cascade a rule already failed. */
  outcomes: JudgeOutcome[];
}

/**
 * Plans the calls that judge `traces` with `judges`: one per (trace, judge, sample), keyed
 * by everything that shapes the answer. `ruleScores` holds each trace's synchronous scores,
 * so a cascading judge skips traces a rule already failed.
 */
export async function planJudges(
  traces: readonly Trace[],
  judges: readonly GraderVersion[],
  ruleScores: ReadonlyMap<string, readonly ScoreResult[]>,
  options: Pick<JudgeRunOptions, "projectId" | "defaultBaseUrl" | "defaultModel">,
): Promise<JudgePlan> {
  const outcomes: JudgeOutcome[] = [];
  const tasks: Task[] = [];
  for (const grader of judges) {
    const parsed = judgeGraderSchema.safeParse(grader.definition);
    const base = { graderId: grader.graderId, graderVersion: grader.version };
    if (!parsed.success) {
      for (const trace of traces) {
        outcomes.push(
          emptyOutcome(trace.id, { ...base, verdict: "error", score: null, reason: "invalid judge definition" }, ""),
        );
      }
      continue;
    }
    const def = parsed.data;
    const applies = compileFilter(def.filter);
    const model = def.model ?? options.defaultModel;
    for (const trace of traces) {
      if (!applies(trace)) continue;
      if (def.cascade && (ruleScores.get(trace.id) ?? []).some((s) => s.verdict === "fail")) {
        const reason = "cascade: a rule already failed this trace, so the judge was not asked";
        outcomes.push(emptyOutcome(trace.id, { ...base, verdict: "skipped", score: null, reason }, model));
        continue;
      }
      const prompt = renderJudgePrompt(def, trace);
      const calls: PlannedCall[] = [];
      for (let sample = 0; sample < def.samples; sample++) {
        const call: JudgeCall = {
          baseUrl: def.baseUrl ?? options.defaultBaseUrl,
          model,
          temperature: def.temperature,
          messages: prompt.messages,
          answerSchema: answerSchema(def),
        };
        const key = await sha256Hex(
          JSON.stringify([
            options.projectId,
            grader.graderId,
            grader.version,
            JUDGE_PROMPT_VERSION,
            call.baseUrl,
            model,
            def.temperature,
            sample,
            prompt.messages,
          ]),
        );
        calls.push({ key, call, def });
      }
      tasks.push({ trace, grader, def, model, truncated: prompt.truncated, calls });
    }
  }
  return { tasks, outcomes };
}

/** The distinct calls of a plan, by key (two traces with the same prompt share one call). */
export function callsOf(plan: JudgePlan): Map<string, PlannedCall> {
  const calls = new Map<string, PlannedCall>();
  for (const t of plan.tasks) for (const c of t.calls) if (!calls.has(c.key)) calls.set(c.key, c);
  return calls;
}

/** Throws {@link JudgeBudgetExhaustedError} when the project's judge tokens for today are spent. */
export async function checkJudgeBudget(
  ports: Pick<JudgePorts, "tokensUsedToday">,
  dailyTokenBudget: number,
  waiting: number,
): Promise<void> {
  if (waiting === 0 || dailyTokenBudget < 0) return;
  const used = await ports.tokensUsedToday();
  if (used >= dailyTokenBudget) {
    throw new JudgeBudgetExhaustedError(
      `judging paused: this project used ${used} of its ${dailyTokenBudget} judge tokens today (UTC); ${waiting} judge calls wait for tomorrow or a higher JUDGE_DAILY_TOKEN_BUDGET`,
    );
  }
}

/**
 * Judges `traces` with `judges`. Calls asked earlier through `calls` (as the traces
 * arrived) are used, not made again, and count as this run's own; the rest come from the
 * cache or go to the endpoint through `calls`, whose client caps the calls in flight.
 */
export async function runJudges(
  traces: readonly Trace[],
  judges: readonly GraderVersion[],
  ruleScores: ReadonlyMap<string, readonly ScoreResult[]>,
  ports: JudgePorts,
  options: JudgeRunOptions,
  calls: JudgeCalls = new JudgeCalls((call) => ports.complete(call), ports.saveCalls, options.maxAttempts),
): Promise<JudgeOutcome[]> {
  const plan = await planJudges(traces, judges, ruleScores, options);
  const outcomes = [...plan.outcomes];
  const planned = callsOf(plan);

  // Answers already asked for (in flight or back) first; then the cache; then the judge.
  const answers = new Map<string, UsedAnswer>();
  for (const key of planned.keys()) {
    const used = calls.use(key);
    if (used) answers.set(key, used);
  }
  const rest = [...planned.keys()].filter((key) => !answers.has(key));
  const cached = rest.length > 0 ? await ports.readCache(rest) : new Map<string, CachedAnswer>();
  const uncached = rest.filter((key) => !cached.has(key));
  await checkJudgeBudget(ports, options.dailyTokenBudget, uncached.length);
  for (const key of uncached) {
    calls.ask(planned.get(key)!);
    answers.set(key, calls.use(key)!);
  }

  const settled = await Promise.allSettled([...answers.values()].map((a) => a.answer));
  // Answers already paid for are cached before any failure is reported, so the retry does not pay twice.
  await calls.save();
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) {
    throw failure.reason instanceof JudgeUnavailableError
      ? failure.reason
      : new JudgeUnavailableError(`judge call failed: ${String(failure.reason)}`);
  }
  const fresh = new Map<string, { got: JudgeAnswer; first: boolean }>();
  [...answers.keys()].forEach((key, i) => {
    fresh.set(key, { got: (settled[i] as PromiseFulfilledResult<JudgeAnswer>).value, first: answers.get(key)!.first });
  });

  for (const task of plan.tasks) {
    const samples: (JudgeSample | { error: string })[] = [];
    let inputTokens = 0;
    let outputTokens = 0;
    let cachedCalls = 0;
    for (const call of task.calls) {
      const hit = cached.get(call.key);
      const answered = fresh.get(call.key);
      if (hit || !answered?.first) {
        cachedCalls++;
        const text = hit ? hit.text : answered!.got.answer.text;
        const parsed = parseJudgeAnswer(task.def, text);
        samples.push(parsed.ok ? parsed.sample : { error: parsed.error });
      } else {
        inputTokens += answered.got.answer.inputTokens;
        outputTokens += answered.got.answer.outputTokens;
        samples.push(answered.got.sample);
      }
    }
    const combined = combineSamples(samples);
    const pricing = task.def.pricing;
    outcomes.push({
      traceId: task.trace.id,
      score: {
        graderId: task.grader.graderId,
        graderVersion: task.grader.version,
        verdict: combined.verdict,
        score: combined.score,
        reason:
          task.truncated.length > 0
            ? `${combined.reason} (judge saw truncated ${task.truncated.join(", ")})`
            : combined.reason,
      },
      model: task.model,
      promptVersion: JUDGE_PROMPT_VERSION,
      samples,
      unstable: combined.unstable,
      truncated: task.truncated,
      calls: task.calls.length,
      cachedCalls,
      inputTokens,
      outputTokens,
      cost: pricing
        ? (inputTokens * pricing.inputPerMillion + outputTokens * pricing.outputPerMillion) / 1_000_000
        : null,
    });
  }
  return outcomes;
}

function emptyOutcome(traceId: string, score: ScoreResult, model: string): JudgeOutcome {
  return {
    traceId,
    score,
    model,
    promptVersion: JUDGE_PROMPT_VERSION,
    samples: [],
    unstable: false,
    truncated: [],
    calls: 0,
    cachedCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cost: null,
  };
}
