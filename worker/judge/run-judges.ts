/**
 * @module Judging one window's traces: every applicable (trace, judge, sample) becomes one
 * call; identical calls (same judge version, same rendered prompt, same sample) are
 * answered from the cache; the rest go to the endpoint through the client's concurrency
 * cap. A reply that does not parse is asked again up to `maxAttempts`, then the trace gets
 * an `error` score. An unreachable endpoint or a spent budget throws, and the caller
 * leaves the window pending: answers already paid for are cached first, so the retry
 * does not pay twice. Storage and HTTP come in through {@link JudgePorts}.
 */
import type { Trace } from "../domain/trace";
import type { GraderVersion, ScoreResult } from "../grading/definitions";
import { compileFilter } from "../grading/filter";
import { sha256Hex } from "../storage/hash";
import { combineSamples } from "./combine-samples";
import { JudgeUnavailableError, type JudgeCall, type JudgeReply } from "./judge-client";
import { judgeGraderSchema, type JudgeDefinition } from "./judge-definition";
import { parseJudgeAnswer, type JudgeSample } from "./parse-answer";
import { JUDGE_PROMPT_VERSION, renderJudgePrompt } from "./prompt";

export interface CachedAnswer {
  text: string;
  inputTokens: number;
  outputTokens: number;
}

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

interface PlannedCall {
  key: string;
  call: JudgeCall;
  def: JudgeDefinition;
}

interface Task {
  trace: Trace;
  grader: GraderVersion;
  def: JudgeDefinition;
  model: string;
  truncated: string[];
  calls: PlannedCall[];
}

/**
 * Judges `traces` with `judges`. `ruleScores` holds each trace's synchronous scores, so a
 * cascading judge skips traces a rule already failed.
 */
export async function runJudges(
  traces: readonly Trace[],
  judges: readonly GraderVersion[],
  ruleScores: ReadonlyMap<string, readonly ScoreResult[]>,
  ports: JudgePorts,
  options: JudgeRunOptions,
): Promise<JudgeOutcome[]> {
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

  const allKeys = [...new Set(tasks.flatMap((t) => t.calls.map((c) => c.key)))];
  const cached = allKeys.length > 0 ? await ports.readCache(allKeys) : new Map<string, CachedAnswer>();
  const uncached = new Map<string, PlannedCall>();
  for (const t of tasks) for (const c of t.calls) if (!cached.has(c.key)) uncached.set(c.key, c);
  if (uncached.size > 0 && options.dailyTokenBudget >= 0) {
    const used = await ports.tokensUsedToday();
    if (used >= options.dailyTokenBudget) {
      throw new JudgeBudgetExhaustedError(
        `judging paused: this project used ${used} of its ${options.dailyTokenBudget} judge tokens today (UTC); ${uncached.size} judge calls wait for tomorrow or a higher JUDGE_DAILY_TOKEN_BUDGET`,
      );
    }
  }

  const fresh = new Map<string, { answer: CachedAnswer; sample: JudgeSample | { error: string } }>();
  let spent = 0;
  const settled = await Promise.allSettled(
    [...uncached.values()].map(async (planned) => {
      let last: { answer: CachedAnswer; sample: JudgeSample | { error: string } } | undefined;
      for (let attempt = 0; attempt < Math.max(1, options.maxAttempts); attempt++) {
        const reply = await ports.complete(planned.call);
        spent += reply.inputTokens + reply.outputTokens;
        const parsed = parseJudgeAnswer(planned.def, reply.text);
        last = { answer: reply, sample: parsed.ok ? parsed.sample : { error: parsed.error } };
        if (parsed.ok) break;
      }
      fresh.set(planned.key, last!);
    }),
  );
  const keep = [...fresh].filter(([, v]) => !("error" in v.sample)).map(([key, v]) => ({ key, ...v.answer }));
  if (keep.length > 0 || spent > 0) await ports.saveCalls(keep, spent);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) {
    throw failure.reason instanceof JudgeUnavailableError
      ? failure.reason
      : new JudgeUnavailableError(`judge call failed: ${String(failure.reason)}`);
  }

  for (const task of tasks) {
    const samples: (JudgeSample | { error: string })[] = [];
    let inputTokens = 0;
    let outputTokens = 0;
    let cachedCalls = 0;
    for (const planned of task.calls) {
      const hit = cached.get(planned.key);
      if (hit) {
        cachedCalls++;
        const parsed = parseJudgeAnswer(task.def, hit.text);
        samples.push(parsed.ok ? parsed.sample : { error: parsed.error });
      } else {
        const got = fresh.get(planned.key)!;
        inputTokens += got.answer.inputTokens;
        outputTokens += got.answer.outputTokens;
        samples.push(got.sample);
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
