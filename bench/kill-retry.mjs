#!/usr/bin/env node
/**
 * @module `npm run chaos:kill`: real clients send traces while the server is killed
 * (SIGKILL of wrangler dev and both workerd processes) and restarted at random, many
 * times, on the same local state. Clients retry. Afterwards every trace a client saw
 * acknowledged must be stored, indexed and graded exactly once.
 *
 * Clients: the project's own client (native traces, with digests and retries) and
 * the real OpenTelemetry OTLP/protobuf exporter (BatchSpanProcessor).
 *
 * Options: --kills N (default 20), --native-clients N (default 4), --min-up-ms, --max-up-ms.
 * Last line: one JSON object {sent, acked, lost, doubleCounted, ...}.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FlywheelClient } from "../client/index.mjs";
import { createProject, freePort, startServer } from "./lib/server.mjs";
import { parseOptions } from "./lib/args.mjs";

const args = parseOptions();
const KILLS = Number(args.kills ?? 20);
const NATIVE_CLIENTS = Number(args["native-clients"] ?? 4);
const MIN_UP_MS = Number(args["min-up-ms"] ?? 1500);
const MAX_UP_MS = Number(args["max-up-ms"] ?? 4000);
const AGENT = "chaos-bot";

const port = await freePort();
const stateDir = mkdtempSync(path.join(os.tmpdir(), "flywheel-chaos-"));
const adminToken = `chaos-admin-${Date.now()}`;
const vars = {
  ADMIN_TOKEN: adminToken,
  INDEX_FLUSH_DELAY_MS: "20",
  OTLP_QUIET_MS: "500",
  WINDOW_MAX_TRACES: "25",
  WINDOW_MAX_AGE_MS: "1000",
};
const boot = () => startServer({ port, stateDir, vars });

let server = await boot();
const project = await createProject(server, "chaos");
const baseUrl = server.url;
const graderId = await createGrader();

const record = { nativeSent: 0, nativeAcked: new Set(), nativeFailed: 0, otelSpansSent: 0, otelAcked: new Set() };
let stopping = false;

const nativeLoops = Array.from({ length: NATIVE_CLIENTS }, (_, n) => nativeClientLoop(n));
const otel = await startOtelClient();

for (let kill = 1; kill <= KILLS; kill++) {
  await sleep(MIN_UP_MS + Math.random() * (MAX_UP_MS - MIN_UP_MS));
  await server.kill();
  process.stdout.write(
    `kill ${kill}/${KILLS} (acked so far: native ${record.nativeAcked.size}, otel traces ${record.otelAcked.size})\n`,
  );
  await sleep(Math.random() * 500);
  server = await boot();
}
await sleep(MIN_UP_MS);
stopping = true;
await Promise.all(nativeLoops);
await otel.shutdown();

const verdict = await verify();
await server.stop();
rmSync(stateDir, { recursive: true, force: true });
console.log(JSON.stringify(verdict));
process.exit(verdict.lost === 0 && verdict.doubleCounted === 0 ? 0 : 1);

async function nativeClientLoop(n) {
  const client = new FlywheelClient({
    baseUrl,
    apiKey: project.apiKey,
    maxRetries: 60,
    timeoutMs: 5000,
    backoffMs: 100,
  });
  let seq = 0;
  while (!stopping) {
    const batch = Array.from({ length: 1 + (seq % 3) }, () => ({
      id: `native-${n}-${seq++}`,
      agent: AGENT,
      input: `question ${seq}`,
      output: seq % 4 === 0 ? "I cannot help" : "Here is your answer",
      startTime: new Date().toISOString(),
      endTime: new Date().toISOString(),
    }));
    record.nativeSent += batch.length;
    try {
      const result = await client.sendTraces(batch);
      if (result.rejected > 0) throw new Error(`rejected: ${JSON.stringify(result.results)}`);
      for (const t of batch) record.nativeAcked.add(t.id);
    } catch (err) {
      record.nativeFailed += batch.length;
      if (!String(err).includes("fetch failed") && !String(err).includes("503"))
        console.error("native client:", err.message);
    }
  }
}

async function startOtelClient() {
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  const { resourceFromAttributes } = await import("@opentelemetry/resources");
  const exporter = new OTLPTraceExporter({
    url: `${baseUrl}/v1/traces`,
    headers: { authorization: `Bearer ${project.apiKey}` },
    timeoutMillis: 5000,
  });
  // Record what the exporter itself reports as exported: those spans were acknowledged.
  const recording = {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code === 0) for (const s of spans) record.otelAcked.add(s.spanContext().traceId);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.(),
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "chaos-otel" }),
    spanProcessors: [new BatchSpanProcessor(recording, { scheduledDelayMillis: 200, maxExportBatchSize: 64 })],
  });
  const tracer = provider.getTracer("chaos");
  const { context, trace } = await import("@opentelemetry/api");
  const timer = setInterval(() => {
    const root = tracer.startSpan("invoke_agent", {
      attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": AGENT },
    });
    const parent = trace.setSpan(context.active(), root);
    const child = tracer.startSpan(
      "chat",
      { attributes: { "gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 10 } },
      parent,
    );
    child.end();
    root.end();
    record.otelSpansSent += 2;
  }, 50);
  return {
    shutdown: async () => {
      clearInterval(timer);
      await provider.forceFlush().catch(() => {});
      await provider.shutdown().catch(() => {});
    },
  };
}

async function createGrader() {
  const res = await fetch(`${baseUrl}/api/graders`, {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      agent: AGENT,
      name: "no refusal",
      definition: { kind: "rule", check: "not_contains", text: "cannot help" },
    }),
  });
  if (!res.ok) throw new Error(`create grader: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

async function api(pathname) {
  const res = await fetch(`${baseUrl}${pathname}`, { headers: { authorization: `Bearer ${project.apiKey}` } });
  return {
    status: res.status,
    body: res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text(),
  };
}

async function verify() {
  // Let the shards flush and the windows close after the last restart.
  await fetch(`${baseUrl}/api/agents/${AGENT}/window/close`, {
    method: "POST",
    headers: { authorization: `Bearer ${project.apiKey}` },
  });
  const deadline = performance.now() + 120_000;
  const acked = [...record.nativeAcked];
  const otelAcked = [...record.otelAcked];
  let lost = [];
  let ungraded = [];
  let doubleCounted = [];
  let indexedIds = new Map();
  while (performance.now() < deadline) {
    indexedIds = await listAll();
    lost = acked.filter((id) => !indexedIds.has(id));
    doubleCounted = [...indexedIds].filter(([, n]) => n > 1).map(([id]) => id);
    ungraded = [];
    for (const id of [...acked, ...otelAcked]) {
      const scores = await api(`/api/traces/${encodeURIComponent(id)}/scores`);
      const mine = (scores.body.scores ?? []).filter((s) => s.graderId === graderId && !s.superseded);
      if (mine.length === 0) ungraded.push(id);
      if (mine.length > 1) doubleCounted.push(id);
    }
    if (lost.length === 0 && ungraded.length === 0) break;
    await fetch(`${baseUrl}/api/agents/${AGENT}/window/close`, {
      method: "POST",
      headers: { authorization: `Bearer ${project.apiKey}` },
    });
    await sleep(1000);
  }
  const otelMissing = [];
  for (const traceId of otelAcked) {
    const res = await api(`/api/traces/${traceId}`);
    if (res.status !== 200) otelMissing.push(traceId);
  }
  return {
    kills: KILLS,
    sent: record.nativeSent,
    acked: acked.length,
    clientGaveUp: record.nativeFailed,
    lost: lost.length + otelMissing.length,
    doubleCounted: doubleCounted.length,
    ungraded: ungraded.length,
    otelSpansSent: record.otelSpansSent,
    otelTracesAcked: record.otelAcked.size,
    otelTracesMissing: otelMissing.length,
  };
}

async function listAll() {
  const counts = new Map();
  let cursor = null;
  do {
    const page = await api(
      `/api/traces?agent=${AGENT}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    for (const t of page.body.traces) counts.set(t.id, (counts.get(t.id) ?? 0) + 1);
    cursor = page.body.nextCursor;
  } while (cursor);
  return counts;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
