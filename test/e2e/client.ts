/** @module A small client for end-to-end tests, using plain `fetch` as a user would. */
import { inject } from "vitest";

export const flywheel = () => inject("flywheel");

export async function createProject(name = "e2e"): Promise<{ id: string; apiKey: string }> {
  const { url, adminToken } = flywheel();
  const res = await fetch(`${url}/api/projects`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`create project: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ id: string; apiKey: string }>;
}

export async function api(apiKey: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${flywheel().url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...init.headers },
  });
}

/** Polls until `check` returns a value, for state that settles asynchronously (indexing, grading). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The JSON body of a response that must have `status`; anything else fails with the body in the message. */
export async function expectJson<T = any>(res: Promise<Response>, status: number): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${text}`);
  return JSON.parse(text) as T;
}
