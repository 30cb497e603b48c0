/**
 * The judge runner with in-memory cache and budget, calling the real client against the
 * fake judge: caching, cascade, unstable samples, unparsable answers, outages and budget.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FakeJudge, startFakeJudge } from "../../test/fake-judge/server.mjs";
import type { Trace } from "../domain/trace";
import type { GraderVersion, ScoreResult } from "../grading/definitions";
import { JudgeClient, JudgeUnavailableError } from "./judge-client";
import { JudgeCalls } from "./judge-calls";
import {
  type CachedAnswer,
  callsOf,
  JudgeBudgetExhaustedError,
  type JudgePorts,
  planJudges,
  runJudges,
} from "./run-judges";

let judge: FakeJudge | undefined;
afterEach(async () => {
  await judge?.close();
  judge = undefined;
});

const trace = (id: string, output: string): Trace =>
  ({ id, agent: "bot", input: `question ${id}`, output, status: "ok", metadata: {}, tags: [], spans: [] }) as Trace;
const judgeGrader = (definition: Record<string, unknown> = {}, graderId = "j1"): GraderVersion => ({
  graderId,
  version: 1,
  name: "polite",
  definition: {
    kind: "judge",
    rubric: { criteria: "Is the answer polite?" },
    ...definition,
  } as GraderVersion["definition"],
});

function memoryPorts(url: string, used = { tokens: 0 }) {
  const cache = new Map<string, CachedAnswer>();
  const client = new JudgeClient({ timeoutMs: 2_000, maxAttempts: 2, concurrency: 4, sleep: async () => {} });
  const ports: JudgePorts = {
    complete: (call) => client.complete(call),
    readCache: async (keys) => new Map(keys.filter((k) => cache.has(k)).map((k) => [k, cache.get(k)!])),
    saveCalls: async (entries, tokens) => {
      for (const e of entries) cache.set(e.key, e);
      used.tokens += tokens;
    },
    tokensUsedToday: async () => used.tokens,
  };
  return {
    ports,
    cache,
    used,
    options: { projectId: "p1", defaultBaseUrl: url, defaultModel: "m", maxAttempts: 2, dailyTokenBudget: 1_000_000 },
  };
}

describe("runJudges", () => {
  it("scores each trace from the judge's answer, and answers a repeated pass from the cache", async () => {
    judge = await startFakeJudge({ rules: [{ match: "rude reply", answer: { verdict: "fail", reason: "rude" } }] });
    const { ports, options, used } = memoryPorts(judge.url);
    const traces = [trace("t1", "Thanks for asking!"), trace("t2", "rude reply")];
    const first = await runJudges(traces, [judgeGrader()], new Map(), ports, options);
    expect(first.map((o) => [o.traceId, o.score.verdict])).toEqual([
      ["t1", "pass"],
      ["t2", "fail"],
    ]);
    expect(first[1]!.score.reason).toBe("rude");
    expect(first.every((o) => o.inputTokens > 0 && o.cachedCalls === 0)).toBe(true);
    const spent = used.tokens;

    const again = await runJudges(traces, [judgeGrader()], new Map(), ports, options);
    expect(again.map((o) => o.score.verdict)).toEqual(["pass", "fail"]);
    expect(again.every((o) => o.cachedCalls === 1 && o.inputTokens === 0)).toBe(true);
    expect(judge.calls).toHaveLength(2);
    expect(used.tokens).toBe(spent);
  });

  it("a cascading judge skips a trace a rule already failed", async () => {
    judge = await startFakeJudge();
    const { ports, options } = memoryPorts(judge.url);
    const ruleFail: ScoreResult = { graderId: "r", graderVersion: 1, verdict: "fail", score: 0, reason: "no" };
    const out = await runJudges(
      [trace("t1", "x")],
      [judgeGrader({ cascade: true })],
      new Map([["t1", [ruleFail]]]),
      ports,
      options,
    );
    expect(out[0]!.score).toMatchObject({ verdict: "skipped", reason: expect.stringContaining("cascade") });
    expect(judge.calls).toHaveLength(0);
  });

  it("a judge whose samples split is unstable on that trace", async () => {
    judge = await startFakeJudge({ rules: [{ answer: { verdict: "fail", reason: "hmm" }, times: 1 }] });
    const { ports, options } = memoryPorts(judge.url);
    const [out] = await runJudges(
      [trace("t1", "x")],
      [judgeGrader({ samples: 3, temperature: 1 })],
      new Map(),
      ports,
      options,
    );
    expect(out!.unstable).toBe(true);
    expect(out!.score).toMatchObject({ verdict: "skipped", reason: "unstable: 2 of 3 samples pass, 1 fail" });
  });

  it("an answer that never parses is an error score after the retry limit, not a pass or a fail", async () => {
    judge = await startFakeJudge({ rules: [{ garbage: true }] });
    const { ports, options, cache } = memoryPorts(judge.url);
    const [out] = await runJudges([trace("t1", "x")], [judgeGrader()], new Map(), ports, options);
    expect(out!.score.verdict).toBe("error");
    expect(judge.calls).toHaveLength(2);
    expect(cache.size).toBe(0);
  });

  it("an outage throws after caching the answers already paid for", async () => {
    judge = await startFakeJudge({ rules: [{ match: "question t2", status: 503 }] });
    const { ports, options, cache } = memoryPorts(judge.url);
    await expect(
      runJudges([trace("t1", "a"), trace("t2", "b")], [judgeGrader()], new Map(), ports, options),
    ).rejects.toThrow(JudgeUnavailableError);
    expect(cache.size).toBe(1);
    judge.setRules([]);
    const out = await runJudges([trace("t1", "a"), trace("t2", "b")], [judgeGrader()], new Map(), ports, options);
    expect(out.map((o) => o.cachedCalls)).toEqual([1, 0]);
  });

  it("uses the calls asked ahead as its own: no second call, tokens counted once, the rest asked now", async () => {
    judge = await startFakeJudge({ latencyMs: 50 });
    const { ports, options, used } = memoryPorts(judge.url);
    const calls = new JudgeCalls((call) => ports.complete(call), ports.saveCalls, options.maxAttempts);
    const traces = [trace("t1", "a"), trace("t2", "b")];
    // t1 is asked as it arrives; its answer is still on its way when the run starts.
    const plan = await planJudges([traces[0]!], [judgeGrader()], new Map(), options);
    for (const c of callsOf(plan).values()) calls.ask(c);
    const out = await runJudges(traces, [judgeGrader()], new Map(), ports, options, calls);
    expect(judge.calls.map((c) => c.prompt.includes("question t1"))).toEqual([true, false]);
    expect(out.map((o) => [o.traceId, o.calls, o.cachedCalls])).toEqual([
      ["t1", 1, 0],
      ["t2", 1, 0],
    ]);
    expect(out.every((o) => o.inputTokens > 0)).toBe(true);
    expect(used.tokens).toBe(out.reduce((n, o) => n + o.inputTokens + o.outputTokens, 0));
  });

  it("pauses with a clear message when the day's token budget is spent", async () => {
    judge = await startFakeJudge();
    const { ports, options } = memoryPorts(judge.url, { tokens: 500 });
    await expect(
      runJudges([trace("t1", "a")], [judgeGrader()], new Map(), ports, { ...options, dailyTokenBudget: 500 }),
    ).rejects.toThrow(JudgeBudgetExhaustedError);
    expect(judge.calls).toHaveLength(0);
  });
});
