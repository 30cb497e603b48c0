/**
 * @module Grading throughput, two ways:
 *  1. in process: bench/grading-inprocess.mjs (10,000 traces, ~2 KB outputs, five graders
 *     through gradeTrace + summariseWindow) -> tracesPerSec;
 *  2. end to end: the product started as `npm start` does (wrangler dev, local D1/R2/DO),
 *     five graders created over the API, TRACES traces sent with POST /api/traces in
 *     batches, timed until every score is in D1 (polled through the distribution API)
 *     -> endToEndTracesPerSec. Windows close at WINDOW_MAX_TRACES or after 1 s.
 *
 *   npm run bench:grading [-- traces]
 *
 * Last line of output: {"tracesPerSec", "endToEndTracesPerSec", ...}.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createProject, startServer } from "./lib/server.mjs";
import { stealMeter } from "./lib/process-cpu.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const TRACES = Number(process.argv[2] ?? 5_000);
const BATCH = 250;
const CONCURRENCY = 4;
const AGENT = "support-bot";

const graders = [
  { name: "mentions refund", definition: { kind: "rule", check: "contains", text: "Refund", caseSensitive: false } },
  { name: "cites order id", definition: { kind: "rule", check: "regex", pattern: "order A\\d{3}\\b" } },
  {
    name: "answer shape",
    definition: {
      kind: "rule",
      check: "json_schema",
      schema: {
        type: "object",
        required: ["answer", "confidence"],
        properties: {
          answer: { type: "string", minLength: 1 },
          confidence: { type: "number", minimum: 0, maximum: 1 },
        },
      },
    },
  },
  {
    name: "refund tool",
    definition: { kind: "rule", check: "tool_called", tool: "refund", args: [{ path: "orderId", contains: "A" }] },
  },
  { name: "latency", definition: { kind: "rule", check: "latency_budget", ms: 3000 } },
];

function inProcess() {
  const run = spawnSync(process.execPath, [`${root}/bench/grading-inprocess.mjs`], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`grading-inprocess failed: ${run.stderr}`);
  const lines = run.stdout.trim().split("\n");
  for (const line of lines.slice(0, -1)) console.log(`  in-process: ${line}`);
  return JSON.parse(lines.at(-1));
}

const WORDS =
  "order shipment delivery parcel courier address tracking warehouse status customer support friday invoice refund".split(
    " ",
  );

function makeTrace(i, runId) {
  const start = Date.parse("2026-11-26T10:00:00.000Z") + i * 1000;
  const latency = 300 + ((i * 7919) % 4000);
  const order = `A${100 + (i % 900)}`;
  const words = [];
  for (let length = 0, k = i; length < 1900; k++) {
    const word = WORDS[(k * 31) % WORDS.length];
    words.push(word);
    length += word.length + 1;
  }
  const iso = (ms) => new Date(ms).toISOString();
  return {
    id: `bench-${runId}-${i}`,
    agent: AGENT,
    version: "prompt-v3",
    input: `Where is my order ${order}?`,
    output: JSON.stringify({ answer: `Your order ${order}: ${words.join(" ")}`, confidence: (i % 100) / 100 }),
    startTime: iso(start),
    endTime: iso(start + latency),
    status: "ok",
    metadata: { user: `u${i % 97}` },
    tags: ["bench"],
    spans: [
      {
        id: "s1",
        type: "llm",
        name: "chat",
        startTime: iso(start + 10),
        endTime: iso(start + 400),
        model: "gpt-4o-mini",
        usage: { inputTokens: 800, outputTokens: 300 },
      },
      {
        id: "s2",
        parentId: "s1",
        type: "tool",
        name: i % 3 === 0 ? "refund" : "lookup_order",
        startTime: iso(start + 410),
        endTime: iso(start + 600),
        input: { orderId: order },
      },
    ],
  };
}

async function endToEnd() {
  const server = await startServer({
    vars: { WINDOW_MAX_TRACES: "500", WINDOW_MAX_AGE_MS: "1000", WINDOW_MIN_GRADED: "20", INDEX_FLUSH_DELAY_MS: "20" },
  });
  try {
    const project = await createProject(server, "bench-grading");
    const headers = { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" };
    for (const g of graders) {
      const res = await fetch(`${server.url}/api/graders`, {
        method: "POST",
        headers,
        body: JSON.stringify({ agent: AGENT, ...g }),
      });
      if (res.status !== 201) throw new Error(`create grader: ${res.status} ${await res.text()}`);
    }
    const runId = Date.now().toString(36);
    const batches = [];
    for (let i = 0; i < TRACES; i += BATCH)
      batches.push(Array.from({ length: Math.min(BATCH, TRACES - i) }, (_, k) => makeTrace(i + k, runId)));
    const expectedScores = TRACES * graders.length;

    const stolen = stealMeter();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) {
          const batch = batches[next++];
          for (let attempt = 0; ; attempt++) {
            const res = await fetch(`${server.url}/api/traces`, {
              method: "POST",
              headers,
              body: JSON.stringify(batch),
            });
            if (res.status === 201 || res.status === 200) break;
            if (res.status !== 503 || attempt > 5) throw new Error(`ingest: ${res.status} ${await res.text()}`);
          }
        }
      }),
    );
    const ingestedMs = performance.now() - started;

    let scores = 0;
    for (;;) {
      const res = await fetch(`${server.url}/api/agents/${AGENT}/distribution`, { headers });
      scores = (await res.json()).scoreCount;
      if (scores >= expectedScores) break;
      if (performance.now() - started > 600_000)
        throw new Error(`only ${scores}/${expectedScores} scores after 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const totalMs = performance.now() - started;
    const windowsRes = await fetch(`${server.url}/api/agents/${AGENT}/windows?limit=500`, { headers });
    const windowCount = (await windowsRes.json()).windows.length;
    console.log(
      `end to end: ${TRACES} traces in ${batches.length} batches of ${BATCH} (${CONCURRENCY} in flight); ingest ${ingestedMs.toFixed(0)} ms; all ${scores} scores in D1 after ${totalMs.toFixed(0)} ms; ${windowCount} windows`,
    );
    return {
      endToEndTracesPerSec: Math.round(TRACES / (totalMs / 1000)),
      ingestTracesPerSec: Math.round(TRACES / (ingestedMs / 1000)),
      windows: windowCount,
      scores,
      stolenCpuShare: stolen(),
    };
  } finally {
    await server.stop();
  }
}

const inproc = inProcess();
const e2e = await endToEnd();
console.log(
  JSON.stringify({
    tracesPerSec: inproc.tracesPerSec,
    endToEndTracesPerSec: e2e.endToEndTracesPerSec,
    ingestTracesPerSec: e2e.ingestTracesPerSec,
    traces: TRACES,
    graders: graders.length,
    windows: e2e.windows,
    stolenCpuShare: e2e.stolenCpuShare,
  }),
);
