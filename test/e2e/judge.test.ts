/**
 * LLM judges through the running product against the local fake OpenAI-compatible
 * judge: an outage leaves the window pending (never a silent pass) and the retry grades
 * it once; the judge is asked as traces arrive and the closing window uses those answers;
 * calibration keeps an unproven judge's failures from failing traces until
 * reviewers agree with it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeJudge, startFakeJudge } from "../fake-judge/server.mjs";
import { api, createProject, eventually, expectJson } from "./client";

let judge: FakeJudge;
beforeAll(async () => {
  judge = await startFakeJudge();
});
afterAll(async () => {
  await judge.close();
});

const json = expectJson;

const post = (apiKey: string, path: string, body?: unknown) =>
  api(apiKey, path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });

async function sendAndWait(apiKey: string, agent: string, traces: { id: string; output: string }[]) {
  const body = traces.map((t) => ({ ...t, agent, input: `Where is order ${t.id}?` }));
  await json(post(apiKey, "/api/traces", body), 201);
  await eventually(async () => {
    const status = await json<{ open: { traceCount: number } | null }>(api(apiKey, `/api/agents/${agent}/window`), 200);
    return status.open?.traceCount === traces.length;
  });
}

const judgeDefinition = () => ({
  kind: "judge",
  baseUrl: judge.url,
  model: "fake-judge",
  rubric: { criteria: "The answer tells the customer where the order is. Refusals fail." },
  pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
});

describe("LLM judge over HTTP", () => {
  it("an outage leaves the window pending; the retry grades every trace once", async () => {
    const { apiKey } = await createProject("e2e-judge");
    const agent = `judge-agent-${Date.now()}`;
    await json(post(apiKey, "/api/graders", { agent, name: "helpful", definition: judgeDefinition() }), 201);
    const stamp = Date.now();
    const traces = [
      { id: `j-${stamp}-ok`, output: "It shipped yesterday." },
      { id: `j-${stamp}-refuse`, output: "I cannot help with that." },
    ];
    // Down before the traces arrive: the calls asked as they arrive fail, and so does the window's own.
    judge.setRules([{ status: 503 }]);
    await sendAndWait(apiKey, agent, traces);

    const down = await json(post(apiKey, `/api/agents/${agent}/window/close`), 202);
    expect(down.pending).toMatchObject([{ state: "closing", attempts: 1 }]);
    expect(down.pending[0].lastError).toContain("unavailable");
    const ungraded = await json(api(apiKey, `/api/traces/${traces[0]!.id}/scores`), 200);
    expect(ungraded.scores).toEqual([]);

    judge.setRules([{ match: "I cannot help", answer: { verdict: "fail", reason: "the agent refused" } }]);
    const up = await json(post(apiKey, `/api/agents/${agent}/window/close`), 200);
    expect(up.pending).toEqual([]);
    const refused = await json(api(apiKey, `/api/traces/${traces[1]!.id}/verdict`), 200);
    expect(refused.scores).toHaveLength(1);
    expect(refused.scores[0]).toMatchObject({ kind: "judge", verdict: "fail", reason: "the agent refused" });
    expect(refused.scores[0].judge).toMatchObject({
      model: "fake-judge",
      promptVersion: "judge-prompt-1",
      unstable: false,
    });
    expect(refused.finalVerdict).toMatchObject({ verdict: "fail" });
    const ok = await json(api(apiKey, `/api/traces/${traces[0]!.id}/verdict`), 200);
    expect(ok.finalVerdict.verdict).toBe("pass");

    const usage = await json(api(apiKey, `/api/agents/${agent}/judge-usage`), 200);
    expect(usage.windows).toHaveLength(1);
    expect(usage.windows[0]).toMatchObject({ judgedTraces: 2, calls: 2, cachedCalls: 0 });
    expect(usage.windows[0].inputTokens).toBeGreaterThan(0);
    expect(usage.windows[0].cost).toBeGreaterThan(0);
    // The API never shows a key.
    const graders = await json(api(apiKey, `/api/graders?agent=${agent}`), 200);
    expect(JSON.stringify(graders)).not.toMatch(/apiKey|sk-/);
  });

  it("asks the judge as traces arrive, so a closing window finds its verdicts in hand and pays once", async () => {
    const { apiKey } = await createProject("e2e-judge-ahead");
    const agent = `ahead-agent-${Date.now()}`;
    await json(post(apiKey, "/api/graders", { agent, name: "helpful", definition: judgeDefinition() }), 201);
    judge.setRules([{ match: "I cannot help", answer: { verdict: "fail", reason: "the agent refused" } }]);
    const stamp = Date.now();
    const traces = [
      { id: `a-${stamp}-1`, output: "It shipped yesterday." },
      { id: `a-${stamp}-2`, output: "It arrives Friday." },
      { id: `a-${stamp}-3`, output: "I cannot help with that." },
    ];
    const asked = () => judge.calls.filter((c) => traces.some((t) => c.prompt.includes(t.id))).length;
    await sendAndWait(apiKey, agent, traces);
    await eventually(async () => asked() === traces.length);
    // Asked while the window was still open, and not graded yet: scores wait for the window.
    const open = await json(api(apiKey, `/api/agents/${agent}/window`), 200);
    expect(open.open.traceCount).toBe(traces.length);
    expect((await json(api(apiKey, `/api/traces/${traces[2]!.id}/scores`), 200)).scores).toEqual([]);

    await json(post(apiKey, `/api/agents/${agent}/window/close`), 200);
    expect(asked()).toBe(traces.length);
    const refused = await json(api(apiKey, `/api/traces/${traces[2]!.id}/verdict`), 200);
    expect(refused.finalVerdict).toMatchObject({ verdict: "fail" });
    expect(refused.scores).toMatchObject([{ kind: "judge", verdict: "fail", reason: "the agent refused" }]);
    // The calls asked ahead are the window's own: paid once, not counted as cache hits.
    const usage = await json(api(apiKey, `/api/agents/${agent}/judge-usage`), 200);
    expect(usage.windows).toHaveLength(1);
    expect(usage.windows[0]).toMatchObject({ judgedTraces: 3, calls: 3, cachedCalls: 0 });
    expect(usage.windows[0].inputTokens).toBeGreaterThan(0);
  });

  it("calibration: an uncalibrated judge's fail does not fail a trace until reviewers agree with it", async () => {
    const { apiKey } = await createProject("e2e-calibration");
    const agent = `calibrated-agent-${Date.now()}`;
    await json(post(apiKey, "/api/graders", { agent, name: "helpful", definition: judgeDefinition() }), 201);
    await json(
      api(apiKey, `/api/agents/${agent}/review-settings`, {
        method: "PUT",
        body: JSON.stringify({ calibration: { enabled: true, minVerdicts: 2, kappaThreshold: 0.5 } }),
      }),
      200,
    );
    judge.setRules([{ match: "I cannot help", answer: { verdict: "fail", reason: "the agent refused" } }]);
    const stamp = Date.now();
    const first = [
      { id: `c-${stamp}-1`, output: "It shipped." },
      { id: `c-${stamp}-2`, output: "I cannot help with that." },
    ];
    await sendAndWait(apiKey, agent, first);
    await json(post(apiKey, `/api/agents/${agent}/window/close`), 200);

    // Uncalibrated: the judge's fail shows but does not count.
    const shown = await json(api(apiKey, `/api/traces/${first[1]!.id}/verdict`), 200);
    expect(shown.scores[0].verdict).toBe("fail");
    expect(shown.finalVerdict.verdict).toBe("none");
    expect(shown.finalVerdict.basis[0]).toMatchObject({
      counted: false,
      note: "uncalibrated judge: shown, not counted",
    });
    const before = await json(api(apiKey, `/api/agents/${agent}/agreement`), 200);
    expect(before.withHumans).toEqual([]);

    // Two reviewers' verdicts that agree with the judge calibrate it (kappa 1 over 2 traces).
    for (const [trace, verdict] of [
      [first[0]!, "pass"],
      [first[1]!, "fail"],
    ] as const) {
      const item = await json(post(apiKey, "/api/review-queue", { traceId: trace.id }), 201);
      await json(post(apiKey, `/api/review-queue/${item.id}/verdict`, { verdict, reviewer: "ann" }), 201);
    }
    const after = await json(api(apiKey, `/api/agents/${agent}/agreement`), 200);
    expect(after.withHumans).toMatchObject([
      { kind: "judge", n: 2, agree: 2, kappa: 1, calibration: { state: "calibrated" } },
    ]);

    const next = [{ id: `c-${stamp}-3`, output: "I cannot help with that either." }];
    await sendAndWait(apiKey, agent, next);
    await json(post(apiKey, `/api/agents/${agent}/window/close`), 200);
    const counted = await json(api(apiKey, `/api/traces/${next[0]!.id}/verdict`), 200);
    expect(counted.finalVerdict).toMatchObject({ verdict: "fail" });
    expect(counted.finalVerdict.basis[0]).toMatchObject({ counted: true });
  });
});
