/**
 * Corruption, the way it happens to users: bits flipped in transit (refused by the
 * Content-Digest check, nothing stored) and bytes rotting on disk behind the
 * worker's back in the local R2 state (detected on read, quarantined, never served).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FlywheelClient } from "../../client/index.mjs";
import { api, createProject, eventually, flywheel } from "./client";

const FLIPS = 1000;
const ROTTEN = 50;

function digestHeader(bytes: Uint8Array): string {
  return `sha-256=:${createHash("sha256").update(bytes).digest("base64")}:`;
}

function trace(i: number) {
  return {
    id: `c-${Date.now().toString(36)}-${i}`,
    agent: "corruption-bot",
    input: `question ${i}`,
    output: { answer: `answer number ${i} with some text to flip` },
    spans: [{ id: "s1", type: "llm", name: "chat", usage: { inputTokens: 10, outputTokens: 5 } }],
  };
}

describe("corruption", () => {
  it(`refuses ${FLIPS} bit-flipped payloads sent with the original digest and stores none`, async () => {
    const project = await createProject("flips");
    const ids: string[] = [];
    let refused = 0;
    for (let i = 0; i < FLIPS; i++) {
      const t = i % 5 === 0 ? [trace(i), trace(i + FLIPS)] : trace(i);
      const original = new TextEncoder().encode(JSON.stringify(t));
      const flipped = original.slice();
      const bit = (i * 7919) % (flipped.length * 8);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      ids.push(...(Array.isArray(t) ? t.map((x) => x.id) : [t.id]));
      const res = await api(project.apiKey, "/api/traces", {
        method: "POST",
        body: flipped,
        headers: { "content-digest": digestHeader(original) },
      });
      const body = (await res.json()) as { error?: { code: string } };
      if (res.status === 400 && body.error?.code === "digest_mismatch") refused++;
    }
    expect(refused).toBe(FLIPS);
    const listed = (await (await api(project.apiKey, "/api/traces?limit=500")).json()) as { traces: unknown[] };
    expect(listed.traces).toHaveLength(0);
    for (const id of ids.slice(0, 50)) expect((await api(project.apiKey, `/api/traces/${id}`)).status).toBe(404);
  }, 300_000);

  it(`detects ${ROTTEN} objects corrupted on disk, quarantines them and never serves them`, async () => {
    const project = await createProject("rot");
    const grader = await api(project.apiKey, "/api/graders", {
      method: "POST",
      body: JSON.stringify({
        agent: "corruption-bot",
        name: "answers",
        definition: { kind: "rule", check: "contains", text: "answer" },
      }),
    });
    expect(grader.status).toBe(201);
    // A window bigger than the batch, so nothing is graded before the bytes rot.
    const settings = await api(project.apiKey, "/api/agents/corruption-bot/window", {
      method: "PUT",
      body: JSON.stringify({ maxTraces: 1000, maxAgeMs: 3_600_000 }),
    });
    expect(settings.status).toBe(200);
    const client = new FlywheelClient({ baseUrl: flywheel().url, apiKey: project.apiKey });
    const traces = Array.from({ length: ROTTEN }, (_, i) => trace(i));
    // Healthy traces in the same window prove the window really was graded.
    const healthy = Array.from({ length: 5 }, (_, i) => ({
      ...trace(1000 + i),
      id: `healthy-${Date.now().toString(36)}-${i}`,
    }));
    await client.sendTraces([...traces, ...healthy]);

    const blobDir = path.join(flywheel().stateDir, "v3", "r2", "flywheel-traces", "blobs");
    const wanted = new Set(traces.map((t) => t.id));
    let rotted = 0;
    for (const file of readdirSync(blobDir)) {
      const full = path.join(blobDir, file);
      const bytes = readFileSync(full);
      const id = /"id":"(c-[^"]+)"/.exec(bytes.toString("utf8"))?.[1];
      if (!id || !wanted.has(id)) continue;
      // One bit in the answer text: still valid JSON, so only the hash can tell.
      const at = bytes.indexOf("answer number");
      bytes[at + 2]! ^= 0x01;
      writeFileSync(full, bytes);
      rotted++;
    }
    expect(rotted).toBe(ROTTEN);

    // Grading reads every trace back with its hash check: none of the rotten ones is graded.
    await eventually(async () => {
      await api(project.apiKey, "/api/agents/corruption-bot/window/close", { method: "POST" });
      for (const h of healthy) {
        const res = await api(project.apiKey, `/api/traces/${h.id}/scores`);
        if (res.status !== 200 || ((await res.json()) as { scores: unknown[] }).scores.length !== 1) return false;
      }
      return true;
    });
    let scored = 0;
    for (const t of traces) {
      const res = await api(project.apiKey, `/api/traces/${t.id}/scores`);
      expect(res.status).toBe(200);
      scored += ((await res.json()) as { scores: unknown[] }).scores.length;
    }
    expect(scored).toBe(0);

    for (const t of traces) {
      const res = await api(project.apiKey, `/api/traces/${t.id}`);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("trace_corrupted");
    }
    const quarantined = await eventually(async () => {
      const page = (await (await api(project.apiKey, "/api/traces?state=quarantined&limit=500")).json()) as {
        traces: unknown[];
      };
      return page.traces.length === ROTTEN ? page.traces.length : undefined;
    });
    expect(quarantined).toBe(ROTTEN);
  }, 120_000);
});
