/** @module Helpers for integration tests that drive the real worker with local D1, R2 and Durable Objects. */
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { onTestFinished, vi } from "vitest";

export const ADMIN_TOKEN = "test-admin-token";
export const BASE = "http://flywheel.test";

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export async function createProject(name = "acme"): Promise<{ id: string; apiKey: string; keyId: string }> {
  const res = await call("/api/projects", {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`createProject: ${res.status} ${await res.text()}`);
  return res.json();
}

export function postTraces(apiKey: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call("/api/traces", {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

export function getJson(apiKey: string, path: string): Promise<Response> {
  return call(path, { headers: { authorization: `Bearer ${apiKey}` } });
}

/**
 * Runs pending TraceShard alarms until every shard has handed its records to D1 and
 * the windows (an alarm may already be running on its own, so this waits for it).
 */
export async function flushShards(): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const stubs = (await listDurableObjectIds(env.TRACE_SHARD)).map((id) => env.TRACE_SHARD.get(id));
    await Promise.all(stubs.map((stub) => runDurableObjectAlarm(stub)));
    const pending = await Promise.all(stubs.map((stub) => stub.pendingCount()));
    if (pending.every((n) => n === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("TraceShards did not drain");
}

/**
 * Waits for the index flushes a file's last requests started (their alarms are due at
 * once), then cancels what is still scheduled: an alarm running into the torn-down test
 * environment fails there and prints its error. It does not run the alarms itself, which
 * would race the runtime's own run of them. For every file's `afterAll`; a shard that
 * keeps failing on purpose is given up on after half a second.
 */
export async function settleShards(): Promise<void> {
  const stubs = (await listDurableObjectIds(env.TRACE_SHARD)).map((id) => env.TRACE_SHARD.get(id));
  for (let round = 0; round < 50; round++) {
    const pending = await Promise.all(stubs.map((stub) => stub.pendingCount()));
    if (pending.every((n) => n === 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await cancelShardAlarms();
}

export async function countRows(table: string, where = "1=1", ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export function sampleTrace(overrides: Record<string, unknown> = {}) {
  return {
    id: `run-${crypto.randomUUID()}`,
    agent: "support-bot",
    version: "prompt-v3",
    input: "Where is my order?",
    output: { answer: "It shipped yesterday." },
    startTime: "2026-11-26T10:00:00.000Z",
    endTime: "2026-11-26T10:00:01.500Z",
    status: "ok",
    metadata: { user: "u1" },
    tags: ["beta"],
    spans: [
      {
        id: "s1",
        parentId: null,
        type: "llm",
        name: "chat gpt-4o-mini",
        startTime: "2026-11-26T10:00:00.100Z",
        endTime: "2026-11-26T10:00:01.000Z",
        status: "ok",
        model: "gpt-4o-mini",
        usage: { inputTokens: 120, outputTokens: 30 },
        input: [{ role: "user", content: "Where is my order?" }],
        output: "Let me check.",
      },
      {
        id: "s2",
        parentId: "s1",
        type: "tool",
        name: "lookup_order",
        startTime: "2026-11-26T10:00:01.000Z",
        endTime: "2026-11-26T10:00:01.400Z",
        status: "ok",
        input: { orderId: "A17" },
        output: { state: "shipped" },
      },
    ],
    ...overrides,
  };
}

/**
 * Silences console.error for the rest of a test that injects a failure it expects, so
 * a passing run stays quiet; returns the spy, to assert that the failure was logged.
 */
export function silenceExpectedErrors() {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  onTestFinished(() => spy.mockRestore());
  return spy;
}

/** A TRACE_SHARD namespace whose stubs fail `method` the next `failures.remaining` times. */
export function failingShards(method: "record" | "recordSpans", failures: { remaining: number }): Env["TRACE_SHARD"] {
  return new Proxy(env.TRACE_SHARD, {
    get(target, prop) {
      if (prop !== "get") return Reflect.get(target, prop).bind(target);
      return (id: DurableObjectId) =>
        new Proxy(target.get(id), {
          get(stub, p) {
            if (p === method && failures.remaining > 0) {
              return async () => {
                failures.remaining--;
                throw new Error("injected: the Durable Object is unreachable");
              };
            }
            return Reflect.get(stub, p);
          },
        });
    },
  });
}

/** Cancels the scheduled alarm of every TraceShard that has one. */
async function cancelShardAlarms(): Promise<void> {
  const stubs = (await listDurableObjectIds(env.TRACE_SHARD)).map((id) => env.TRACE_SHARD.get(id));
  await Promise.all(
    stubs.map((stub) =>
      runInDurableObject(stub, async (_instance, state) => {
        if ((await state.storage.getAlarm()) !== null) await state.storage.deleteAlarm();
      }),
    ),
  );
}

/**
 * `binding` with `method` failing (throwing `message`) the next `failures.remaining`
 * times, or always when no count is given; everything else passes through.
 */
export function failing<T extends object>(
  binding: T,
  method: string,
  message: string,
  failures = { remaining: Infinity },
): T {
  return new Proxy(binding, {
    get(target, prop) {
      if (prop === method && failures.remaining > 0) {
        return async () => {
          failures.remaining--;
          throw new Error(message);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
