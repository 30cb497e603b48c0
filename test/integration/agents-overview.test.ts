/**
 * `GET /api/agents`: the site's overview of every agent, answered from counters the
 * trace index keeps by trigger and from window rollups. Also: each window's rollup says
 * which agent versions it graded.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { traceObjectKey } from "../../worker/storage/r2";
import { createProject, getJson, sampleTrace } from "./helpers";
import { closeWindow, createGrader, ingest, setWindow, windows } from "./grading-helpers";

const containsShipped = { kind: "rule", check: "contains", text: "shipped" };

interface Overview {
  agent: string;
  tracesPerDay: { day: string; traces: number }[];
  totalTraces: number;
  passRate: { value: number; ci: { low: number; high: number } | null; windowSeq: number } | null;
  trend: { kind: string };
  ungraded: { count: number; reason: string | null };
  graded: number;
  quarantined: number;
  enabledGraders: number;
}

async function overview(apiKey: string): Promise<Overview[]> {
  const res = await getJson(apiKey, "/api/agents");
  expect(res.status).toBe(200);
  return (await res.json<{ agents: Overview[] }>()).agents;
}

describe("GET /api/agents", () => {
  it("counts each agent's traces by day and state, its pass rate with interval, and why traces wait", async () => {
    const { apiKey, id } = await createProject();
    await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    await setWindow(apiKey, { minGraded: 5 });
    const passing = Array.from({ length: 6 }, () => sampleTrace());
    const failing = Array.from({ length: 2 }, () => sampleTrace({ output: "lost it", version: "prompt-v4" }));
    const corrupted = sampleTrace();
    await ingest(apiKey, [...passing, ...failing, corrupted]);
    // Sent twice: a retried ingest must not count twice.
    await ingest(apiKey, passing.slice(0, 2)).catch(() => undefined);
    await env.TRACES.put(traceObjectKey(id, "support-bot", corrupted.id), JSON.stringify({ tampered: true }));
    await closeWindow(apiKey);
    // A second agent with traces but no grader: its traces wait for a reason the user can fix.
    await ingest(apiKey, [sampleTrace({ agent: "billing-bot" }), sampleTrace({ agent: "billing-bot" })]);

    const agents = await overview(apiKey);
    expect(agents.map((a) => a.agent)).toEqual(["billing-bot", "support-bot"]);
    const [billing, support] = agents as [Overview, Overview];

    const today = new Date().toISOString().slice(0, 10);
    expect(support.tracesPerDay).toHaveLength(14);
    expect(support.tracesPerDay.at(-1)).toEqual({ day: today, traces: 9 });
    expect(support).toMatchObject({ totalTraces: 9, graded: 8, quarantined: 1, enabledGraders: 1 });
    expect(support.ungraded).toEqual({ count: 0, assembling: 0, reason: null });
    expect(support.passRate?.value).toBeCloseTo(6 / 8);
    expect(support.passRate?.ci?.low).toBeLessThan(6 / 8);
    expect(support.passRate?.ci?.high).toBeGreaterThan(6 / 8);
    expect(support.trend.kind).toBe("unknown");

    expect(billing).toMatchObject({ totalTraces: 2, graded: 0, passRate: null, enabledGraders: 0 });
    expect(billing.ungraded).toEqual({ count: 2, assembling: 0, reason: "no_enabled_graders" });
  });

  it("shows only the caller's project", async () => {
    const mine = await createProject("mine");
    const theirs = await createProject("theirs");
    await ingest(theirs.apiKey, [sampleTrace({ agent: "secret-bot" })]);
    expect(await overview(mine.apiKey)).toEqual([]);
  });

  it("refuses a range it cannot answer, saying what to send", async () => {
    const { apiKey } = await createProject();
    const res = await getJson(apiKey, "/api/agents?days=1000");
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { code: string; message: string } }>()).error.message).toContain("days");
  });
});

describe("window rollups", () => {
  it("count the agent versions each window graded", async () => {
    const { apiKey } = await createProject();
    await createGrader(apiKey, { name: "shipping", definition: containsShipped });
    await ingest(apiKey, [
      sampleTrace({ version: "prompt-v3" }),
      sampleTrace({ version: "prompt-v4" }),
      sampleTrace({ version: "prompt-v4" }),
    ]);
    await closeWindow(apiKey);
    const [window] = await windows(apiKey);
    expect((window!.rollup as unknown as { agentVersions: Record<string, number> }).agentVersions).toEqual({
      "prompt-v3": 1,
      "prompt-v4": 2,
    });
  });
});
