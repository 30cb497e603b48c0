/**
 * Every route in the OpenAPI document, tried with no key, a wrong key, a revoked key,
 * another project's key and (for admin routes) a project key: none of them answers
 * with data. New routes are covered automatically because the list comes from the
 * generated document.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createProject, flushShards, postTraces, sampleTrace } from "./helpers";

interface Operation {
  method: string;
  path: string;
  security: Array<Record<string, unknown>>;
}

const PUBLIC = new Set(["GET /api/health", "GET /api/openapi.json"]);

let operations: Operation[] = [];
let owner: { id: string; apiKey: string; keyId: string };
let other: { id: string; apiKey: string };
let revokedKey: string;
let traceId: string;

beforeAll(async () => {
  const doc = await (await call("/api/openapi.json")).json<{
    paths: Record<string, Record<string, { security?: [] }>>;
  }>();
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      security: op.security ?? [],
    })),
  );
  owner = await createProject("owner");
  other = await createProject("other");
  const extra = await call(`/api/projects/${owner.id}/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const extraKey = await extra.json<{ apiKey: string; keyId: string }>();
  await call(`/api/projects/${owner.id}/keys/${extraKey.keyId}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  revokedKey = extraKey.apiKey;
  const trace = sampleTrace();
  traceId = trace.id;
  await postTraces(owner.apiKey, trace);
  await flushShards();
});

/** Fills path parameters with the owner's real ids, so a leak would have something to leak. */
function concrete(path: string): string {
  return path
    .replace("{projectId}", owner.id)
    .replace("{keyId}", owner.keyId)
    .replace("{id}", traceId)
    .replace(/\{[^}]+\}/g, "x");
}

function request(op: Operation, authorization?: string): Promise<Response> {
  const hasBody = !["GET", "DELETE"].includes(op.method);
  return call(concrete(op.path), {
    method: op.method,
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: hasBody ? JSON.stringify({ name: "x", agent: "support-bot" }) : undefined,
  });
}

const isAdmin = (op: Operation) => op.security.some((s) => "adminToken" in s);

describe("route security", () => {
  it("documents security for every non-public route", () => {
    expect(operations.length).toBeGreaterThan(8);
    for (const op of operations) {
      if (PUBLIC.has(`${op.method} ${op.path}`)) continue;
      expect(op.security.length, `${op.method} ${op.path}`).toBeGreaterThan(0);
    }
  });

  it("answers 401 without a valid credential on every protected route", async () => {
    const bad = [undefined, "Bearer nope", `Bearer ${revokedKey}`, `Basic ${btoa(`${owner.id}:${revokedKey}`)}`];
    for (const op of operations) {
      if (PUBLIC.has(`${op.method} ${op.path}`)) continue;
      for (const authorization of bad) {
        const res = await request(op, authorization);
        expect(res.status, `${op.method} ${op.path} with ${authorization}`).toBe(401);
        const body = await res.json<{ error: { code: string; message: string } }>();
        expect(body.error.code).toBe("unauthorized");
      }
      if (isAdmin(op)) {
        const res = await request(op, `Bearer ${owner.apiKey}`);
        expect(res.status, `${op.method} ${op.path} with a project key`).toBe(401);
      }
    }
    // Four sequential requests per route: the time grows with the API, not with a fault.
  }, 30_000);

  it("never shows another project's data to a valid key of a different project", async () => {
    for (const op of operations) {
      if (isAdmin(op) || op.method !== "GET" || PUBLIC.has(`${op.method} ${op.path}`)) continue;
      const res = await request(op, `Bearer ${other.apiKey}`);
      const text = await res.text();
      expect(res.status, `${op.method} ${op.path}`).toBeLessThan(500);
      // A 404 may echo the id the caller asked for; anything else must not contain the owner's data.
      if (res.status === 404) continue;
      expect(text, `${op.method} ${op.path}`).not.toContain(traceId);
      expect(text, `${op.method} ${op.path}`).not.toContain(owner.id);
    }
  }, 30_000);

  it("stores no key in clear text", async () => {
    const { results } = await env.DB.prepare("SELECT * FROM api_keys").all();
    const dump = JSON.stringify(results);
    for (const key of [owner.apiKey, other.apiKey, revokedKey]) expect(dump).not.toContain(key);
  });
});
