import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CandidateCall, CandidateCaller, CandidateRequest } from "../../durable-objects/eval-run/call-candidate";
import type { EvalRunSpec } from "../../durable-objects/eval-run/contract";
import { EvalRun } from "../../durable-objects/eval-run/eval-run";
import { newRunReport } from "../../durable-objects/eval-run/new-run-report";
import { evalRunObject } from "../../worker/storage/eval-run-client";

/** Six cases: f* expected to fail before a fix, g* guard cases; each expects `answer-<id>`. */
function spec(runId: string, overrides: Partial<EvalRunSpec> = {}): EvalRunSpec {
  const ids = ["f1", "f2", "f3", "f4", "g1", "g2"];
  return {
    runId,
    projectId: "prj_test",
    agent: "support-bot",
    candidateVersion: "prompt-v4",
    endpoint: "http://candidate.test/answer",
    repeats: 2,
    concurrency: 2,
    timeoutMs: 1000,
    maxAttempts: 3,
    graders: [
      { graderId: "grd_exact", version: 1, name: "exact", definition: { kind: "metric", metric: "exact_match" } },
    ],
    cases: ids.map((id) => ({
      caseId: id,
      input: `question ${id}`,
      expected: `answer-${id}`,
      guard: id.startsWith("g"),
      baseline: id.startsWith("g") ? "pass" : "fail",
    })),
    ...overrides,
  };
}

const rightAnswer = (request: CandidateRequest): CandidateCall => ({
  kind: "answer",
  raw: `answer-${request.body.caseId}`,
  latencyMs: 1,
});

/** Lets a test swap the candidate call of an object, as a stand-in for the endpoint. */
const withCaller = (instance: EvalRun, caller: CandidateCaller) => {
  (instance as unknown as { callCandidate: CandidateCaller }).callCandidate = caller;
};

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error("condition never held");
}

describe("EvalRun object, server-side runs", () => {
  it("resumes after the object dies mid-run: calls only what has no result and counts every answer once", async () => {
    const runId = `run_crash_${crypto.randomUUID()}`;
    const stub = evalRunObject(env, runId);
    const lateAnswers: (() => void)[] = [];
    const calls: string[] = [];
    await runInDurableObject(stub, async (doomed: EvalRun, state) => {
      // The first object answers eight calls (most written with its next claim; an answer not
      // written yet dies with it), then its calls hang: it "dies" with two calls in flight.
      let answered = 0;
      let revivedAlready = false;
      withCaller(doomed, (request) => {
        if (answered++ < 8 || revivedAlready) return Promise.resolve(rightAnswer(request));
        return new Promise((resolve) => lateAnswers.push(() => resolve(rightAnswer(request))));
      });
      await doomed.start(spec(runId));
      const doomedAlarm = doomed.alarm();
      await until(() => lateAnswers.length === 2);
      const written = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM results").one().n;
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThanOrEqual(8);

      // A fresh object over the same storage, as after a restart: the alarm resumes the run.
      const revived = new EvalRun(state, env);
      withCaller(revived, (request) => {
        calls.push(`${request.body.caseId}#${request.body.repeat}`);
        return Promise.resolve(rightAnswer(request));
      });
      await revived.alarm();
      const report = (await revived.report())!;
      expect(calls).toHaveLength(12 - written);
      expect(new Set(calls).size).toBe(12 - written);
      expect(report.metrics.completed).toBe(12);
      expect(report.metrics.counts.pass).toBe(6);
      expect(report.status).toBe("completed");

      // The dead object's calls come back late and it writes them: they change nothing.
      revivedAlready = true;
      for (const release of lateAnswers) release();
      await doomedAlarm;
      const after = (await revived.report())!;
      expect(after.metrics.completed).toBe(12);
      expect(after.results!.filter((r) => r.caseId === "f1")).toHaveLength(2);
      expect(state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM results").one().n).toBe(12);
    });
  });

  it("retries a 503 after the endpoint's Retry-After, and gives up into an error after maxAttempts", async () => {
    const runId = `run_retry_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun, state) => {
      const attempts = new Map<string, number>();
      withCaller(instance, async (request) => {
        const n = (attempts.get(request.body.caseId) ?? 0) + 1;
        attempts.set(request.body.caseId, n);
        if (request.body.caseId === "f1" && n === 1) {
          return { kind: "retry", problem: "the candidate answered HTTP 503", retryAfterMs: 7_000 };
        }
        if (request.body.caseId === "f2")
          return { kind: "retry", problem: "the candidate answered HTTP 502", retryAfterMs: null };
        return rightAnswer(request);
      });
      // The run calls from its start: the Retry-After counts from before it.
      const began = Date.now();
      await instance.start(spec(runId, { repeats: 1, maxAttempts: 2 }));
      await instance.alarm();
      const waits = state.storage.sql
        .exec<{ case_id: string; next_at: number }>(
          "SELECT case_id, next_at FROM tasks WHERE done = 0 ORDER BY case_id",
        )
        .toArray();
      expect(waits.map((w) => w.case_id)).toEqual(["f1", "f2"]);
      expect(waits[0]!.next_at - began).toBeGreaterThanOrEqual(7_000);
      // f2 had no Retry-After: the backoff alone decides, and the alarm is armed for the first due retry.
      expect(waits[1]!.next_at).toBeLessThan(waits[0]!.next_at);
      expect(await state.storage.getAlarm()).toBe(waits[1]!.next_at);
      // Time passes: make the waiting calls due now.
      state.storage.sql.exec("UPDATE tasks SET next_at = 0 WHERE done = 0");
      await instance.alarm();
      const report = (await instance.report())!;
      expect(report.status).toBe("completed");
      expect(report.cases.find((c) => c.caseId === "f1")!.outcome).toBe("pass");
      const f2 = report.results!.find((r) => r.caseId === "f2")!;
      expect(f2.verdict).toBe("error");
      expect(f2.reason).toContain("gave up after 2 attempts");
      expect(attempts.get("f2")).toBe(2);
    });
  });

  it("a call that timed out is recorded as an error with the reason, and the run still finishes", async () => {
    const runId = `run_timeout_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun) => {
      withCaller(instance, async (request) =>
        request.body.caseId === "g2"
          ? { kind: "error", problem: "the candidate did not answer within 1000 ms", latencyMs: null }
          : rightAnswer(request),
      );
      await instance.start(spec(runId, { repeats: 1 }));
      await instance.alarm();
      const report = (await instance.report())!;
      expect(report.status).toBe("completed");
      expect(report.metrics.errored).toEqual(["g2"]);
      expect(report.metrics.regressionCount).toBe(0);
      expect(report.cases.find((c) => c.caseId === "g2")!.reason).toBe("the candidate did not answer within 1000 ms");
    });
  });

  it("cancel stops calling the candidate and keeps what was recorded", async () => {
    const runId = `run_cancel_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun) => {
      let calls = 0;
      withCaller(instance, async (request) => {
        if (++calls === 2) await instance.cancel();
        return rightAnswer(request);
      });
      await instance.start(spec(runId, { concurrency: 1 }));
      await instance.alarm();
      const report = (await instance.report())!;
      expect(report.status).toBe("cancelled");
      expect(calls).toBe(2);
      expect(report.metrics.completed).toBe(2);
      expect(report.metrics.counts.pending).toBe(5);
    });
  });

  it("a new run's report, as the launch builds it, is the one its object gives", async () => {
    const runId = `run_new_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun) => {
      const held: (() => void)[] = [];
      withCaller(instance, (request) => new Promise((resolve) => held.push(() => resolve(rightAnswer(request)))));
      const started = spec(runId);
      await instance.start(started);
      await until(() => held.length === 2);
      expect(await instance.report({ results: false })).toEqual(newRunReport(started));
      withCaller(instance, async (request) => rightAnswer(request));
      while (held.length > 0) held.shift()!();
      await instance.alarm();
      expect((await instance.report())!.metrics.completed).toBe(12);
    });
  });

  it("starting the same run twice changes nothing", async () => {
    const runId = `run_twice_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun) => {
      withCaller(instance, async (request) => rightAnswer(request));
      expect(await instance.start(spec(runId))).toEqual({ started: true });
      expect(await instance.start(spec(runId, { repeats: 5 }))).toEqual({ started: false });
      expect((await instance.report())!.metrics.total).toBe(12);
    });
  });
});

describe("EvalRun object, client-side runs", () => {
  it("keeps the first answer of a (case, repeat) in its progress and metrics, before and after a restart", async () => {
    const runId = `run_first_${crypto.randomUUID()}`;
    await runInDurableObject(evalRunObject(env, runId), async (instance: EvalRun, state) => {
      await instance.start(spec(runId, { endpoint: null, repeats: 1 }));
      expect(await instance.submit([{ caseId: "f1", repeat: 0, answer: "answer-f1" }])).toEqual({
        accepted: 1,
        duplicates: 0,
        rejected: [],
      });
      expect((await instance.report({ results: false }))!.metrics.counts.pass).toBe(1);
      // A retried batch brings a different answer for the same (case, repeat): it is not counted.
      expect(await instance.submit([{ caseId: "f1", repeat: 0, answer: "wrong" }])).toMatchObject({ duplicates: 1 });
      const afterRetry = (await instance.report({ results: false }))!;
      expect(afterRetry.metrics.completed).toBe(1);
      expect(afterRetry.metrics.fixed).toEqual(["f1"]);
      expect((await new EvalRun(state, env).report({ results: false }))!.metrics).toEqual(afterRetry.metrics);

      const rest = ["f2", "f3", "f4", "g1", "g2"].map((caseId) => ({ caseId, repeat: 0, answer: `answer-${caseId}` }));
      expect(await instance.submit([...rest, { caseId: "f1", repeat: 0, answer: "wrong" }])).toMatchObject({
        accepted: 5,
        duplicates: 1,
      });
      const finished = (await instance.report({ results: false }))!;
      expect(finished.status).toBe("completed");
      expect(finished.metrics.improvementRate).toBe(1);
      expect(finished.metrics.counts).toMatchObject({ pass: 6, fail: 0 });
    });
  });
});
