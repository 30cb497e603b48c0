/**
 * Suggested fixes from a model, against the running product and the local fake judge: an
 * agent graded by a judge fails some traces; its failure modes come back with a prompt
 * change the judge endpoint proposed from those traces, asked once per mode and marked
 * tried by the eval run whose candidate names it. A proposal the endpoint cannot give
 * leaves the grader's own hint and says why; the endpoint is left alone for a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIX_REQUEST, type FakeJudge, type FakeJudgeRule, startFakeJudge } from "../fake-judge/server.mjs";
import { api, createProject, eventually, expectJson } from "./client";

const PROPOSAL = {
  title: "Answer order questions instead of refusing",
  change: "When a customer asks where an order is, look it up and give its status; never refuse.",
  rationale: "Every failing trace refused a plain order question.",
};
const rules: FakeJudgeRule[] = [
  // Proposals for an agent whose answers carry this marker fail: the endpoint is "down" for them.
  { match: new RegExp(`${FIX_REQUEST}[\\s\\S]*PROPOSALS-DOWN`), status: 500 },
  { match: FIX_REQUEST, answer: PROPOSAL },
  { match: "I cannot help", answer: { verdict: "fail", reason: "the agent refused" } },
];

let judge: FakeJudge;
beforeAll(async () => {
  judge = await startFakeJudge({ rules });
});
afterAll(() => judge.close());

const fixCalls = () => judge.calls.filter((c) => c.prompt.includes(FIX_REQUEST));

/** An agent graded by the fake judge, with three refusals (failures) and two answers graded. */
async function failingAgent(name: string, refusal: string) {
  const { apiKey } = await createProject(name);
  const agent = `${name}-${Date.now()}`;
  const post = (path: string, body: unknown) => api(apiKey, path, { method: "POST", body: JSON.stringify(body) });
  const definition = {
    kind: "judge",
    baseUrl: judge.url,
    model: "fake-judge",
    rubric: { criteria: "The answer tells the customer where the order is. Refusals fail." },
  };
  await expectJson(post("/api/graders", { agent, name: "helpful", definition }), 201);
  const at = { startTime: "2026-12-07T10:00:00.000Z", endTime: "2026-12-07T10:00:01.000Z" };
  const traces = [
    ...[0, 1, 2].map((n) => ({ id: `${agent}-r${n}`, agent, input: `Where is order r${n}?`, output: refusal, ...at })),
    ...[0, 1].map((n) => ({
      id: `${agent}-a${n}`,
      agent,
      input: `Where is order a${n}?`,
      output: "It shipped.",
      ...at,
    })),
  ];
  expect((await post("/api/traces", traces)).status).toBe(201);
  await eventually(async () => {
    const status = await expectJson(api(apiKey, `/api/agents/${agent}/window`), 200);
    return status.open?.traceCount === 5;
  });
  await expectJson(post(`/api/agents/${agent}/window/close`, {}), 200);
  const failureModes = () => expectJson(api(apiKey, `/api/agents/${agent}/failure-modes`), 200);
  // Graded once the window has closed; asking for the failure modes before would ask for a proposal.
  for (const trace of traces) {
    await eventually(
      async () => (await expectJson(api(apiKey, `/api/traces/${trace.id}/scores`), 200)).state === "graded",
    );
  }
  return { apiKey, agent, post, failureModes };
}

describe("suggested fixes from the judge endpoint", () => {
  it("proposes a prompt change grounded in the failing traces, once per mode, and marks it tried", async () => {
    const { agent, post, failureModes } = await failingAgent("fixes", "I cannot help with that.");
    const asked = fixCalls().length;
    const report = await failureModes();
    expect(report.judgeProposals).toEqual({ model: "fake-judge", asked: 1, proposed: 1, failed: 0, error: null });
    expect(report.modes).toHaveLength(1);
    const [mode] = report.modes;
    expect(mode.count).toBe(3);
    const proposal = mode.suggestions.find((s: { source: string }) => s.source === "judge");
    expect(proposal).toMatchObject({
      title: PROPOSAL.title,
      detail: { kind: "prompt_change", change: PROPOSAL.change, rationale: PROPOSAL.rationale, model: "fake-judge" },
      tried: null,
    });
    expect(proposal.detail.basedOn.traceIds).toHaveLength(3);
    expect(mode.suggestions.some((s: { source: string }) => s.source === "grader_hint")).toBe(true);

    // The request carried the failing traces and what the judge said of them.
    expect(fixCalls().length - asked).toBe(1);
    const prompt = fixCalls().at(-1)!.prompt;
    expect(prompt).toContain("the agent refused");
    expect(prompt).toContain("I cannot help with that.");
    expect(prompt).toMatch(/Where is order r[012]\?/);
    expect(prompt).not.toContain("Where is order a0?");

    // Asked once: the next request reads the stored proposal back.
    const again = await failureModes();
    expect(again.judgeProposals).toMatchObject({ asked: 0, proposed: 0 });
    expect(fixCalls().length - asked).toBe(1);
    expect(again.modes[0].suggestions.find((s: { source: string }) => s.source === "judge").id).toBe(proposal.id);

    const run = await eventually(async () => {
      const res = await post("/api/eval-runs", {
        agent,
        candidate: { label: "prompt-v2", suggestionIds: [proposal.id] },
        dataset: `agent:${agent}`,
        datasetVersion: "latest",
      });
      return res.status === 201 ? ((await res.json()) as { id: string }) : null;
    });
    const after = await failureModes();
    expect(after.modes[0].suggestions.find((s: { id: string }) => s.id === proposal.id).tried).toMatchObject({
      runId: run.id,
    });
  });

  it("keeps the grader's hint and says why when the endpoint cannot propose, and leaves it alone a while", async () => {
    const { failureModes } = await failingAgent("fixes-down", "I cannot help with that. PROPOSALS-DOWN");
    const asked = fixCalls().length;
    const report = await failureModes();
    expect(report.judgeProposals).toMatchObject({ asked: 1, proposed: 0, failed: 1 });
    expect(report.judgeProposals.error).toContain("HTTP 500");
    expect(report.modes[0].suggestions.map((s: { source: string }) => s.source)).toEqual(["grader_hint"]);
    // One retry, as for any 5xx.
    expect(fixCalls().length - asked).toBe(2);

    // Asked again only after a pause: the next request does not wait for a failing endpoint.
    const next = await failureModes();
    expect(next.judgeProposals).toMatchObject({ asked: 0, proposed: 0, failed: 0 });
    expect(next.judgeProposals.error).toMatch(/failed a proposal \d+ s ago; it is asked again in \d+ s/);
    expect(fixCalls().length - asked).toBe(2);
    expect(next.modes[0].suggestions.map((s: { source: string }) => s.source)).toEqual(["grader_hint"]);
  });
});
