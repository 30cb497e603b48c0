/** Projects, API keys and isolation between projects. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createProject, flushShards, getJson, postTraces, sampleTrace } from "./helpers";

const admin = (path: string, init: RequestInit = {}) =>
  call(path, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers },
  });

describe("projects and keys", () => {
  it("creates a project whose key is stored only as a hash", async () => {
    const res = await admin("/api/projects", { method: "POST", body: JSON.stringify({ name: "acme" }) });
    expect(res.status).toBe(201);
    const body = await res.json<{ id: string; apiKey: string; keyId: string; name: string }>();
    expect(body.name).toBe("acme");
    expect(body.apiKey).toMatch(/^fw_/);
    const { results } = await env.DB.prepare("SELECT * FROM api_keys").all<Record<string, string>>();
    expect(JSON.stringify(results)).not.toContain(body.apiKey);
    const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body.apiKey)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(results.some((r) => r.key_hash === hash)).toBe(true);
  });

  it("needs the admin token for admin routes", async () => {
    const project = await createProject();
    for (const auth of [undefined, "Bearer wrong-token", `Bearer ${project.apiKey}`]) {
      const res = await call("/api/projects", {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ name: "x" }),
      });
      expect(res.status).toBe(401);
      expect((await res.json<any>()).error.code).toBe("unauthorized");
    }
    const invalid = await admin("/api/projects", { method: "POST", body: JSON.stringify({ name: "" }) });
    expect(invalid.status).toBe(400);
    expect((await invalid.json<any>()).error.message).toContain("name");
  });

  it("rotates keys: a new key works, a revoked key is refused at once", async () => {
    const project = await createProject();
    const rotated = await admin(`/api/projects/${project.id}/keys`, { method: "POST" });
    expect(rotated.status).toBe(201);
    const { apiKey: newKey } = await rotated.json<{ apiKey: string }>();
    expect((await postTraces(newKey, sampleTrace())).status).toBe(201);
    expect((await postTraces(project.apiKey, sampleTrace())).status).toBe(201);

    const revoke = await admin(`/api/projects/${project.id}/keys/${project.keyId}`, { method: "DELETE" });
    expect(revoke.status).toBe(204);
    const refused = await postTraces(project.apiKey, sampleTrace());
    expect(refused.status).toBe(401);
    expect((await postTraces(newKey, sampleTrace())).status).toBe(201);
    const again = await admin(`/api/projects/${project.id}/keys/${project.keyId}`, { method: "DELETE" });
    expect(again.status).toBe(404);

    const keys = await (await admin(`/api/projects/${project.id}/keys`)).json<{ keys: any[] }>();
    expect(keys.keys).toHaveLength(2);
    expect(keys.keys.find((k) => k.id === project.keyId).revokedAt).not.toBeNull();
    expect(JSON.stringify(keys)).not.toContain(newKey);
  });

  it("lets a project rotate its own key", async () => {
    const project = await createProject();
    const res = await call("/api/project/keys", {
      method: "POST",
      headers: { authorization: `Bearer ${project.apiKey}` },
    });
    expect(res.status).toBe(201);
    const { apiKey, keyId } = await res.json<{ apiKey: string; keyId: string }>();
    const del = await call(`/api/project/keys/${project.keyId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(del.status).toBe(204);
    expect((await getJson(project.apiKey, "/api/project")).status).toBe(401);
    const me = await (await getJson(apiKey, "/api/project")).json<any>();
    expect(me.id).toBe(project.id);
    expect(me.keys.map((k: any) => k.id)).toContain(keyId);
  });
});

describe("isolation", () => {
  it("never lets one project's key reach another project's traces", async () => {
    const a = await createProject("a");
    const b = await createProject("b");
    const trace = sampleTrace();
    expect((await postTraces(a.apiKey, trace)).status).toBe(201);
    await flushShards();

    expect((await getJson(b.apiKey, `/api/traces/${trace.id}`)).status).toBe(404);
    const listB = await (await getJson(b.apiKey, "/api/traces")).json<{ traces: unknown[] }>();
    expect(listB.traces).toHaveLength(0);
    // The same id in another project is a different trace, not a conflict.
    expect((await postTraces(b.apiKey, { ...trace, output: "b's own" })).status).toBe(201);
    const readA = await (await getJson(a.apiKey, `/api/traces/${trace.id}`)).json<any>();
    expect(readA.output).toEqual(trace.output);
    // Another project's key cannot revoke this project's keys.
    const del = await call(`/api/project/keys/${a.keyId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${b.apiKey}` },
    });
    expect(del.status).toBe(404);
  });

  it("answers 401 for a missing, malformed or unknown key on project routes", async () => {
    for (const authorization of [undefined, "Bearer", "Bearer fw_unknown", "Token abc", "Basic !!!"]) {
      for (const path of ["/api/traces", "/api/traces/x", "/api/project"]) {
        const res = await call(path, { headers: authorization ? { authorization } : {} });
        expect(res.status, `${authorization} ${path}`).toBe(401);
        expect((await res.json<any>()).error.code).toBe("unauthorized");
      }
    }
  });

  it("accepts Basic base64(projectId:apiKey) only when the project matches the key", async () => {
    const a = await createProject("a");
    const b = await createProject("b");
    const ok = await call("/api/project", { headers: { authorization: `Basic ${btoa(`${a.id}:${a.apiKey}`)}` } });
    expect(ok.status).toBe(200);
    const mixed = await call("/api/project", { headers: { authorization: `Basic ${btoa(`${b.id}:${a.apiKey}`)}` } });
    expect(mixed.status).toBe(401);
  });
});

describe("listing", () => {
  it("filters by agent, status and time and pages with a cursor", async () => {
    const project = await createProject();
    const traces = [
      sampleTrace({ agent: "a", startTime: "2026-11-01T00:00:00.000Z", endTime: "2026-11-01T00:00:01.000Z" }),
      sampleTrace({
        agent: "a",
        status: "error",
        error: "boom",
        startTime: "2026-11-02T00:00:00.000Z",
        endTime: "2026-11-02T00:00:01.000Z",
      }),
      sampleTrace({ agent: "a", startTime: "2026-11-03T00:00:00.000Z", endTime: "2026-11-03T00:00:01.000Z" }),
      sampleTrace({ agent: "b", startTime: "2026-11-04T00:00:00.000Z", endTime: "2026-11-04T00:00:01.000Z" }),
    ];
    expect((await postTraces(project.apiKey, traces)).status).toBe(201);
    await flushShards();
    const list = async (query: string) =>
      await (await getJson(project.apiKey, `/api/traces?${query}`)).json<{
        traces: any[];
        nextCursor: string | null;
      }>();

    expect((await list("agent=a")).traces).toHaveLength(3);
    expect((await list("agent=a&status=error")).traces.map((t) => t.id)).toEqual([traces[1]!.id]);
    expect((await list("from=2026-11-02T00:00:00Z&to=2026-11-03T12:00:00Z")).traces).toHaveLength(2);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { traces: any[]; nextCursor: string | null } = await list(
        `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      seen.push(...page.traces.map((t) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(4);
    expect(seen).toHaveLength(4);

    const bad = await getJson(project.apiKey, "/api/traces?limit=0");
    expect(bad.status).toBe(400);
    expect((await bad.json<any>()).error.message).toContain("limit");
    const badCursor = await getJson(project.apiKey, "/api/traces?cursor=zzz");
    expect((await badCursor.json<any>()).error.code).toBe("invalid_cursor");
  });
});
