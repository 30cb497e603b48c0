/** @module Helpers for the grading integration tests: graders, window settings and settling an AgentWindow. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { agentWindow } from "../../worker/storage/durable-objects";
import { call, flushShards, getJson, postTraces } from "./helpers";

export function send(apiKey: string, method: string, path: string, body?: unknown): Promise<Response> {
  return call(path, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function createGrader(
  apiKey: string,
  body: Record<string, unknown>,
): Promise<{ id: string; version: number }> {
  const res = await send(apiKey, "POST", "/api/graders", { agent: "support-bot", ...body });
  if (res.status !== 201) throw new Error(`createGrader: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function setWindow(
  apiKey: string,
  settings: Record<string, unknown>,
  agent = "support-bot",
): Promise<void> {
  const res = await send(apiKey, "PUT", `/api/agents/${agent}/window`, settings);
  if (res.status !== 200) throw new Error(`setWindow: ${res.status} ${await res.text()}`);
}

/** Ingests traces and hands them to their windows. */
export async function ingest(apiKey: string, traces: unknown[]): Promise<void> {
  const res = await postTraces(apiKey, traces);
  if (res.status !== 201) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  await flushShards();
}

export async function closeWindow(apiKey: string, agent = "support-bot") {
  const res = await send(apiKey, "POST", `/api/agents/${agent}/window/close`);
  return {
    status: res.status,
    body: await res.json<{ closedWindowId: string | null; pending: { state: string; attempts: number }[] }>(),
  };
}

/**
 * Runs the window's alarm until nothing is open-and-due or pending. An alarm may already
 * be running on its own, so this polls the window's status rather than trusting one run.
 */
export async function settleWindow(projectId: string, agent = "support-bot"): Promise<void> {
  const stub = agentWindow(env, projectId, agent);
  for (let round = 0; round < 200; round++) {
    await runDurableObjectAlarm(stub);
    const status = await stub.status();
    const due = status.open?.dueAt ? Date.parse(status.open.dueAt) <= Date.now() : false;
    if (!due && status.pending.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("AgentWindow did not settle");
}

export interface WindowView {
  id: string;
  traceCount: number;
  gradedCount: number;
  passCount: number;
  passRate: number | null;
  insufficient: boolean;
  rollup: {
    traceCount: number;
    passRateCI: { low: number; high: number } | null;
    insufficient: boolean;
    insufficientReason: string | null;
    quarantinedCount: number;
    supersededCount: number;
    perGraderVersion: {
      graderId: string;
      graderVersion: number;
      pass: number;
      fail: number;
      error: number;
      count: number;
    }[];
    windowScores: { graderId: string; verdict: string }[];
    latencyMs: { p50: number | null };
  };
}

export async function windows(apiKey: string, agent = "support-bot"): Promise<WindowView[]> {
  const res = await getJson(apiKey, `/api/agents/${agent}/windows`);
  if (res.status !== 200) throw new Error(`windows: ${res.status} ${await res.text()}`);
  return (await res.json<{ windows: WindowView[] }>()).windows;
}

export interface ScoreView {
  graderId: string;
  graderVersion: number;
  verdict: string;
  reason: string;
  windowId: string;
  superseded: boolean;
}

export async function traceScores(
  apiKey: string,
  traceId: string,
): Promise<{ state: string | null; scores: ScoreView[] }> {
  const res = await getJson(apiKey, `/api/traces/${traceId}/scores`);
  if (res.status !== 200) throw new Error(`traceScores: ${res.status} ${await res.text()}`);
  return res.json();
}
