/**
 * Tests the real judge client (fetch) against the local fake OpenAI-compatible server in
 * each of its failure modes. Backoff waits are recorded instead of slept, except where the
 * server's own Retry-After is honoured.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FakeJudge, startFakeJudge } from "../../test/fake-judge/server.mjs";
import { JudgeClient, JudgeUnavailableError, parseRetryAfter, type JudgeCall } from "./judge-client";

let judge: FakeJudge | undefined;
afterEach(async () => {
  await judge?.close();
  judge = undefined;
});

const call = (url: string, content = "Judge this trace"): JudgeCall => ({
  baseUrl: url,
  model: "fake-model",
  temperature: 0,
  messages: [{ role: "user", content }],
  answerSchema: { type: "object" },
});

function client(waits: number[] = [], overrides: Partial<ConstructorParameters<typeof JudgeClient>[0]> = {}) {
  return new JudgeClient({
    apiKey: "sk-test",
    timeoutMs: 2_000,
    maxAttempts: 3,
    concurrency: 4,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  });
}

describe("JudgeClient against the fake judge", () => {
  it("returns the answer text and token usage of a fixed answer", async () => {
    judge = await startFakeJudge({ rules: [{ match: "refund", answer: { verdict: "fail", reason: "no refund" } }] });
    const reply = await client().complete(call(judge.url, "Did the agent refund?"));
    expect(JSON.parse(reply.text)).toEqual({ verdict: "fail", reason: "no refund" });
    expect(reply.inputTokens).toBeGreaterThan(0);
    expect(reply.outputTokens).toBeGreaterThan(0);
    expect(judge.calls[0]!.body.model).toBe("fake-model");
  });

  it("retries a 429 after the Retry-After the server asked for", async () => {
    judge = await startFakeJudge({ rules: [{ status: 429, retryAfter: "7", times: 1 }] });
    const waits: number[] = [];
    const reply = await client(waits).complete(call(judge.url));
    expect(JSON.parse(reply.text).verdict).toBe("pass");
    expect(waits).toEqual([7_000]);
    expect(judge.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it("backs off exponentially on 5xx and gives up as unavailable when they persist", async () => {
    judge = await startFakeJudge({ rules: [{ status: 503 }] });
    const waits: number[] = [];
    await expect(client(waits).complete(call(judge.url))).rejects.toThrow(JudgeUnavailableError);
    expect(waits).toEqual([500, 1_000]);
    expect(judge.calls).toHaveLength(3);
  });

  it("treats a dropped connection as retryable", async () => {
    judge = await startFakeJudge({ rules: [{ drop: true, times: 2 }] });
    const reply = await client().complete(call(judge.url));
    expect(JSON.parse(reply.text).verdict).toBe("pass");
    expect(judge.calls).toHaveLength(3);
  });

  it("times out a slow answer and retries it", async () => {
    judge = await startFakeJudge({ rules: [{ delayMs: 1_000, times: 1 }] });
    const reply = await client([], { timeoutMs: 200 }).complete(call(judge.url));
    expect(JSON.parse(reply.text).verdict).toBe("pass");
    expect(judge.calls).toHaveLength(2);
  });

  it("hands garbage through as text: parsing it is the caller's job", async () => {
    judge = await startFakeJudge({ rules: [{ garbage: true }] });
    const reply = await client().complete(call(judge.url));
    expect(reply.text).toContain("{verdict: maybe");
  });

  it("does not retry a 401 (a wrong key will not fix itself) and says so", async () => {
    judge = await startFakeJudge({ rules: [{ status: 401 }] });
    await expect(client().complete(call(judge.url))).rejects.toThrow(/HTTP 401/);
    expect(judge.calls).toHaveLength(1);
  });

  it("gives up rather than wait a Retry-After longer than it may", async () => {
    judge = await startFakeJudge({ rules: [{ status: 429, retryAfter: "3600" }] });
    await expect(client().complete(call(judge.url))).rejects.toThrow(/asked to wait 3600 s/);
    expect(judge.calls).toHaveLength(1);
  });

  it("keeps at most `concurrency` calls in flight", async () => {
    judge = await startFakeJudge({ latencyMs: 50 });
    const c = client([], { concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => c.complete(call(judge!.url, `trace ${i}`))));
    expect(judge.calls).toHaveLength(12);
    expect(judge.maxInFlight).toBe(3);
  });

  it("sends the key as a bearer token and asks for a JSON schema answer", async () => {
    judge = await startFakeJudge();
    await client().complete(call(judge.url));
    expect(judge.calls[0]!.body.response_format.type).toBe("json_schema");
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
