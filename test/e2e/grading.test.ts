/**
 * Grading against the running product: create a grader, send traces, force-close the
 * agent's window, and read the scores, the window rollup and the distribution over HTTP.
 */
import { describe, expect, it } from "vitest";
import { api, createProject, eventually } from "./client";

describe("grading over HTTP", () => {
  it("scores sent traces once the window is closed", async () => {
    const { apiKey } = await createProject("e2e-grading");
    const agent = `e2e-agent-${Date.now()}`;
    const created = await api(apiKey, "/api/graders", {
      method: "POST",
      body: JSON.stringify({
        agent,
        name: "mentions shipping",
        definition: { kind: "rule", check: "contains", text: "shipped" },
      }),
    });
    expect(created.status).toBe(201);
    const grader = (await created.json()) as { id: string; version: number };

    const traces = [0, 1, 2].map((i) => ({
      id: `e2e-grade-${Date.now()}-${i}`,
      agent,
      input: "Where is my order?",
      output: i === 2 ? "I could not find it." : "It shipped yesterday.",
      startTime: "2026-11-26T10:00:00.000Z",
      endTime: "2026-11-26T10:00:01.000Z",
    }));
    expect((await api(apiKey, "/api/traces", { method: "POST", body: JSON.stringify(traces) })).status).toBe(201);

    // The shard hands finished traces to the window asynchronously; close once they are there.
    await eventually(async () => {
      const status = (await (await api(apiKey, `/api/agents/${agent}/window`)).json()) as {
        open: { traceCount: number } | null;
      };
      return status.open?.traceCount === 3;
    });
    const closed = await api(apiKey, `/api/agents/${agent}/window/close`, { method: "POST" });
    expect(closed.status).toBe(200);

    const scores = (await (await api(apiKey, `/api/traces/${traces[2]!.id}/scores`)).json()) as {
      state: string;
      scores: { graderId: string; graderVersion: number; verdict: string }[];
    };
    expect(scores).toMatchObject({
      state: "graded",
      scores: [{ graderId: grader.id, graderVersion: 1, verdict: "fail" }],
    });
    const trace = (await (await api(apiKey, `/api/traces/${traces[0]!.id}`)).json()) as { state: string };
    expect(trace.state).toBe("graded");

    const windows = (await (await api(apiKey, `/api/agents/${agent}/windows`)).json()) as {
      windows: {
        traceCount: number;
        passCount: number;
        insufficient: boolean;
        rollup: { insufficientReason: string };
      }[];
    };
    expect(windows.windows).toMatchObject([{ traceCount: 3, passCount: 2, insufficient: true }]);
    expect(windows.windows[0]!.rollup.insufficientReason).toContain("at least");
    const dist = (await (await api(apiKey, `/api/agents/${agent}/distribution`)).json()) as { scoreCount: number };
    expect(dist.scoreCount).toBe(3);
  });
});
