import { describe, expect, it } from "vitest";
import type { Trace } from "../domain/trace";
import { combineSamples } from "./combine-samples";
import { judgeGraderSchema } from "./judge-definition";
import { extractJsonObject, parseJudgeAnswer } from "./parse-answer";
import { renderJudgePrompt } from "./prompt";

const passFail = judgeGraderSchema.parse({ kind: "judge", rubric: { criteria: "Answers politely." } });
const scaled = judgeGraderSchema.parse({
  kind: "judge",
  rubric: { criteria: "Helpful.", scale: { min: 1, max: 5, passThreshold: 4 } },
});
const trace = (over: Partial<Trace> = {}): Trace =>
  ({
    id: "t1",
    agent: "bot",
    input: "Where is my order?",
    output: "It shipped.",
    status: "ok",
    metadata: {},
    tags: [],
    spans: [],
    ...over,
  }) as Trace;

describe("judge definition", () => {
  it("fills defaults and rejects a pass threshold outside the scale", () => {
    expect(passFail).toMatchObject({ samples: 1, temperature: 0, sees: ["input", "output"], cascade: false });
    const bad = judgeGraderSchema.safeParse({
      kind: "judge",
      rubric: { criteria: "x", scale: { min: 1, max: 5, passThreshold: 9 } },
    });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain("passThreshold");
  });
});

describe("renderJudgePrompt", () => {
  it("shows the criteria, the parts the judge sees and the answer format", () => {
    const def = judgeGraderSchema.parse({
      kind: "judge",
      rubric: { criteria: "No made-up tracking numbers." },
      sees: ["input", "output", "tool_calls"],
    });
    const spans = [{ id: "s", type: "tool", name: "lookup_order", input: { id: "A17" }, output: { state: "shipped" } }];
    const { messages, truncated } = renderJudgePrompt(def, trace({ spans } as Partial<Trace>));
    expect(messages[0]!.content).toContain("No made-up tracking numbers.");
    expect(messages[0]!.content).toContain('"verdict": "pass" | "fail"');
    expect(messages[1]!.content).toContain("### INPUT\nWhere is my order?");
    expect(messages[1]!.content).toContain('- lookup_order({"id":"A17"}) -> {"state":"shipped"}');
    expect(truncated).toEqual([]);
  });

  it("cuts an oversized output visibly and keeps the whole prompt under the cap", () => {
    const def = judgeGraderSchema.parse({ kind: "judge", rubric: { criteria: "Short." }, maxPromptChars: 1_000 });
    const { messages, truncated } = renderJudgePrompt(def, trace({ output: "x".repeat(50_000) }));
    expect(truncated).toEqual(["output"]);
    expect(messages[1]!.content).toMatch(/…\[truncated: showing \d+ of 50000 characters\]/);
    expect(messages[1]!.content).toContain("Where is my order?");
    expect(messages.reduce((n, m) => n + m.content.length, 0)).toBeLessThanOrEqual(1_000);
  });

  it("renders the same trace to the same prompt (the cache key depends on it)", () => {
    expect(renderJudgePrompt(passFail, trace())).toEqual(renderJudgePrompt(passFail, trace()));
  });
});

describe("parseJudgeAnswer", () => {
  it("reads bare JSON, fenced JSON and JSON inside prose", () => {
    expect(parseJudgeAnswer(passFail, '{"verdict":"pass","reason":"polite"}')).toMatchObject({
      ok: true,
      sample: { verdict: "pass", score: 1 },
    });
    expect(parseJudgeAnswer(passFail, '```json\n{"verdict": "FAIL", "reason": "rude"}\n```')).toMatchObject({
      ok: true,
      sample: { verdict: "fail", score: 0 },
    });
    expect(
      parseJudgeAnswer(passFail, 'Sure! {not json} Here: {"verdict":"pass","reason":"a {brace} inside"} done'),
    ).toMatchObject({
      ok: true,
      sample: { reason: "a {brace} inside" },
    });
  });

  it("maps a scale score to [0, 1] and its verdict to the pass threshold", () => {
    expect(parseJudgeAnswer(scaled, '{"score": 4, "reason": "good"}')).toMatchObject({
      ok: true,
      sample: { verdict: "pass", score: 0.75, rawScore: 4 },
    });
    expect(parseJudgeAnswer(scaled, '{"score": 2, "reason": "meh"}')).toMatchObject({
      ok: true,
      sample: { verdict: "fail" },
    });
    expect(parseJudgeAnswer(scaled, '{"score": 9}')).toMatchObject({ ok: false });
  });

  it("refuses garbage and answers without a verdict, saying what was wrong", () => {
    expect(parseJudgeAnswer(passFail, "I think it is fine?? {verdict: maybe")).toMatchObject({
      ok: false,
      error: expect.stringContaining("no JSON object"),
    });
    expect(parseJudgeAnswer(passFail, '{"verdict": "maybe"}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('"verdict"'),
    });
    expect(extractJsonObject("[1,2]")).toBeUndefined();
  });
});

describe("combineSamples", () => {
  const s = (verdict: "pass" | "fail") => ({
    verdict,
    score: verdict === "pass" ? 1 : 0,
    rawScore: null,
    reason: verdict,
  });
  it("agreeing samples make a verdict; a split makes the judge unstable, not a pass or a fail", () => {
    expect(combineSamples([s("pass"), s("pass")])).toMatchObject({ verdict: "pass", unstable: false });
    expect(combineSamples([s("fail"), s("fail"), s("fail")])).toMatchObject({ verdict: "fail" });
    expect(combineSamples([s("pass"), s("fail"), s("pass")])).toEqual({
      verdict: "skipped",
      score: null,
      reason: "unstable: 2 of 3 samples pass, 1 fail",
      unstable: true,
    });
  });
  it("an unparsable sample makes an error score", () => {
    expect(combineSamples([s("pass"), { error: "no JSON" }])).toMatchObject({
      verdict: "error",
      reason: "judge error: no JSON",
    });
  });
});
