/** Tracing an agent with `Flywheel`, against a local HTTP server that stands in for Flywheel. */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { DropEvent } from "./batcher.js";
import { Flywheel } from "./flywheel.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A stand-in for `POST /api/traces` that stores what it gets, answering `status` (201 by default). */
async function fakeFlywheel(status = () => 201) {
  const batches: Record<string, any>[][] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString());
      const code = status();
      if (code !== 201) {
        res.writeHead(code, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: { code: "unavailable", message: "down" } }));
      }
      batches.push(body);
      const results = body.map((t: { id: string }, index: number) => ({ index, id: t.id, status: "created" }));
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ results, accepted: body.length, duplicates: 0, rejected: 0 }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, batches, traces: () => batches.flat() };
}

const lookupOrder = (orderId: string) => ({ orderId, state: "shipped" });

describe("Flywheel.trace", () => {
  it("records a call of the agent with its nested steps, and returns what the agent returns", async () => {
    const fake = await fakeFlywheel();
    const flywheel = new Flywheel({ url: fake.url, apiKey: "fw_test", flushOnExit: false });
    const answer = flywheel.trace("support-bot", async (question: string) => {
      const order = await flywheel.tool("lookup_order", { orderId: "A1234" }, () => lookupOrder("A1234"));
      return flywheel.llm(
        "chat",
        [{ role: "user", content: question }],
        async (span) => {
          const reply = await flywheel.step("format", order, () => `Your order is ${order.state}.`);
          span.set({ usage: { inputTokens: 12, outputTokens: 5 } });
          return reply;
        },
        { model: "local-model" },
      );
    });

    expect(await answer("Where is my order?")).toBe("Your order is shipped.");
    await flywheel.flush();

    const [trace] = fake.traces();
    expect(trace).toMatchObject({
      agent: "support-bot",
      input: "Where is my order?",
      output: "Your order is shipped.",
      status: "ok",
    });
    expect(trace!.id).toMatch(/^t-[0-9a-f]{32}$/);
    expect(Date.parse(trace!.endTime)).toBeGreaterThanOrEqual(Date.parse(trace!.startTime));
    expect(trace!.spans).toEqual([
      expect.objectContaining({
        id: "s1",
        parentId: null,
        type: "tool",
        name: "lookup_order",
        output: lookupOrder("A1234"),
      }),
      expect.objectContaining({
        id: "s2",
        parentId: null,
        type: "llm",
        model: "local-model",
        usage: { inputTokens: 12, outputTokens: 5 },
      }),
      expect.objectContaining({ id: "s3", parentId: "s2", type: "step", output: "Your order is shipped." }),
    ]);
  });

  it("records a thrown error as an error trace and rethrows it unchanged", async () => {
    const fake = await fakeFlywheel();
    const flywheel = new Flywheel({ url: fake.url, apiKey: "fw_test", flushOnExit: false });
    const failure = new Error("order service timed out");
    const agent = flywheel.trace("support-bot", async () => {
      await flywheel.tool("lookup_order", { orderId: "A1" }, () => {
        throw failure;
      });
    });

    await expect(agent()).rejects.toBe(failure);
    await flywheel.flush();
    expect(fake.traces()[0]).toMatchObject({
      status: "error",
      error: "order service timed out",
      spans: [{ name: "lookup_order", status: "error", error: "order service timed out" }],
    });
  });

  it("nests through the explicit handle where the runtime cannot follow await", async () => {
    const fake = await fakeFlywheel();
    const flywheel = new Flywheel({ url: fake.url, apiKey: "fw_test", flushOnExit: false });
    await flywheel.run("support-bot", { question: "refund?" }, async (run) => {
      run.set({ version: "v1", tags: ["beta"], metadata: { user: "u1" } });
      await run.step("plan", null, (step) => step.tool("issue_refund", { orderId: "A1234" }, () => ({ ok: true })));
      return "refunded";
    });
    await flywheel.flush();
    expect(fake.traces()[0]).toMatchObject({
      version: "v1",
      tags: ["beta"],
      metadata: { user: "u1" },
      output: "refunded",
      spans: [
        { id: "s1", parentId: null, type: "step" },
        { id: "s2", parentId: "s1", type: "tool", output: { ok: true } },
      ],
    });
  });

  it("calls the step plainly outside a run", async () => {
    const flywheel = new Flywheel({ url: "http://127.0.0.1:1", apiKey: "fw_test", flushOnExit: false });
    expect(await flywheel.tool("lookup_order", "A1", () => 42)).toBe(42);
    expect(flywheel.stats().buffered).toBe(0);
  });

  it("sends in batches of batchSize", async () => {
    const fake = await fakeFlywheel();
    const flywheel = new Flywheel({ url: fake.url, apiKey: "fw_test", batchSize: 50, flushOnExit: false });
    const agent = flywheel.trace("support-bot", (n: number) => n * 2);
    for (let i = 0; i < 120; i++) await agent(i);
    await flywheel.flush();
    expect(fake.batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(flywheel.stats()).toMatchObject({ sent: 120, dropped: 0, buffered: 0 });
  });
});

describe("when Flywheel is down", () => {
  it("keeps the agent running, holds a bounded buffer, and counts and reports what it drops", async () => {
    const fake = await fakeFlywheel(() => 503);
    const drops: DropEvent[] = [];
    const flywheel = new Flywheel({
      url: fake.url,
      apiKey: "fw_test",
      maxBufferedTraces: 5,
      batchSize: 5,
      maxRetries: 1,
      backoffMs: 1,
      flushOnExit: false,
      onDrop: (event) => drops.push(event),
    });
    const agent = flywheel.trace("support-bot", (n: number) => `answer ${n}`);
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await agent(i));

    expect(answers[19]).toBe("answer 19");
    await flywheel.flush();
    const stats = flywheel.stats();
    expect(stats.sent).toBe(0);
    expect(stats.dropped).toBe(20);
    expect(stats.retries).toBeGreaterThan(0);
    expect(new Set(drops.map((d) => d.reason))).toEqual(new Set(["buffer_full", "send_failed"]));
    expect(drops.reduce((n, d) => n + d.count, 0)).toBe(20);
  });

  it("does not reject flush when nothing listens at the address", async () => {
    const drops: DropEvent[] = [];
    const flywheel = new Flywheel({
      url: "http://127.0.0.1:1",
      apiKey: "fw_test",
      maxRetries: 0,
      flushOnExit: false,
      onDrop: (event) => drops.push(event),
    });
    flywheel.send({ agent: "support-bot", output: "hi" });
    await expect(flywheel.flush()).resolves.toBeUndefined();
    expect(flywheel.stats().dropped).toBe(1);
    expect(drops[0]?.reason).toBe("send_failed");
  });
});

describe("when Node exits", () => {
  it("sends what is still buffered before the process ends", async () => {
    const fake = await fakeFlywheel();
    const entry = new URL("../index.mjs", import.meta.url).href;
    // A script that records one run and ends without calling flush().
    const script = `
      import { Flywheel } from ${JSON.stringify(entry)};
      const flywheel = new Flywheel({ url: ${JSON.stringify(fake.url)}, apiKey: "fw_test", flushIntervalMs: 60000 });
      await flywheel.trace("support-bot", (q) => "answer to " + q)("last question");
    `;
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ["--input-type=module", "-e", script], (error) => (error ? reject(error) : resolve())),
    );
    expect(fake.traces()).toMatchObject([{ input: "last question", output: "answer to last question" }]);
  });
});
