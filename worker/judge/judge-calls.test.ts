/**
 * The registry of one agent's judge calls: a call is made once however many ask for it,
 * an unparsable reply is asked again and paid for each time, a failed call is asked again
 * later, and what was paid reaches the cache even when a write fails once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FakeJudge, startFakeJudge } from "../../test/fake-judge/server.mjs";
import { type CachedAnswer, JudgeCalls, type PlannedCall } from "./judge-calls";
import { type JudgeCall, JudgeClient, type JudgeReply, JudgeUnavailableError } from "./judge-client";
import { judgeGraderSchema } from "./judge-definition";

const def = judgeGraderSchema.parse({ kind: "judge", rubric: { criteria: "Is it polite?" } });
const planned = (key: string): PlannedCall => ({
  key,
  def,
  call: { baseUrl: "http://judge.test", model: "m", temperature: 0, messages: [], answerSchema: {} },
});
const reply = (text: string): JudgeReply => ({ text, inputTokens: 100, outputTokens: 10 });
const pass = reply('{"verdict":"pass","reason":"polite"}');

/** A judge endpoint stand-in that answers from a list, recording each call. */
function endpoint(answers: (JudgeReply | Error)[]) {
  const made: JudgeCall[] = [];
  const complete = async (call: JudgeCall) => {
    made.push(call);
    const next = answers.shift() ?? pass;
    if (next instanceof Error) throw next;
    return next;
  };
  return { made, complete };
}

function savedStore(failFirst = false) {
  const saved: { entries: (CachedAnswer & { key: string })[]; tokens: number }[] = [];
  let fail = failFirst;
  const save = async (entries: (CachedAnswer & { key: string })[], tokens: number) => {
    if (fail) {
      fail = false;
      throw new Error("D1 unavailable");
    }
    saved.push({ entries, tokens });
  };
  return { saved, save };
}

describe("JudgeCalls", () => {
  it("makes one call for a key however often it is asked, and tells its first user apart", async () => {
    const { made, complete } = endpoint([]);
    const calls = new JudgeCalls(complete, savedStore().save, 3);
    const a = calls.ask(planned("k1"));
    const b = calls.ask(planned("k1"));
    expect(calls.has("k1")).toBe(true);
    const first = calls.use("k1")!;
    const second = calls.use("k1")!;
    expect([first.first, second.first]).toEqual([true, false]);
    expect(await a).toEqual(await b);
    expect((await first.answer).sample).toMatchObject({ verdict: "pass" });
    expect(made).toHaveLength(1);
    // Used and answered: forgotten here (the cache has it), so a later ask is a new call.
    expect(calls.has("k1")).toBe(false);
  });

  it("asks again while the reply does not parse, paying for every reply and caching only a parsed one", async () => {
    const { made, complete } = endpoint([reply("not json"), reply("{}"), pass]);
    const { saved, save } = savedStore();
    const calls = new JudgeCalls(complete, save, 3);
    const got = await calls.ask(planned("k1"));
    expect(got.sample).toMatchObject({ verdict: "pass" });
    expect(made).toHaveLength(3);
    await calls.save();
    expect(saved).toEqual([{ entries: [{ key: "k1", ...pass }], tokens: 330 }]);
  });

  it("keeps the last unparsable reply as an error once the attempts are spent, and caches nothing", async () => {
    const { complete } = endpoint([reply("garbage"), reply("garbage")]);
    const { saved, save } = savedStore();
    const calls = new JudgeCalls(complete, save, 2);
    expect((await calls.ask(planned("k1"))).sample).toHaveProperty("error");
    await calls.save();
    expect(saved).toEqual([{ entries: [], tokens: 220 }]);
  });

  it("forgets a call that failed, so the next ask calls the judge again", async () => {
    const { made, complete } = endpoint([new Error("judge endpoint unavailable")]);
    const calls = new JudgeCalls(complete, savedStore().save, 3);
    await expect(calls.ask(planned("k1"))).rejects.toThrow("unavailable");
    expect(calls.has("k1")).toBe(false);
    expect(calls.use("k1")).toBeUndefined();
    expect((await calls.ask(planned("k1"))).sample).toMatchObject({ verdict: "pass" });
    expect(made).toHaveLength(2);
  });

  it("keeps what a failed save held and writes it with the next save", async () => {
    const { complete } = endpoint([]);
    const { saved, save } = savedStore(true);
    const calls = new JudgeCalls(complete, save, 1);
    await calls.ask(planned("k1"));
    await expect(calls.save()).rejects.toThrow("D1 unavailable");
    await calls.ask(planned("k2"));
    await calls.save();
    expect(saved).toHaveLength(1);
    expect(saved[0]!.entries.map((e) => e.key).sort()).toEqual(["k1", "k2"]);
    expect(saved[0]!.tokens).toBe(220);
  });

  describe("against an endpoint that fails", () => {
    let judge: FakeJudge | undefined;
    afterEach(async () => {
      await judge?.close();
      judge = undefined;
    });

    it("holds back the calls asked ahead, never a window's own, until a call succeeds again", async () => {
      judge = await startFakeJudge({ rules: [{ status: 503 }] });
      const client = new JudgeClient({ timeoutMs: 2_000, maxAttempts: 2, concurrency: 1, sleep: async () => {} });
      const calls = new JudgeCalls((call, options) => client.complete(call, options), savedStore().save, 1);
      const at = (key: string): PlannedCall => ({
        ...planned(key),
        call: { ...planned(key).call, baseUrl: judge!.url },
      });

      // Five traces asked ahead during an outage: the first call fails, the four queued behind it are not made.
      const ahead = ["a1", "a2", "a3", "a4", "a5"].map((key) => calls.ask(at(key), true));
      const settled = await Promise.allSettled(ahead);
      expect(settled.every((s) => s.status === "rejected" && s.reason instanceof JudgeUnavailableError)).toBe(true);
      expect(judge.calls).toHaveLength(2); // the first call and its one retry
      expect(calls.aheadPaused()).toBe(true);
      // A window's own call still goes out.
      await expect(calls.ask(at("w1"))).rejects.toThrow(JudgeUnavailableError);
      expect(judge.calls).toHaveLength(4);

      // The endpoint is back: the window's call succeeds, and asking ahead resumes.
      judge.setRules([]);
      expect((await calls.ask(at("w2"))).sample).toMatchObject({ verdict: "pass" });
      expect(calls.aheadPaused()).toBe(false);
      expect((await calls.ask(at("a1"), true)).sample).toMatchObject({ verdict: "pass" });
      expect(judge.calls).toHaveLength(6);
    });
  });
});
