import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CandidateCaller } from "../../durable-objects/eval-run/call-candidate";
import type { EvalRunSpec } from "../../durable-objects/eval-run/contract";
import type { EvalRun } from "../../durable-objects/eval-run/eval-run";
import { createDb } from "../../worker/storage/db";
import { evalRunObject } from "../../worker/storage/eval-run-client";
import { judgeTokensUsed, saveJudgeCalls } from "../../worker/storage/judge-store";

/** The project's judge budget for today, as configured for tests (wrangler.toml). */
const DAILY_BUDGET = 2_000_000;

/** Two failure cases graded by an exact-match metric and a judge; the candidate answers both right. */
function spec(runId: string, projectId: string): EvalRunSpec {
  return {
    runId,
    projectId,
    agent: "support-bot",
    candidateVersion: "prompt-v5",
    endpoint: "http://candidate.test/answer",
    repeats: 1,
    concurrency: 2,
    timeoutMs: 1000,
    maxAttempts: 2,
    graders: [
      { graderId: "grd_exact", version: 1, name: "exact", definition: { kind: "metric", metric: "exact_match" } },
      {
        graderId: "grd_helpful",
        version: 1,
        name: "helpful",
        definition: {
          kind: "judge",
          baseUrl: "http://judge.test/v1",
          model: "fake-judge",
          rubric: { criteria: "The answer tells the customer where the order is." },
        },
      },
    ],
    verdictRules: { policy: "human_overrides", uncalibratedJudges: [] },
    cases: ["f1", "f2"].map((id) => ({
      caseId: id,
      input: `Where is order ${id}?`,
      expected: `answer-${id}`,
      guard: false,
      baseline: "fail" as const,
    })),
  };
}

describe("EvalRun with a judge grader", () => {
  it("a spent judge budget holds the answers: the run stays running, calls no judge, and says why", async () => {
    const projectId = `prj_budget_${crypto.randomUUID()}`;
    const db = createDb(env.DB);
    const today = new Date().toISOString().slice(0, 10);
    await saveJudgeCalls(db, projectId, [], DAILY_BUDGET, today);
    const runId = `run_budget_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun, state) => {
      let calls = 0;
      const caller: CandidateCaller = async (request) => {
        calls++;
        return { kind: "answer", raw: `answer-${request.body.caseId}`, latencyMs: 1 };
      };
      (instance as unknown as { callCandidate: CandidateCaller }).callCandidate = caller;
      await instance.start(spec(runId, projectId));
      await instance.alarm();

      const report = (await instance.report())!;
      // The exact-match grader passed both answers, but nothing passes before the judge has answered.
      expect(report.status).toBe("running");
      expect(report.metrics.counts).toMatchObject({ pass: 0, fail: 0, error: 0, pending: 2 });
      expect(report.metrics.improvementRate).toBe(0);
      expect(report.waitingForJudge).toMatchObject({ answers: 2, reason: expect.stringContaining("judging paused") });
      expect(await state.storage.getAlarm()).toBe(Date.parse(report.waitingForJudge!.retryAt));
      // The candidate was called once per case; waiting for the judge does not call it again.
      expect(calls).toBe(2);
      await instance.alarm();
      expect(calls).toBe(2);
      expect(await judgeTokensUsed(db, projectId, today)).toBe(DAILY_BUDGET);
      expect(state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM results").one().n).toBe(0);
    });
  });

  it("a client-side answer waits for the judge too: the submit is accepted, a duplicate is still a duplicate", async () => {
    const projectId = `prj_budget_${crypto.randomUUID()}`;
    const today = new Date().toISOString().slice(0, 10);
    await saveJudgeCalls(createDb(env.DB), projectId, [], DAILY_BUDGET, today);
    const runId = `run_budget_client_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun) => {
      await instance.start({ ...spec(runId, projectId), endpoint: null });
      const first = await instance.submit([{ caseId: "f1", repeat: 0, answer: "answer-f1" }]);
      expect(first).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      const again = await instance.submit([{ caseId: "f1", repeat: 0, answer: "something else" }]);
      expect(again).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
      await instance.alarm();
      const report = (await instance.report())!;
      expect(report.status).toBe("running");
      expect(report.metrics.counts.pending).toBe(2);
      expect(report.waitingForJudge).toMatchObject({ answers: 1 });
    });
  });
});
