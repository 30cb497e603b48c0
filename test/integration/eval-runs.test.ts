import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { evalRunObject } from "../../worker/storage/eval-run-client";
import { api, expectJson } from "./dataset-helpers";
import {
  AGENT,
  FAILURE_CASES,
  GUARD_CASES,
  clientRun,
  currentAgent,
  startRun,
  expectedAnswer,
  seedDataset,
} from "./eval-run-helpers";
import { createProject } from "./helpers";

async function finished(apiKey: string, runId: string): Promise<any> {
  await runDurableObjectAlarm(evalRunObject(env, runId));
  return expectJson(api(apiKey, "GET", `/api/eval-runs/${runId}`), 200);
}

describe("eval runs, client-side answers graded on the server", () => {
  it("a planted fix raises the improvement rate over the accepted baseline, and iterations show both runs", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const baseline = await clientRun(apiKey, datasetId, "prompt-v3", currentAgent);
    const before = await finished(apiKey, baseline.id);
    expect(before.status).toBe("completed");
    expect(before.metrics.improvementRate).toBe(0);
    expect(before.metrics.regressionCount).toBe(0);
    await expectJson(api(apiKey, "POST", `/api/eval-runs/${baseline.id}/accept`), 200);

    const fixF2 = (caseId: string) => (caseId === "f2" ? expectedAnswer("f2") : currentAgent(caseId));
    const candidate = await clientRun(apiKey, datasetId, "prompt-v4", fixF2);
    const after = await finished(apiKey, candidate.id);
    expect(after.baselineRunId).toBe(baseline.id);
    expect(after.metrics.improvementRate).toBe(0.25);
    expect(after.metrics.fixed).toEqual(["f2"]);
    expect(after.metrics.improved).toEqual(["f2"]);
    expect(after.metrics.regressionCount).toBe(0);

    const { iterations } = await expectJson(api(apiKey, "GET", `/api/agents/${AGENT}/iterations`), 200);
    expect(iterations.map((i: any) => [i.candidate.label, i.improvementRate, i.regressionCount, i.accepted])).toEqual([
      ["prompt-v3", 0, 0, true],
      ["prompt-v4", 0.25, 0, false],
    ]);
    expect(iterations[1].passRateCI.low).toBeLessThan(iterations[1].passRate);
  });

  it("a planted break of a guard case is exactly one regression", async () => {
    const { apiKey } = await createProject();
    const { datasetId, graderId } = await seedDataset(apiKey);
    const breakG1 = (caseId: string) => (caseId === "g1" ? "something else" : currentAgent(caseId));
    const run = await finished(apiKey, (await clientRun(apiKey, datasetId, "prompt-v4", breakG1)).id);
    expect(run.metrics.regressionCount).toBe(1);
    expect(run.metrics.regressed).toEqual(["g1"]);
    const g1 = run.cases.find((c: any) => c.caseId === "g1");
    expect(g1).toMatchObject({ guard: true, outcome: "fail", baseline: "pass" });
    expect(g1.reason).toContain(`${graderId}@1`);
  });

  it("a case whose repeats alternate is reported as flaky, neither improved nor regressed", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const alternating = (caseId: string, repeat: number) =>
      (caseId === "f1" || caseId === "g2") && repeat % 2 === 1
        ? expectedAnswer(caseId).replace("answer", "wrong")
        : caseId === "f1"
          ? expectedAnswer("f1")
          : currentAgent(caseId);
    const run = await finished(
      apiKey,
      (await clientRun(apiKey, datasetId, "prompt-v4", alternating, { repeats: 2 })).id,
    );
    expect(run.metrics.flaky).toEqual(["f1", "g2"]);
    expect(run.metrics.improved).toEqual([]);
    expect(run.metrics.regressionCount).toBe(0);
    expect(run.metrics.improvementRate).toBe(0);
  });

  it("an answer the agent threw on, or one that is not valid, is an error with its reason", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const run = await startRun(apiKey, datasetId, "v5", { datasetVersion: 1 });
    const outcome = await expectJson(
      api(apiKey, "POST", `/api/eval-runs/${run.id}/results`, {
        answers: [
          { caseId: "f1", repeat: 0, error: "TypeError: tools is undefined" },
          { caseId: "f2", repeat: 0, answer: { output: "x", spans: [{ id: "s1", type: "nope", name: "t" }] } },
          { caseId: "f3", repeat: 0, answer: expectedAnswer("f3") },
          { caseId: "f3", repeat: 0, answer: "a retried, different answer" },
          { caseId: "zz", repeat: 0, answer: "?" },
        ],
      }),
      200,
    );
    expect(outcome.accepted).toBe(3);
    expect(outcome.duplicates).toBe(1);
    expect(outcome.rejected).toEqual([
      { caseId: "zz", repeat: 0, problem: "the case is not in this run's dataset version" },
    ]);
    const report = await expectJson(api(apiKey, "GET", `/api/eval-runs/${run.id}?results=true`), 200);
    expect(report.status).toBe("running");
    expect(report.metrics.errored).toEqual(["f1", "f2"]);
    expect(report.cases.find((c: any) => c.caseId === "f1").reason).toContain("tools is undefined");
    expect(report.cases.find((c: any) => c.caseId === "f2").reason).toContain("spans.0.type");
    expect(report.cases.find((c: any) => c.caseId === "f3").outcome).toBe("pass");
    expect(report.metrics.completed).toBe(3);
  });
});

describe("starting an eval run", () => {
  it("holds a report asked with ?wait until the run ends, and answers it then", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const run = await startRun(apiKey, datasetId, "v5");
    const answers = [...FAILURE_CASES, ...GUARD_CASES].map((caseId) => ({
      caseId,
      repeat: 0,
      answer: currentAgent(caseId),
    }));
    await expectJson(api(apiKey, "POST", `/api/eval-runs/${run.id}/results`, { answers: answers.slice(1) }), 200);

    // One answer missing: a short wait answers with the progress so far.
    const partial = await expectJson(api(apiKey, "GET", `/api/eval-runs/${run.id}?cases=false&wait=1`), 200);
    expect(partial.status).toBe("running");
    expect(partial.metrics.completed).toBe(answers.length - 1);

    let answered: any = null;
    const waiting = expectJson(api(apiKey, "GET", `/api/eval-runs/${run.id}?wait=60`), 200).then((body) => {
      answered = body;
      return body;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBeNull(); // still held: the run has not ended
    await expectJson(api(apiKey, "POST", `/api/eval-runs/${run.id}/results`, { answers: answers.slice(0, 1) }), 200);
    const ended = await waiting;
    expect(ended.status).toBe("completed");
    expect(ended.metrics.completed).toBe(answers.length);
    expect(ended.cases).toHaveLength(answers.length);
  });

  it("keeps what the candidate answered per repeat, a long answer cut and saying so", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const long = "x".repeat(10_000);
    const answers = (caseId: string, repeat: number) =>
      caseId === "f1" ? { output: { answer: "It shipped", repeat } } : caseId === "f2" ? long : currentAgent(caseId);
    const run = await clientRun(apiKey, datasetId, "v7", answers, { repeats: 2 });
    const { results } = await expectJson(api(apiKey, "GET", `/api/eval-runs/${run.id}?results=true`), 200);
    const output = (caseId: string, repeat: number) =>
      results.find((r: any) => r.caseId === caseId && r.repeat === repeat).output;
    expect(output("f1", 0)).toEqual({ answer: "It shipped", repeat: 0 });
    expect(output("f1", 1)).toEqual({ answer: "It shipped", repeat: 1 });
    expect(output("g1", 0)).toBe(expectedAnswer("g1"));
    const cut = output("f2", 0);
    expect(cut.length).toBeLessThan(4_100);
    expect(cut.startsWith(`"${"x".repeat(100)}`)).toBe(true);
    expect(cut).toContain("(cut: 10002 characters of JSON)");
    // Without ?results=true there are no results at all: the progress poll stays small.
    const poll = await expectJson(api(apiKey, "GET", `/api/eval-runs/${run.id}`), 200);
    expect(poll.results).toBeUndefined();
  });

  it("refuses a wait longer than a minute", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const run = await clientRun(apiKey, datasetId, "v6", currentAgent);
    const res = await api(apiKey, "GET", `/api/eval-runs/${run.id}?wait=61`);
    expect(res.status).toBe(400);
  });

  it("returns the first run for a repeated idempotency key", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const body = {
      agent: AGENT,
      candidate: { label: "v4" },
      dataset: datasetId,
      datasetVersion: 1,
      idempotencyKey: "ci-build-77",
    };
    const first = await expectJson(api(apiKey, "POST", "/api/eval-runs", body), 201);
    expect(first.cases.map((c: { outcome: string }) => c.outcome)).toEqual(first.cases.map(() => "pending"));
    expect(first.cases.length).toBe(first.metrics.caseCount);
    // Asked without the per-case lines, the retry still answers the first run, with its metrics.
    const again = await expectJson(
      api(apiKey, "POST", "/api/eval-runs?cases=false", { ...body, candidate: { label: "other" } }),
      200,
    );
    expect(again.id).toBe(first.id);
    expect(again.candidate.label).toBe("v4");
    expect(again.cases).toEqual([]);
    expect(again.metrics.total).toBe(first.metrics.total);
  });

  it("comes with its first cases' inputs when asked, as the version's case pages give them", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const body = {
      agent: AGENT,
      candidate: { label: "v4" },
      dataset: datasetId,
      datasetVersion: 1,
      idempotencyKey: "k1",
    };
    for (const inputs of ["-1", "501", "two"]) {
      const refused = await expectJson(api(apiKey, "POST", `/api/eval-runs?inputs=${inputs}`, body), 400);
      expect(refused.error.code).toBe("invalid_request");
    }
    expect((await expectJson(api(apiKey, "GET", `/api/agents/${AGENT}/iterations`), 200)).iterations).toEqual([]);

    const page = await expectJson(api(apiKey, "GET", `/api/datasets/${datasetId}/versions/1/cases?limit=2`), 200);
    const run = await expectJson(api(apiKey, "POST", "/api/eval-runs?inputs=2", body), 201);
    expect(run.inputs).toEqual({
      cases: page.cases.map((c: { id: string; input: unknown }) => ({ id: c.id, input: c.input })),
      nextCursor: page.nextCursor,
    });
    const rest = await expectJson(
      api(apiKey, "GET", `/api/datasets/${datasetId}/versions/1/cases?limit=100&cursor=${run.inputs.nextCursor}`),
      200,
    );
    expect(2 + rest.cases.length).toBe(run.metrics.caseCount);

    // The retried request finds the run, and reads its version's cases for the inputs.
    const again = await expectJson(api(apiKey, "POST", "/api/eval-runs?inputs=100", body), 200);
    expect(again.id).toBe(run.id);
    expect(again.inputs.cases.map((c: { id: string }) => c.id)).toEqual([
      ...run.inputs.cases.map((c: { id: string }) => c.id),
      ...rest.cases.map((c: { id: string }) => c.id),
    ]);
    expect(again.inputs.nextCursor).toBeNull();
    expect((await expectJson(api(apiKey, "POST", "/api/eval-runs", body), 200)).inputs).toBeUndefined();
  });

  it("answers 404 for a dataset version or a grader that does not exist, and creates nothing", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const base = { agent: AGENT, candidate: { label: "v4" }, dataset: datasetId };
    const noVersion = await expectJson(api(apiKey, "POST", "/api/eval-runs", { ...base, datasetVersion: 9 }), 404);
    expect(noVersion.error.code).toBe("version_not_found");
    const noGrader = await expectJson(
      api(apiKey, "POST", "/api/eval-runs", { ...base, datasetVersion: 1, graders: ["grd_missing"] }),
      404,
    );
    expect(noGrader.error.code).toBe("grader_not_found");
    const noDataset = await expectJson(
      api(apiKey, "POST", "/api/eval-runs", { ...base, dataset: "ds_nope", datasetVersion: 1 }),
      404,
    );
    expect(noDataset.error.code).toBe("dataset_not_found");
    const { iterations } = await expectJson(api(apiKey, "GET", `/api/agents/${AGENT}/iterations`), 200);
    expect(iterations).toEqual([]);
  });

  it("refuses to accept a run that has not finished", async () => {
    const { apiKey } = await createProject();
    const { datasetId } = await seedDataset(apiKey);
    const run = await startRun(apiKey, datasetId, "v4", { datasetVersion: 1 });
    const refused = await expectJson(api(apiKey, "POST", `/api/eval-runs/${run.id}/accept`), 409);
    expect(refused.error.code).toBe("run_not_completed");
  });
});
