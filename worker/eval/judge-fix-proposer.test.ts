import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeJudge, startFakeJudge } from "../../test/fake-judge/server.mjs";
import { JudgeClient } from "../judge/judge-client";
import type { FailureMode } from "./failure-modes";
import {
  EndpointPause,
  type FixExample,
  judgeFixProposer,
  parseFixAnswer,
  renderFixPrompt,
} from "./judge-fix-proposer";

const mode: FailureMode = {
  key: "fm_refund",
  graderId: "grd_refund",
  graderVersion: 2,
  reason: "tool '…' was not called",
  exampleReason: "tool 'refund' was not called",
  tool: "refund",
  errorSignature: null,
  count: 4,
  share: 0.5,
  trend: [],
  exampleTraceIds: ["t1", "t2"],
  exampleCaseIds: [],
  caseCount: 0,
};
const grader = {
  graderId: "grd_refund",
  version: 2,
  name: "refunds",
  definition: { kind: "rule", check: "tool_called", tool: "refund" },
} as never;
const examples: FixExample[] = [
  { traceId: "t1", input: "My parcel never came, refund me", output: "Sorry to hear that!", toolCalls: [] },
  {
    traceId: "t2",
    input: { message: "refund order A17" },
    output: "I will look into it.",
    toolCalls: ['lookup_order({"id":"A17"}) -> {"status":"lost"}'],
  },
];
const PROPOSAL = {
  title: "Call refund when an order is lost",
  change: "When lookup_order says an order is lost, call refund with the order id before answering.",
  rationale: "t1 and t2 asked for a refund of a lost order and got an apology without the refund call.",
};

let judge: FakeJudge;
beforeAll(async () => {
  judge = await startFakeJudge({
    rules: [
      { match: "GARBLE", garbage: true },
      { match: "DOWN", status: 503 },
      { match: "Propose ONE change", answer: PROPOSAL },
    ],
  });
});
afterAll(() => judge.close());

const proposerWith = (examplesOf: (m: FailureMode) => Promise<FixExample[]>) => {
  const client = new JudgeClient({ timeoutMs: 5_000, maxAttempts: 2, concurrency: 2, backoffMs: 1 });
  return judgeFixProposer({
    baseUrl: judge.url,
    model: "fake-judge",
    complete: (call) => client.complete(call),
    examples: examplesOf,
  });
};

describe("proposing a prompt change for a failure mode", () => {
  it("asks the endpoint once, with the failing examples and the grader's reason, and returns its change", async () => {
    const before = judge.calls.length;
    const fixes = await proposerWith(async () => examples).propose(mode, grader);
    expect(judge.calls.length - before).toBe(1);
    const prompt = judge.calls.at(-1)!.prompt;
    for (const grounded of [
      "My parcel never came, refund me",
      "Sorry to hear that!",
      '{"message":"refund order A17"}',
      'lookup_order({"id":"A17"}) -> {"status":"lost"}',
      "tool 'refund' was not called",
      '"check":"tool_called"',
      "Tool involved: refund",
      "4 failure(s), 50.0%",
    ]) {
      expect(prompt).toContain(grounded);
    }
    expect(judge.calls.at(-1)!.body.response_format.json_schema.schema.required).toEqual([
      "title",
      "change",
      "rationale",
    ]);
    expect(fixes).toEqual([
      {
        source: "judge",
        title: PROPOSAL.title,
        detail: expect.objectContaining({
          kind: "prompt_change",
          change: PROPOSAL.change,
          rationale: PROPOSAL.rationale,
          basedOn: { traceIds: ["t1", "t2"], reason: mode.reason },
          model: "fake-judge",
        }),
      },
    ]);
    expect((fixes[0]!.detail as { inputTokens: number }).inputTokens).toBeGreaterThan(0);
  });

  it("still asks when no example could be read, from the reasons alone", async () => {
    await proposerWith(async () => []).propose(mode, grader);
    expect(judge.calls.at(-1)!.prompt).toContain("could not be read; work from the reasons");
  });

  it("fails with the reason when the reply is not a proposal, or the endpoint stays down", async () => {
    const garbled = { ...mode, exampleReason: "GARBLE" };
    await expect(proposerWith(async () => []).propose(garbled, grader)).rejects.toThrow(/could not be read: the reply/);
    const down = { ...mode, exampleReason: "DOWN" };
    await expect(proposerWith(async () => []).propose(down, grader)).rejects.toThrow(/unavailable: HTTP 503/);
  });

  it("cuts long example parts with a visible marker", () => {
    const long = [{ traceId: "t9", input: "x".repeat(5_000), output: "short", toolCalls: [] }];
    const [, user] = renderFixPrompt(mode, grader, long);
    expect(user!.content).toContain("…[truncated: showing 1500 of 5000 characters]");
    expect(user!.content).not.toContain("x".repeat(1_501));
  });
});

describe("reading a proposal", () => {
  it("takes the first JSON object in the reply and needs a title and a change", () => {
    expect(parseFixAnswer(`Here you go: ${JSON.stringify(PROPOSAL)} hope it helps`)).toEqual({
      ok: true,
      fix: PROPOSAL,
    });
    expect(parseFixAnswer('{"title": "x", "change": "y"}')).toEqual({
      ok: true,
      fix: { title: "x", change: "y", rationale: "" },
    });
    expect(parseFixAnswer('{"title": "x"}')).toMatchObject({ ok: false, error: expect.stringContaining("change") });
    expect(parseFixAnswer('{"title": " ", "change": "y"}')).toMatchObject({ ok: false });
    expect(parseFixAnswer("no json here")).toEqual({ ok: false, error: "the reply holds no JSON object" });
  });
});

describe("pausing an endpoint that failed a proposal", () => {
  it("gives a reason not to ask it until the pause is over, then asks again", () => {
    let now = 1_000_000;
    const pause = new EndpointPause(60_000, () => now);
    expect(pause.reason("http://judge/v1")).toBeNull();
    pause.failed("http://judge/v1");
    now += 15_000;
    expect(pause.reason("http://judge/v1")).toBe(
      "the judge endpoint failed a proposal 15 s ago; it is asked again in 45 s",
    );
    expect(pause.reason("http://other/v1")).toBeNull();
    now += 45_000;
    expect(pause.reason("http://judge/v1")).toBeNull();
    pause.failed("http://judge/v1");
    pause.succeeded("http://judge/v1");
    expect(pause.reason("http://judge/v1")).toBeNull();
  });
});
