/**
 * @module Eval-run throughput: 1,000 cases against a local agent that answers after
 * 20 ms, 16 in flight, through both paths:
 *  1. server-side: POST /api/eval-runs with the agent's endpoint; the EvalRun object
 *     calls it and grades each answer; timed from the POST until the run completes;
 *  2. client-side: `flywheel eval --agent-module` (the CLI calls the agent function and
 *     posts answers in batches); timed as the CLI's whole process.
 * The physical limit is concurrency / latency = 800 cases/s. Server CPU per case comes
 * from /proc (wrangler + workerd). The machine is shared: the figures are noisy.
 * Beside them: the local runtime's floor, the same calls from a bare fetch loop in the
 * Worker, and where a server-side run's time goes (the POST, the calls, the end).
 *
 *   npm run bench:eval [-- --cases 1000 --concurrency 16 --latency-ms 20]
 *
 * Last line of output: one JSON object; ratios are in fields ending in `Ratio`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseOptions } from "./lib/args.mjs";
import { busiestThread, cpuUntilIdle, groupCpuMs, stealMeter, threadCpuMs } from "./lib/process-cpu.mjs";
import { createProject, startServer } from "./lib/server.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const options = parseOptions();
const CASES = Number(options.cases ?? 1_000);
const CONCURRENCY = Number(options.concurrency ?? 16);
const LATENCY_MS = Number(options["latency-ms"] ?? 20);
const LIMIT = (CONCURRENCY / LATENCY_MS) * 1000;
const AGENT = "bench-eval";

const answerOf = (input) => `answer-${String(input).replace("question ", "")}`;

/**
 * When the agent endpoint received each call and sent each answer (ms, performance.now()),
 * and how long it held each call: the limit assumes exactly LATENCY_MS, a Node timer is later.
 */
const agentLog = { received: [], answered: [], heldMs: [] };

function startAgentEndpoint() {
  const server = createServer((req, res) => {
    const received = performance.now();
    agentLog.received.push(received);
    let raw = "";
    req.on("data", (chunk) => {
      raw += chunk;
    });
    req.on("end", () => {
      const { input } = JSON.parse(raw);
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ output: answerOf(input) }));
        const answered = performance.now();
        agentLog.answered.push(answered);
        agentLog.heldMs.push(answered - received);
      }, LATENCY_MS);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/answer` })),
  );
}

async function call(server, apiKey, method, route, body) {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function seed(server, apiKey) {
  await call(server, apiKey, "POST", "/api/graders", {
    agent: AGENT,
    name: "matches the reference",
    definition: { kind: "metric", metric: "exact_match" },
  });
  const dataset = await call(server, apiKey, "POST", "/api/datasets", { name: "bench-eval", agent: AGENT });
  const cases = Array.from({ length: CASES }, (_, i) => ({
    input: `question ${i}`,
    expected: `answer-${i}`,
    guard: i % 10 === 0,
  }));
  await call(server, apiKey, "POST", `/api/datasets/${dataset.id}/cases`, { cases });
  return dataset.id;
}

async function serverSide(server, apiKey, datasetId, endpointUrl) {
  const cpuBefore = groupCpuMs(server.pid);
  const threadsBefore = threadCpuMs(server.pid);
  const started = performance.now();
  const run = await call(server, apiKey, "POST", "/api/eval-runs", {
    agent: AGENT,
    candidate: { label: "bench-endpoint", endpoint: endpointUrl },
    dataset: datasetId,
    datasetVersion: "latest",
    concurrency: CONCURRENCY,
    baseline: "dataset",
  });
  const launchedMs = performance.now() - started;
  // Told of the end as a client would be: the server holds the request until the run ends.
  let report;
  do {
    report = await call(server, apiKey, "GET", `/api/eval-runs/${run.id}?cases=false&wait=10`);
  } while (report.status === "running");
  const ended = performance.now();
  const seconds = (ended - started) / 1000;
  // Where the time went: the POST, the wait for the first call, the calls, and the end of the run.
  const firstCall = Math.min(...agentLog.received);
  const lastAnswer = Math.max(...agentLog.answered);
  const phases = {
    launchMs: Math.round(launchedMs),
    firstCallMs: Math.round(firstCall - started),
    callingMs: Math.round(lastAnswer - firstCall),
    finishMs: Math.round(ended - lastAnswer),
    calls: agentLog.received.length,
    agentHeldMs: agentLog.heldMs.reduce((sum, ms) => sum + ms, 0) / agentLog.heldMs.length,
  };
  const cpuMs = cpuBefore === null ? null : groupCpuMs(server.pid) - cpuBefore;
  // workerd runs the Worker and every Durable Object on one event-loop thread: its share is the ceiling.
  const busiest = threadsBefore === null ? null : busiestThread(threadsBefore, threadCpuMs(server.pid));
  return { seconds, cpuMs, busiest, report, phases };
}

async function clientSide(server, apiKey, datasetId) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "flywheel-bench-eval-"));
  const agentFile = path.join(dir, "agent.mjs");
  writeFileSync(
    agentFile,
    `export default (input) => new Promise((resolve) => setTimeout(() => resolve("answer-" + String(input).replace("question ", "")), ${LATENCY_MS}));\n`,
  );
  const cpuBefore = groupCpuMs(server.pid);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      path.join(root, "bin", "flywheel.mjs"),
      "eval",
      "--agent",
      AGENT,
      "--dataset",
      datasetId,
      "--agent-module",
      agentFile,
      "--concurrency",
      String(CONCURRENCY),
      "--baseline",
      "dataset",
      "--json",
    ],
    { env: { ...process.env, FLYWHEEL_URL: server.url, FLYWHEEL_KEY: apiKey }, stdio: ["ignore", "pipe", "inherit"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  const code = await new Promise((resolve) => child.once("exit", resolve));
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpuBefore === null ? null : groupCpuMs(server.pid) - cpuBefore;
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`flywheel eval exited ${code}: ${stdout.slice(0, 500)}`);
  return { seconds, cpuMs, report: JSON.parse(stdout).run };
}

const round = (n, digits = 2) => (n === null ? null : Number(n.toFixed(digits)));

/**
 * The local runtime's own floor: the same calls made by a bare loop in the Worker, with no
 * run, no grading and no storage. What a server-side run loses beyond it is Flywheel's.
 */
async function fetchFloor(server, endpointUrl) {
  const res = await fetch(`${server.url}/__bench/fetch-floor`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: endpointUrl, calls: CASES, concurrency: CONCURRENCY }),
  });
  if (!res.ok) throw new Error(`fetch floor: ${res.status} ${await res.text()}`);
  const { ms } = await res.json();
  return CASES / (ms / 1000);
}

const server = await startServer({ vars: { INDEX_FLUSH_DELAY_MS: "20", BENCH_ROUTES: "1" } });
const agent = await startAgentEndpoint();
try {
  const { apiKey } = await createProject(server, "bench-eval");
  const datasetId = await seed(server, apiKey);
  console.log(`${CASES} cases, concurrency ${CONCURRENCY}, agent latency ${LATENCY_MS} ms: limit ${LIMIT} cases/s`);
  console.log("(shared machine: figures are noisy; compare CPU per case across runs rather than throughput)");

  const stolen = stealMeter();
  const floorRate = await fetchFloor(server, agent.url);
  console.log(
    `runtime floor (bare fetch loop in the Worker): ${round(floorRate, 1)} cases/s (limit ${LIMIT}, ratio ${round(floorRate / LIMIT)})`,
  );
  for (const list of Object.values(agentLog)) list.length = 0;

  const server1 = await serverSide(server, apiKey, datasetId, agent.url);
  // The server keeps working for a while after the run completes; measured while the CLI
  // runs, that work halved the CLI's figure. It belongs to the server-side run: wait it out
  // and count it there.
  const settled = await cpuUntilIdle(server.pid);
  if (server1.cpuMs !== null && settled !== null) server1.cpuMs += settled;
  const serverRate = CASES / server1.seconds;
  console.log(
    `server-side: ${round(serverRate, 1)} cases/s (limit ${LIMIT}, ratio ${round(serverRate / LIMIT)}), ` +
      `server CPU ${round(server1.cpuMs === null ? null : server1.cpuMs / CASES, 3)} ms/case ` +
      `(busiest thread ${server1.busiest?.name}: ${round(server1.busiest ? server1.busiest.ms / CASES : null, 3)} ms/case), ` +
      `pass rate ${server1.report.metrics.passRate}`,
  );
  const { phases } = server1;
  console.log(
    `  POST answered after ${phases.launchMs} ms, first call at ${phases.firstCallMs} ms, ${phases.calls} calls in ${phases.callingMs} ms ` +
      `(${round(CASES / (phases.callingMs / 1000), 1)} cases/s, ratio ${round(CASES / (phases.callingMs / 1000) / LIMIT)}), ` +
      `run seen complete ${phases.finishMs} ms after the last answer; the agent held each call ${round(phases.agentHeldMs)} ms on average`,
  );

  const client1 = await clientSide(server, apiKey, datasetId);
  const clientRate = CASES / client1.seconds;
  console.log(
    `client-side (CLI): ${round(clientRate, 1)} cases/s (limit ${LIMIT}, ratio ${round(clientRate / LIMIT)}), ` +
      `server CPU ${round(client1.cpuMs === null ? null : client1.cpuMs / CASES, 3)} ms/case, pass rate ${client1.report.metrics.passRate}`,
  );

  // The share of the machine's CPU time the hypervisor took while the three runs were measured.
  const stolenShare = stolen();
  console.log(
    `CPU time taken by the hypervisor meanwhile: ${stolenShare === null ? "unknown" : `${round(stolenShare * 100, 1)}%`} (a contended host slows every figure above)`,
  );
  console.log(
    JSON.stringify({
      cases: CASES,
      concurrency: CONCURRENCY,
      agentLatencyMs: LATENCY_MS,
      limitCasesPerSec: LIMIT,
      serverSideCasesPerSec: round(serverRate, 1),
      serverSideLimitRatio: round(serverRate / LIMIT, 3),
      serverSideCpuMsPerCase: round(server1.cpuMs === null ? null : server1.cpuMs / CASES, 3),
      runtimeFloorCasesPerSec: round(floorRate, 1),
      runtimeFloorLimitRatio: round(floorRate / LIMIT, 3),
      serverSideCallingPhaseLimitRatio: round(CASES / (server1.phases.callingMs / 1000) / LIMIT, 3),
      serverSideFirstCallMs: server1.phases.firstCallMs,
      serverSideFinishMs: server1.phases.finishMs,
      agentHeldMs: round(server1.phases.agentHeldMs),
      serverSideBusiestThreadMsPerCase: round(server1.busiest ? server1.busiest.ms / CASES : null, 3),
      cliCasesPerSec: round(clientRate, 1),
      cliLimitRatio: round(clientRate / LIMIT, 3),
      cliServerCpuMsPerCase: round(client1.cpuMs === null ? null : client1.cpuMs / CASES, 3),
      targetRatio: 0.8,
      stolenCpuShare: stolenShare,
      noisy: true,
    }),
  );
} finally {
  agent.server.closeAllConnections();
  agent.server.close();
  await server.stop();
}
