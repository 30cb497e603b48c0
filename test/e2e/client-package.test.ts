/** The client package against the running product: traced runs arrive whole, and resending is idempotent. */
import { describe, expect, it } from "vitest";
import { deriveTraceId, Flywheel, FlywheelClient } from "../../client/index.mjs";
import { api, createProject, eventually, flywheel as server } from "./client";

interface StoredTrace {
  id: string;
  agent: string;
  status: string;
  input: unknown;
  output: unknown;
  spans: { id: string; parentId: string | null; type: string; name: string; input?: unknown }[];
}

describe("the Flywheel client", () => {
  it("records an agent's runs with their steps, gzipped and digested, readable back from the API", async () => {
    const project = await createProject("client-e2e");
    const flywheel = new Flywheel({ url: server().url, apiKey: project.apiKey, flushOnExit: false });
    const history = "earlier conversation ".repeat(100); // over 1 KiB, so the body goes gzipped
    const answer = flywheel.trace("client-bot", async (question: string) => {
      const order = await flywheel.tool("lookup_order", { orderId: "A1234" }, () => ({ state: "shipped" }));
      return flywheel.llm("chat", { question, history }, () => `Your order is ${order.state}.`, { model: "fake" });
    });
    const failing = flywheel.trace("client-bot", async () => {
      throw new Error("no such order");
    });

    expect(await answer("Where is my order?")).toBe("Your order is shipped.");
    await expect(failing()).rejects.toThrow("no such order");
    await flywheel.flush();
    expect(flywheel.stats()).toMatchObject({ sent: 2, dropped: 0, rejected: 0 });

    const listed = await eventually(async () => {
      const page = (await (await api(project.apiKey, "/api/traces?agent=client-bot")).json()) as {
        traces: { id: string; status: string }[];
      };
      return page.traces.length === 2 ? page.traces : undefined;
    });
    const ok = listed.find((t) => t.status === "ok")!;
    const stored = (await (await api(project.apiKey, `/api/traces/${ok.id}`)).json()) as StoredTrace;
    expect(stored).toMatchObject({
      agent: "client-bot",
      input: "Where is my order?",
      output: "Your order is shipped.",
    });
    expect(stored.spans.map((s) => [s.id, s.parentId, s.type, s.name])).toEqual([
      ["s1", null, "tool", "lookup_order"],
      ["s2", null, "llm", "chat"],
    ]);
    expect(listed.map((t) => t.status).sort()).toEqual(["error", "ok"]);
  });

  it("gives a trace without an id the server's own id, so a resend is a duplicate", async () => {
    const project = await createProject("client-ids");
    const trace = { agent: "ids-bot", input: "Refund order A1234", output: "Refunded." };
    const client = new FlywheelClient({ baseUrl: server().url, apiKey: project.apiKey });

    const first = await client.sendTraces(trace);
    const again = await client.sendTraces(trace);
    expect(first).toMatchObject({ status: "created", accepted: 1 });
    expect(again).toMatchObject({ id: first.id, status: "duplicate", duplicates: 1 });

    const raw = await api(project.apiKey, "/api/traces", { method: "POST", body: JSON.stringify(trace) });
    expect(await raw.json()).toMatchObject({ id: first.id, status: "duplicate" });
    expect(await deriveTraceId(trace)).toBe(first.id);
  });
});
