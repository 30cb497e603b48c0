/**
 * Eval runs of an agent graded by an LLM judge, against the running product and the local
 * fake judge: the judge decides which candidate answers pass, so a candidate that stops
 * refusing raises the improvement rate; a judge that cannot judge an answer makes it an
 * `error`; a judge outage keeps the run running until the judge is back, then the run
 * finishes with the numbers the judge's answers give.
 */
import { execFile } from "node:child_process";
import { type Server, createServer } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeJudge, startFakeJudge } from "../fake-judge/server.mjs";
import { api, createProject, eventually, expectJson, flywheel } from "./client";

const CLI = path.resolve(import.meta.dirname, "..", "..", "bin", "flywheel.mjs");

const REFUSAL = "I cannot help with that.";
const helpful = (caseId: string) => `Order ${caseId} shipped yesterday and arrives on Friday.`;
/** An answer the fake judge replies to with text that is not a verdict. */
const GARBLED = "GARBLE-ME: the judge cannot read its own reply to this one.";
/** The fake judge's rule, as the judge's rubric says: refusals fail, anything else passes. */
const refusalsFail = [
  { match: "I cannot help", answer: { verdict: "fail", reason: "the agent refused" } },
  { match: "GARBLE-ME", garbage: true },
];
const FAILURE_CASES = ["f1", "f2", "f3"];
const GUARD_CASES = ["g1", "g2"];

let judge: FakeJudge;
beforeAll(async () => {
  judge = await startFakeJudge();
});
afterAll(async () => {
  await judge.close();
});

const json = expectJson;

const post = (apiKey: string, path: string, body: unknown) =>
  api(apiKey, path, { method: "POST", body: JSON.stringify(body) });

/**
 * An agent graded only by a judge, and a dataset version whose failure cases are the ones
 * the agent refused (f1..f3) and whose guard cases it answered (g1, g2).
 */
async function judgedAgent(name: string): Promise<{ apiKey: string; agent: string; dataset: string }> {
  const { apiKey } = await createProject(name);
  const agent = `${name}-${Date.now()}`;
  const definition = {
    kind: "judge",
    baseUrl: judge.url,
    model: "fake-judge",
    rubric: { criteria: "The answer tells the customer where the order is. Refusals fail." },
  };
  await json(post(apiKey, "/api/graders", { agent, name: "helpful", definition }), 201);
  const dataset = await json<{ id: string }>(
    post(apiKey, "/api/datasets", { name: `${agent}-regressions`, agent }),
    201,
  );
  const cases = [
    ...FAILURE_CASES.map((id) => ({ id, input: `Where is order ${id}?` })),
    ...GUARD_CASES.map((id) => ({ id, input: `Where is order ${id}?`, guard: true })),
  ];
  await json(post(apiKey, `/api/datasets/${dataset.id}/cases`, { cases }), 201);
  return { apiKey, agent, dataset: dataset.id };
}

const startRun = (apiKey: string, agent: string, dataset: string, candidate: { label: string; endpoint?: string }) =>
  json<{ id: string }>(post(apiKey, "/api/eval-runs", { agent, candidate, dataset, datasetVersion: "latest" }), 201);

const readRun = (apiKey: string, id: string) => json(api(apiKey, `/api/eval-runs/${id}`), 200);

const finished = (apiKey: string, id: string) =>
  eventually(async () => {
    const run = await readRun(apiKey, id);
    return run.status === "completed" && run.metrics.counts.pending === 0 ? run : undefined;
  }, 60_000);

const outcomes = (run: any) => Object.fromEntries(run.cases.map((c: any) => [c.caseId, c.outcome]));

describe("eval runs graded by an LLM judge", () => {
  let endpoint: Server;
  let endpointUrl: string;

  beforeAll(async () => {
    // The candidate: stops refusing on f1 and f2, still refuses f3, answers g1, and gives
    // g2 an answer the judge cannot read.
    const answers: Record<string, string> = {
      f1: helpful("f1"),
      f2: helpful("f2"),
      f3: REFUSAL,
      g1: helpful("g1"),
      g2: GARBLED,
    };
    endpoint = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk) => {
        raw += chunk;
      });
      req.on("end", () => {
        const { caseId } = JSON.parse(raw) as { caseId: string };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ output: answers[caseId] }));
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    endpointUrl = `http://127.0.0.1:${(endpoint.address() as { port: number }).port}/answer`;
  });

  afterAll(async () => {
    endpoint?.closeAllConnections();
    await new Promise((resolve) => endpoint?.close(resolve));
  });

  it("server-side: the judge fails the refusals, passes the fixes, and a judge error is the case's error", async () => {
    const { apiKey, agent, dataset } = await judgedAgent("e2e-eval-judge");
    // A short judge blip on the first calls: the run waits it out rather than deciding without the judge.
    judge.setRules([{ status: 503, times: 3 }, ...refusalsFail]);
    const run = await startRun(apiKey, agent, dataset, { label: "stops refusing", endpoint: endpointUrl });
    const done = await finished(apiKey, run.id);
    expect(outcomes(done)).toEqual({ f1: "pass", f2: "pass", f3: "fail", g1: "pass", g2: "error" });
    expect(done.metrics.improvementRate).toBeCloseTo(2 / 3);
    expect(done.metrics.fixed).toEqual(["f1", "f2"]);
    expect(done.metrics.regressionCount).toBe(0);
    expect(done.metrics.errored).toEqual(["g2"]);
    const f3 = done.cases.find((c: any) => c.caseId === "f3");
    expect(f3.reason).toContain("the agent refused");
    const g2 = done.cases.find((c: any) => c.caseId === "g2");
    expect(g2.reason).toContain("judge");
    // One judge call per answer (the blip's retries are the client's, the garbled reply's re-asks are one call's).
    expect(done.judgeUsage).toMatchObject({ judged: 5, calls: 5, cachedCalls: 0, cost: null });
    expect(done.judgeUsage.inputTokens).toBeGreaterThan(0);
  });

  it("the CLI's summary shows what the run's judge asked and spent", async () => {
    const { apiKey, agent, dataset } = await judgedAgent("e2e-eval-judge-cli");
    judge.setRules(refusalsFail);
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, "eval", "--agent", agent, "--dataset", dataset, "--endpoint", endpointUrl, "--max-errors", "1"],
        { env: { ...process.env, FLYWHEEL_URL: flywheel().url, FLYWHEEL_KEY: apiKey } },
        (error, out) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out }),
      );
    });
    expect(stdout).toMatch(/judge {13}5 calls \(0 from cache\), [1-9]\d* tokens\n/);
    expect(code).toBe(0);
  });

  it("client-side: a judge outage keeps the run running; when the judge is back it finishes with the judge's numbers", async () => {
    const { apiKey, agent, dataset } = await judgedAgent("e2e-eval-judge-outage");
    judge.setRules([{ status: 503 }]);
    const callsBefore = judge.calls.length;
    const run = await startRun(apiKey, agent, dataset, { label: "fixes f1" });
    // The candidate fixes f1 only; the other failure cases still refuse, the guard cases answer.
    const answers = [...FAILURE_CASES, ...GUARD_CASES].map((caseId) => ({
      caseId,
      repeat: 0,
      answer: caseId === "f1" || caseId.startsWith("g") ? helpful(caseId) : REFUSAL,
    }));
    const submitted = await json(post(apiKey, `/api/eval-runs/${run.id}/results`, { answers }), 200);
    expect(submitted).toMatchObject({ accepted: 5, duplicates: 0 });

    // Every answer's judge call was refused more than once (the run tried again after the first outage).
    await eventually(async () => {
      const refused = judge.calls.slice(callsBefore).filter((c) => c.status === 503);
      const perAnswer = new Map<string, number>();
      for (const call of refused) {
        const key = [...FAILURE_CASES, ...GUARD_CASES].find((id) => call.prompt.includes(`order ${id}?`)) ?? "";
        perAnswer.set(key, (perAnswer.get(key) ?? 0) + 1);
      }
      return perAnswer.size === 5 && [...perAnswer.values()].every((n) => n > 4);
    }, 60_000);
    const waiting = await readRun(apiKey, run.id);
    expect(waiting.status).toBe("running");
    expect(waiting.metrics.counts).toMatchObject({ pass: 0, fail: 0, error: 0, pending: 5 });
    expect(waiting.waitingForJudge).toMatchObject({ answers: 5, reason: expect.stringContaining("503") });

    judge.setRules(refusalsFail);
    const done = await finished(apiKey, run.id);
    expect(outcomes(done)).toEqual({ f1: "pass", f2: "fail", f3: "fail", g1: "pass", g2: "pass" });
    expect(done.metrics.improvementRate).toBeCloseTo(1 / 3);
    expect(done.metrics.regressionCount).toBe(0);
    expect(done.metrics.counts).toMatchObject({ pass: 3, fail: 2, error: 0, pending: 0 });
    expect(done.waitingForJudge).toBeNull();
    // The refused calls decided nothing and are not counted; the five that answered are.
    expect(done.judgeUsage).toMatchObject({ judged: 5, calls: 5 });
  });
});
