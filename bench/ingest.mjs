#!/usr/bin/env node
/**
 * @module `npm run bench:ingest`: native ingest throughput against its floor, from
 * one run on one server.
 *
 *   noopRps   GET /api/health (no storage)
 *   floorRps  POST /__bench/r2-put: only the unavoidable durable write, a
 *             SHA-256-checked R2 put of the same 10 KB body
 *   ingestRps POST /api/traces with a 10 KB trace (unique id per request)
 *   ratio     ingestRps / floorRps (target >= 0.6)
 *
 * Options: --duration S (default 10), --connections N (default 32).
 * The last line printed is one JSON object with the figures.
 */
import { measure } from "./lib/load.mjs";
import { stealMeter } from "./lib/process-cpu.mjs";
import { createProject, startServer } from "./lib/server.mjs";
import { parseOptions } from "./lib/args.mjs";

const args = parseOptions();
const duration = Number(args.duration ?? 10);
const connections = Number(args.connections ?? 32);

/** A realistic agent trace padded to ~10 KB. */
function traceOfTenKilobytes(id) {
  const trace = {
    id,
    agent: "bench-agent",
    version: "v1",
    input: "Summarise the customer's last three orders and flag any refund risk.",
    output: { answer: "" },
    startTime: "2026-11-26T10:00:00.000Z",
    endTime: "2026-11-26T10:00:02.000Z",
    status: "ok",
    metadata: { user: "u-123", region: "eu" },
    tags: ["bench"],
    spans: [
      {
        id: "s1",
        type: "llm",
        name: "chat",
        model: "gpt-4o-mini",
        usage: { inputTokens: 900, outputTokens: 200 },
        startTime: "2026-11-26T10:00:00.100Z",
        endTime: "2026-11-26T10:00:01.000Z",
        input: [{ role: "user", content: "..." }],
        output: "...",
      },
      {
        id: "s2",
        parentId: "s1",
        type: "tool",
        name: "lookup_orders",
        startTime: "2026-11-26T10:00:01.000Z",
        endTime: "2026-11-26T10:00:01.500Z",
        input: { customer: "u-123" },
        output: { orders: ["A1", "A2", "A3"] },
      },
    ],
  };
  const base = JSON.stringify(trace).length;
  trace.output.answer = "x".repeat(Math.max(0, 10 * 1024 - base));
  return trace;
}

const server = await startServer({ vars: { BENCH_ROUTES: "1" } });
try {
  const project = await createProject(server);
  const auth = { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" };
  const template = JSON.stringify(traceOfTenKilobytes("ID_PLACEHOLDER"));
  let seq = 0;
  const runId = Date.now().toString(36);

  // Warm up each route so JIT and storage files are in steady state.
  await measure({ url: `${server.url}/api/health`, duration: 2, connections });
  await measure({
    url: `${server.url}/__bench/r2-put`,
    method: "POST",
    headers: auth,
    body: template,
    duration: 2,
    connections,
  });

  const stolen = stealMeter();
  const noop = await measure({ url: `${server.url}/api/health`, duration, connections });
  const floor = await measure({
    url: `${server.url}/__bench/r2-put`,
    method: "POST",
    headers: auth,
    body: template,
    duration,
    connections,
  });
  const ingest = await measure({
    url: `${server.url}/api/traces`,
    method: "POST",
    headers: auth,
    duration,
    connections,
    setupRequest: (req) => ({ ...req, body: template.replace("ID_PLACEHOLDER", `b-${runId}-${seq++}`) }),
  });
  const figures = {
    noopRps: noop.rps,
    floorRps: floor.rps,
    ingestRps: ingest.rps,
    ratio: Number((ingest.rps / floor.rps).toFixed(3)),
    ingestFailed: ingest.failed,
    ingestP99Ms: ingest.latencyP99Ms,
    floorP99Ms: floor.latencyP99Ms,
    connections,
    durationSeconds: duration,
    stolenCpuShare: stolen(),
  };
  console.log(
    `noop ${noop.rps} req/s | floor (R2 put) ${floor.rps} req/s | ingest ${ingest.rps} req/s | ratio ${figures.ratio}`,
  );
  console.log(JSON.stringify(figures));
} finally {
  await server.stop();
}
