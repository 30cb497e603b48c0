/** A user's first minutes against a running server: create a project, send traces with fetch, read them back. */
import { describe, expect, it } from "vitest";
import { api, createProject, eventually, flywheel } from "./client";

describe("native traces over HTTP", () => {
  it("stores a trace sent with fetch and serves it, the index and the API docs", async () => {
    const project = await createProject();
    const trace = {
      id: `e2e-${Date.now()}`,
      agent: "support-bot",
      input: "Where is my order?",
      output: { answer: "Shipped." },
      startTime: "2026-11-26T10:00:00.000Z",
      endTime: "2026-11-26T10:00:01.500Z",
      spans: [
        { id: "s1", type: "tool", name: "lookup_order", input: { orderId: "A17" }, output: { state: "shipped" } },
      ],
    };
    const body = JSON.stringify(trace);
    const digest = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body))).toString(
      "base64",
    );
    const res = await api(project.apiKey, "/api/traces", {
      method: "POST",
      body,
      headers: { "content-digest": `sha-256=:${digest}:` },
    });
    expect(res.status).toBe(201);

    const read = await api(project.apiKey, `/api/traces/${trace.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: trace.id, agent: "support-bot", latencyMs: 1500, state: "finished" });

    const listed = await eventually(async () => {
      const page = (await (await api(project.apiKey, "/api/traces?agent=support-bot")).json()) as {
        traces: { id: string }[];
      };
      return page.traces.length === 1 ? page : undefined;
    });
    expect(listed.traces[0]!.id).toBe(trace.id);

    const doc = (await (await fetch(`${flywheel().url}/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/traces", "/api/traces/{id}", "/api/projects"]),
    );
    const reference = await fetch(`${flywheel().url}/reference/`);
    expect(reference.status).toBe(200);
    expect(await reference.text()).toContain("swagger-ui-bundle.js");
    expect((await fetch(`${flywheel().url}/vendor/swagger-ui/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it("keeps benchmark routes off unless the benchmark enables them", async () => {
    for (const route of ["r2-put", "fetch-floor"]) {
      const res = await fetch(`${flywheel().url}/__bench/${route}`, { method: "POST", body: "x" });
      expect(res.status).toBe(404);
    }
  });
});
