#!/usr/bin/env node
/**
 * @module `npm run bench:otlp`: OTLP/HTTP protobuf ingest throughput, from one run on
 * one server (wrangler dev, as `npm start` runs it).
 *
 *   noopRps      GET /api/health (no storage), the trivial-route ceiling (autocannon, --connections);
 *                noopRpsWrkC32 the same with wrk -t2 -c32 when wrk is installed
 *   spansPerSec  spans acknowledged per second by POST /v1/traces, in batches of
 *                --batch spans (default 512: 16 agent runs of 32 spans, ~1 KB each,
 *                GenAI semantic-convention attributes), every request with fresh trace ids
 *
 * The payload is made by the OpenTelemetry JS exporter's own serializer
 * (ProtobufTraceSerializer) from spans recorded with the real SDK.
 * Options: --duration S (default 10), --connections N (default 8: with ~400 KB bodies more
 * connections only queue, raising p99 and timing requests out), --batch N (default 512),
 * --floor (also measure POST /__bench/r2-put with the same bodies: r2PutRps),
 * --url U --key K (measure a server already running, e.g. one started with --inspect),
 * --vars NAME=VALUE,... (settings for the server it starts, e.g. OTLP_QUIET_MS=600000 leaves
 * assembly out, to measure ingest alone).
 * serverCpuMsPerRequest: CPU of the server's processes (wrangler, both workerd) during
 * the OTLP phase and until the assembly it left pending is done, per acknowledged
 * request; it moves far less than req/s with the machine's load (Linux only).
 * busiestThreadCpuMsPerRequest: the same for the busiest thread, workerd's event loop, which runs
 * the Worker, the Durable Objects and the storage simulators (V8's helper threads run beside it).
 * sustainedSpansPerSec: spans per second the server can keep up with, assembly included: the
 * lower of what its event loop allows (512 x 1000 / its CPU ms per request) and what the
 * machine's cores allow for all server processes together. A 10 s run acknowledges faster than
 * that, because the assembly of its last traces comes after it; `--duration 60` shows it by acks.
 * Scaled to the target's machine: the target (20,000 spans/s) was set on this machine type when
 * wrk gave its trivial route ~1,500 req/s (NOOP_RPS_AT_TARGET); the same machine's speed moves by
 * up to 2x. With wrk installed, `machineSpeed` = noopRpsWrkC32 / 1,500, and
 * `sustainedSpansPerSecAtTargetSpeed` = sustainedSpansPerSec / machineSpeed: an estimate that
 * assumes the whole server slows down as the trivial route does; the measured figures stay the
 * ones above.
 * The last line printed is one JSON object with the figures.
 */
import autocannon from "autocannon";
import { parseOptions } from "./lib/args.mjs";
import { measure } from "./lib/load.mjs";
import { otlpPayloads } from "./lib/otlp-payload.mjs";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import {
  busiestProcessMs,
  busiestThread,
  cpuUntilIdle,
  groupCpuMs,
  processCpuMs,
  stealMeter,
  threadCpuMs,
} from "./lib/process-cpu.mjs";
import { createProject, startServer } from "./lib/server.mjs";

const args = parseOptions();
const duration = Number(args.duration ?? 10);
const connections = Number(args.connections ?? 8);
const batchSpans = Number(args.batch ?? 512);
/** wrk -t2 -c32 on GET /api/health of wrangler dev where the OTLP target was set. */
const NOOP_RPS_AT_TARGET = 1500;

/** `--vars A=1,B=2` as { A: "1", B: "2" }. */
function serverVars(list = "") {
  return Object.fromEntries(
    list
      .split(",")
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}

/**
 * The trivial route as the machine's baseline figure was measured (wrk, 2 threads, 32
 * connections), when wrk is installed (Debian: apt install wrk); null otherwise.
 */
function wrkNoopRps(url, seconds) {
  const run = spawnSync("wrk", ["-t2", "-c32", `-d${seconds}s`, url], { encoding: "utf8" });
  if (run.error || run.status !== 0) return null;
  const match = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  return match ? Math.round(Number(match[1])) : null;
}

const payload = otlpPayloads(batchSpans);
const template = payload.template;
const freshPayload = payload.fresh;

// --url and --key measure a server that is already running (for profiling it); otherwise one is started.
const server = args.url
  ? { url: args.url, stop: async () => {} }
  : await startServer({ vars: { BENCH_ROUTES: "1", ...serverVars(args.vars) } });
try {
  const project = args.key ? { apiKey: args.key } : await createProject(server);
  const headers = { authorization: `Bearer ${project.apiKey}`, "content-type": "application/x-protobuf" };
  const otlp = {
    url: `${server.url}/v1/traces`,
    method: "POST",
    headers,
    connections,
    setupRequest: (req) => ({ ...req, body: freshPayload() }),
  };

  await measure({ url: `${server.url}/api/health`, duration: 2, connections });
  await measure({ ...otlp, duration: 3 });

  // The warm-up's traces are assembled OTLP_QUIET_MS later: the trivial route is measured on an idle server, or
  // a short run's noop figure (and the machine speed taken from it) comes out a fraction of the real one.
  if (server.pid) await cpuUntilIdle(server.pid, { minMs: 8000 });
  const stolen = stealMeter();
  const noop = await measure({ url: `${server.url}/api/health`, duration, connections });
  const noopWrk = wrkNoopRps(`${server.url}/api/health`, duration);
  // --floor: the same bodies through POST /__bench/r2-put (read, hash, one checked R2 put), the floor of any ingest.
  const floor = args.floor
    ? await measure({
        url: `${server.url}/__bench/r2-put`,
        method: "POST",
        headers,
        connections,
        duration,
        setupRequest: otlp.setupRequest,
      })
    : null;
  // Settle first, so the CPU counted below is this phase's (and the deferred work it causes).
  if (server.pid) await cpuUntilIdle(server.pid);
  const cpuBefore = server.pid ? groupCpuMs(server.pid) : null;
  const perProcessBefore = server.pid ? processCpuMs(server.pid) : null;
  const perThreadBefore = server.pid ? threadCpuMs(server.pid) : null;
  // autocannon directly (not lib/load.mjs) to see which statuses and timeouts make up the failures.
  const raw = await autocannon({
    url: otlp.url,
    method: "POST",
    headers,
    connections,
    duration,
    requests: [{ setupRequest: otlp.setupRequest }],
  });
  const ingest = {
    rps: Math.round(raw["2xx"] / (raw.duration || duration)),
    failed: raw.non2xx + raw.errors + raw.timeouts,
    latencyP99Ms: raw.latency.p99,
    statusCodes: Object.fromEntries(
      Object.entries(raw.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
    ),
    timeouts: raw.timeouts,
  };

  // Server CPU for the phase plus the assembly it left pending, per acknowledged request.
  const cpuDuring = cpuBefore === null ? null : groupCpuMs(server.pid) - cpuBefore;
  // OTLP_QUIET_MS (5 s by default) passes before the last traces are assembled.
  const cpuAfter = cpuBefore === null ? null : await cpuUntilIdle(server.pid, { minMs: 8000 });
  const serverCpuMsPerRequest =
    cpuBefore === null || raw["2xx"] === 0 ? null : Math.round(((cpuDuring + cpuAfter) / raw["2xx"]) * 10) / 10;
  // A run of --duration seconds acknowledges spans whose assembly (after OTLP_QUIET_MS) partly falls after it.
  // What the server keeps up with indefinitely is bound by workerd's event loop (one thread runs the Worker,
  // the Durable Objects and the storage simulators), whose CPU per request includes that assembly, and by
  // the machine's cores for everything the server runs.
  const busiestMs =
    perProcessBefore && raw["2xx"] > 0
      ? busiestProcessMs(perProcessBefore, processCpuMs(server.pid)) / raw["2xx"]
      : null;
  const thread = perThreadBefore && raw["2xx"] > 0 ? busiestThread(perThreadBefore, threadCpuMs(server.pid)) : null;
  const threadMs = thread ? thread.ms / raw["2xx"] : null;
  const sustainedSpansPerSec =
    threadMs && serverCpuMsPerRequest
      ? Math.round(Math.min(1000 / threadMs, (availableParallelism() * 1000) / serverCpuMsPerRequest) * batchSpans)
      : null;

  // The figure counts only acknowledged spans; check that an acknowledged batch really is readable.
  const firstTrace = payload.nextTraceNumber();
  const sent = await fetch(`${server.url}/v1/traces`, { method: "POST", headers, body: freshPayload() });
  const traceId = payload.traceIdOf(firstTrace);
  const check = await fetch(`${server.url}/api/traces/${traceId.toString("hex")}`, { headers });
  const readable = sent.status === 200 && check.status === 200 ? ((await check.json()).spans?.length ?? 0) : 0;

  const speed = noopWrk === null ? null : noopWrk / NOOP_RPS_AT_TARGET;
  const machineSpeed = speed === null ? null : Math.round(speed * 100) / 100;
  const figures = {
    spansPerSec: Math.round(ingest.rps * template.spans),
    sustainedSpansPerSec,
    stolenCpuShare: stolen(),
    noopRps: noop.rps,
    ...(noopWrk === null
      ? {}
      : {
          noopRpsWrkC32: noopWrk,
          machineSpeed,
          sustainedSpansPerSecAtTargetSpeed:
            sustainedSpansPerSec === null ? null : Math.round(sustainedSpansPerSec / speed),
        }),
    ...(floor ? { r2PutRps: floor.rps } : {}),
    requestsPerSec: ingest.rps,
    serverCpuMsPerRequest,
    busiestProcessCpuMsPerRequest: busiestMs === null ? null : Math.round(busiestMs * 10) / 10,
    busiestThreadCpuMsPerRequest: threadMs === null ? null : Math.round(threadMs * 10) / 10,
    busiestThread: thread?.name ?? null,
    batchSpans: template.spans,
    bytesPerSpan: template.bytesPerSpan,
    payloadGzipRatio: template.gzipRatio,
    failed: ingest.failed,
    statusCodes: ingest.statusCodes,
    timeouts: ingest.timeouts,
    p99Ms: ingest.latencyP99Ms,
    sampleTraceSpansReadable: readable,
    sampleStatuses: [sent.status, check.status],
    connections,
    durationSeconds: duration,
  };
  console.log(
    `noop ${noop.rps} req/s | OTLP ${ingest.rps} req/s x ${template.spans} spans = ${figures.spansPerSec} spans/s (p99 ${ingest.latencyP99Ms} ms, ${ingest.failed} failed)`,
  );
  console.log(
    `sustained ${sustainedSpansPerSec ?? "n/a"} spans/s (event loop ${figures.busiestThreadCpuMsPerRequest ?? "n/a"} ms per request)` +
      (noopWrk === null
        ? ""
        : ` | wrk noop ${noopWrk} req/s = ${machineSpeed}x the target's machine; sustained at its speed ~${figures.sustainedSpansPerSecAtTargetSpeed} spans/s`),
  );
  console.log(JSON.stringify(figures));
} finally {
  await server.stop();
}
