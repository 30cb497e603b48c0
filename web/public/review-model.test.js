import { describe, expect, it } from "vitest";
import { openItemsByAgent, reviewItemView, verdictBody } from "./queue-model.js";
import { agreementRows, judgementView, judgeSummary, judgeUsageView, verdictOutcome } from "./review-model.js";

/** A judge's score as `GET /api/traces/{id}/verdict` and the queue return it. */
const judgeScore = {
  graderId: "grd_judge",
  graderVersion: 2,
  kind: "judge",
  verdict: "fail",
  score: 0,
  reason: "invents a tracking number",
  windowId: "win_7",
  judge: {
    model: "claude-haiku",
    promptVersion: "judge-v1",
    samples: [
      { verdict: "fail", score: 0, scale: null, reason: "invented" },
      { verdict: "fail", score: 0, scale: null, reason: "invented" },
      { error: "timeout" },
    ],
    unstable: false,
    truncated: ["output"],
    inputTokens: 900,
    outputTokens: 60,
    cost: 0.0012,
    cachedCalls: 0,
  },
};
const ruleScore = {
  graderId: "grd_rule",
  graderVersion: 1,
  kind: "grader",
  verdict: "pass",
  score: 1,
  reason: "contains 'shipped'",
  windowId: "win_7",
  judge: null,
};

/** A trace failed only by an uncalibrated judge, then passed by a reviewer under human_overrides. */
const judgement = {
  traceId: "t-1",
  finalVerdict: {
    verdict: "pass",
    disputed: true,
    windowId: "win_7",
    policy: "human_overrides",
    disputes: ["grd_judge v2 says fail, reviewer ana says pass"],
    reason: "decided by review: 1 pass, 0 fail among human verdicts",
    basis: [
      { ...ruleScore, kind: "rule", counted: true, note: null },
      { ...judgeScore, counted: false, note: "uncalibrated judge: shown, not counted" },
      {
        graderId: "human",
        graderVersion: 0,
        kind: "human",
        verdict: "pass",
        reason: "the number is real",
        counted: true,
        note: null,
        reviewer: "ana",
      },
    ],
  },
  scores: [ruleScore, judgeScore],
  humanScores: [
    {
      kind: "human",
      itemId: "rvw_1",
      reviewer: "ana",
      verdict: "pass",
      score: null,
      note: "the number is real",
      createdAt: "2026-12-06T10:00:00.000Z",
    },
  ],
};

describe("a trace's final verdict", () => {
  it("names every score behind it, which counted, and why an uncalibrated judge did not", () => {
    const view = judgementView(judgement, new Map([["grd_rule", "says shipped"]]));
    expect(view).toMatchObject({ verdict: "pass", policy: "human_overrides", disputed: true });
    expect(view.basis.map((b) => [b.who, b.verdict, b.counted, b.note])).toEqual([
      ["says shipped v1", "pass", true, null],
      ["grd_judge v2", "fail", false, "uncalibrated judge: shown, not counted"],
      ["reviewer ana", "pass", true, null],
    ]);
    expect(view.basis[1].judge).toContain("claude-haiku");
    expect(view.humans).toEqual([
      {
        reviewer: "ana",
        verdict: "pass",
        score: null,
        note: "the number is real",
        createdAt: "2026-12-06T10:00:00.000Z",
      },
    ]);
  });

  it("says there is none yet while the trace's window is not graded", () => {
    const view = judgementView({ traceId: "t-2", finalVerdict: null, scores: [], humanScores: [] });
    expect(view.verdict).toBeNull();
    expect(view.basis).toEqual([]);
  });

  it("describes a judge score by model, prompt version, samples, tokens and cost", () => {
    expect(judgeSummary(judgeScore.judge)).toBe(
      "claude-haiku · prompt judge-v1 · samples fail, fail, error · 900 in + 60 out tokens · $0.0012 · truncated: output",
    );
    expect(judgeSummary({ ...judgeScore.judge, cost: null, samples: [] })).not.toContain("$");
    expect(judgeSummary(null)).toBeNull();
  });
});

describe("the review queue", () => {
  /** One entry of `GET /api/review-queue`. */
  const entry = {
    id: "rvw_1",
    agent: "support-bot",
    traceId: "t-1",
    reason: "user",
    detail: "customer complained",
    state: "pending",
    createdAt: "2026-12-06T09:00:00.000Z",
    reviewedAt: null,
    trace: {
      id: "t-1",
      input: "Where is my order?",
      output: "<img src=x onerror=alert(1)> It shipped.",
      toolCalls: [{ name: "lookup_order", input: { id: "A1" }, output: { status: "shipped" } }],
    },
    finalVerdict: null,
    scores: [ruleScore, judgeScore],
    humanScores: [],
  };

  it("shows why an item was queued, its trace with tool calls, and its scores", () => {
    const item = reviewItemView(entry);
    expect(item).toMatchObject({ id: "rvw_1", traceId: "t-1", why: "queued by a user", detail: "customer complained" });
    expect(item.trace?.output).toBe("<img src=x onerror=alert(1)> It shipped.");
    expect(item.trace?.toolCalls).toEqual([
      { name: "lookup_order", input: { id: "A1" }, output: { status: "shipped" } },
    ]);
    expect(item.judgement.scores.map((s) => [s.who, s.kind, s.verdict])).toEqual([
      ["grd_rule v1", "grader", "pass"],
      ["grd_judge v2", "judge", "fail"],
    ]);
  });

  it("keeps an item whose trace cannot be read (quarantined), with its scores", () => {
    const item = reviewItemView({ ...entry, reason: "disputed", detail: "linked graders disagree", trace: null });
    expect(item.trace).toBeNull();
    expect(item.why).toMatch(/^disputed/);
    expect(item.judgement.scores).toHaveLength(2);
  });

  it("counts pending items per agent", () => {
    const counts = openItemsByAgent({
      items: [entry, { ...entry, id: "rvw_2" }, { ...entry, id: "rvw_3", agent: "billing-bot" }],
    });
    expect([...counts]).toEqual([
      ["support-bot", 2],
      ["billing-bot", 1],
    ]);
  });

  it("builds a verdict body with the reviewer's name, or says what to fix", () => {
    expect(verdictBody({ verdict: "pass", score: "", note: "", reviewer: " ana " })).toEqual({
      body: { verdict: "pass", reviewer: "ana" },
    });
    expect(verdictBody({ verdict: "pass", score: "", note: "", reviewer: "  " })).toEqual({
      error: "Say who you are (reviewer).",
    });
    expect(verdictBody({ verdict: "fail", score: "0.2", note: " wrong order ", reviewer: "ana" })).toEqual({
      body: { verdict: "fail", score: 0.2, note: "wrong order", reviewer: "ana" },
    });
    expect(verdictBody({ verdict: "", score: "", note: "", reviewer: "ana" })).toEqual({
      error: "Choose pass or fail.",
    });
    expect(verdictBody({ verdict: "pass", score: "7", note: "", reviewer: "ana" })).toHaveProperty("error");
  });

  it("tells the reviewer what their verdict did to the trace and the dataset", () => {
    const result = {
      item: { ...entry, state: "reviewed", reviewedAt: "2026-12-06T10:00:00.000Z" },
      verdict: judgement.humanScores[0],
      finalVerdict: { before: "fail", verdict: "pass", disputed: false, reason: "decided by review: 1 pass, 0 fail" },
      datasetChange: "removed",
    };
    expect(verdictOutcome(result)).toBe(
      "Recorded pass by ana. Final verdict fail → pass (decided by review: 1 pass, 0 fail); removed from the regression dataset.",
    );
    expect(verdictOutcome({ ...result, finalVerdict: null, datasetChange: null })).toContain("not graded yet");
  });
});

describe("agreement and judge usage", () => {
  it("says plainly that an uncalibrated judge's failures are shown but not counted", () => {
    const rows = agreementRows({
      agent: "support-bot",
      calibration: { enabled: true, minVerdicts: 20, kappaThreshold: 0.6 },
      withHumans: [
        {
          graderId: "grd_judge",
          graderVersion: 2,
          kind: "judge",
          n: 3,
          agree: 2,
          percentAgreement: 2 / 3,
          percentAgreementCI: { low: 0.2, high: 0.94 },
          kappa: null,
          kappaCI: null,
          calibration: { state: "uncalibrated", reason: "3 of the 20 human verdicts needed so far" },
        },
        {
          graderId: "grd_rule",
          graderVersion: 1,
          kind: "grader",
          n: 3,
          agree: 3,
          percentAgreement: 1,
          percentAgreementCI: { low: 0.44, high: 1 },
          kappa: 1,
          kappaCI: { low: 1, high: 1 },
          calibration: null,
        },
      ],
      linkedPairs: [],
    });
    expect(rows.map((r) => [r.grader, r.kind, r.calibration])).toEqual([
      ["grd_judge v2", "judge", "uncalibrated"],
      ["grd_rule v1", "grader", null],
    ]);
    expect(rows[0].calibrationText).toBe(
      "uncalibrated: its failures are shown but not counted (3 of the 20 human verdicts needed so far)",
    );
  });

  it("adds judge tokens and cost over windows, and has no cost when no judge is priced", () => {
    const w = (windowId, cost) => ({
      windowId,
      judgedTraces: 10,
      calls: 30,
      cachedCalls: 5,
      inputTokens: 1000,
      outputTokens: 100,
      cost,
    });
    expect(judgeUsageView({ agent: "a", windows: [w("w2", 0.02), w("w1", 0.01)] })).toMatchObject({
      totalTokens: 2200,
      totalCost: 0.03,
    });
    expect(judgeUsageView({ agent: "a", windows: [w("w1", null)] }).totalCost).toBeNull();
  });
});

describe("judge versions no reviewer has checked", () => {
  it("lists a current judge as uncalibrated when calibration is on, and not when it is off", () => {
    const graders = [
      { id: "grd_judge", version: 3, enabled: true, definition: { kind: "judge", model: "m" } },
      { id: "grd_rule", version: 1, enabled: true, definition: { kind: "rule", check: "contains", text: "x" } },
    ];
    const on = { calibration: { enabled: true, minVerdicts: 20, kappaThreshold: 0.6 }, withHumans: [] };
    expect(agreementRows(on, graders).map((r) => [r.grader, r.calibrationText])).toEqual([
      [
        "grd_judge v3",
        "uncalibrated: its failures are shown but not counted (0 of the 20 human verdicts needed so far)",
      ],
    ]);
    expect(agreementRows({ ...on, calibration: { ...on.calibration, enabled: false } }, graders)).toEqual([]);
  });
});
