/**
 * @module `npm run bench:trend`: are the site's agent and overview endpoints answered from
 * rollups, whatever the number of traces? Seeds one agent with 1,000,000 graded traces in
 * 20,000 windows straight into D1 (through the BENCH_ROUTES-only `/__bench/trend-seed`,
 * as grading would have left them), then times 200 sequential requests of each endpoint:
 *
 *   GET /api/agents/{agent}/windows?limit=200   what the agent page asks for
 *   GET /api/agents                             the overview
 *
 * Prints p50/p95/max of each; the target is a p95 under 100 ms locally. The last line is
 * one JSON object; `p95TargetRatio` is the worse p95 over 100 ms (under 1 meets it).
 * Latencies on a shared machine are noisy: compare runs on the same machine only.
 *
 *   node bench/trend.mjs [--windows 20000] [--traces-per-window 50] [--requests 200]
 */
import { parseOptions } from "./lib/args.mjs";
import { createProject, startServer } from "./lib/server.mjs";

const options = parseOptions();
const WINDOWS = Number(options.windows ?? 20_000);
const TRACES_PER_WINDOW = Number(options["traces-per-window"] ?? 50);
const REQUESTS = Number(options.requests ?? 200);
const WINDOWS_PER_CALL = 500;
const TARGET_MS = 100;
const AGENT = "bench-bot";

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function timeRequests(url, headers) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.arrayBuffer();
    times.push(performance.now() - started);
    if (!res.ok) throw new Error(`${url}: ${res.status} ${new TextDecoder().decode(body)}`);
    bytes = body.byteLength;
  }
  times.sort((a, b) => a - b);
  const round = (v) => Number(v.toFixed(1));
  return { p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), max: round(times.at(-1)), bytes };
}

const server = await startServer({ vars: { BENCH_ROUTES: "1" } });
try {
  const { apiKey } = await createProject(server, "bench-trend");
  const headers = { authorization: `Bearer ${apiKey}` };
  const now = Date.now();
  const seedStarted = performance.now();
  for (let first = 0; first < WINDOWS; first += WINDOWS_PER_CALL) {
    const res = await fetch(`${server.url}/__bench/trend-seed`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({
        agent: AGENT,
        firstWindow: first,
        windows: Math.min(WINDOWS_PER_CALL, WINDOWS - first),
        tracesPerWindow: TRACES_PER_WINDOW,
        totalWindows: WINDOWS,
        now,
      }),
    });
    if (res.status !== 201) throw new Error(`seed: ${res.status} ${await res.text()}`);
    process.stdout.write(`\rseeded ${Math.min(WINDOWS, first + WINDOWS_PER_CALL) * TRACES_PER_WINDOW} traces`);
  }
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  console.log(` in ${seedSeconds.toFixed(0)} s`);

  const overview = await (await fetch(`${server.url}/api/agents`, { headers })).json();
  const agent = overview.agents.find((a) => a.agent === AGENT);
  if (agent?.totalTraces !== WINDOWS * TRACES_PER_WINDOW)
    throw new Error(`overview counts ${agent?.totalTraces} traces, expected ${WINDOWS * TRACES_PER_WINDOW}`);

  const windows = await timeRequests(`${server.url}/api/agents/${AGENT}/windows?limit=200`, headers);
  console.log(
    `agent page  GET /api/agents/${AGENT}/windows?limit=200: p50 ${windows.p50} ms, p95 ${windows.p95} ms, max ${windows.max} ms (${windows.bytes} bytes)`,
  );
  const agents = await timeRequests(`${server.url}/api/agents`, headers);
  console.log(
    `overview    GET /api/agents: p50 ${agents.p50} ms, p95 ${agents.p95} ms, max ${agents.max} ms (${agents.bytes} bytes)`,
  );
  console.log("(shared machine: latencies are noisy; compare runs on one machine)");
  console.log(
    JSON.stringify({
      traces: WINDOWS * TRACES_PER_WINDOW,
      windows: WINDOWS,
      requests: REQUESTS,
      agentWindowsP50Ms: windows.p50,
      agentWindowsP95Ms: windows.p95,
      overviewP50Ms: agents.p50,
      overviewP95Ms: agents.p95,
      p95TargetRatio: Number((Math.max(windows.p95, agents.p95) / TARGET_MS).toFixed(2)),
      seedSeconds: Math.round(seedSeconds),
    }),
  );
} finally {
  await server.stop();
}
