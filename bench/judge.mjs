/**
 * @module LLM-judge throughput through grade windows. Starts the local fake
 * OpenAI-compatible judge (answering after --latency ms) and the product as `npm start`
 * does, with JUDGE_BASE_URL pointing at the fake and JUDGE_CONCURRENCY calls in flight
 * per agent. Sends --traces traces (distinct inputs) to one agent with one judge grader,
 * timed from the first POST until every judge score is in D1; the physical limit is
 * concurrency / latency. A second pass sends the same contents under new trace ids: the
 * rendered prompts are identical, so the judge cache should answer them all.
 *
 *   npm run bench:judge [-- --traces 2000 --latency 200 --concurrency 16 --window 500 --batch 250]
 *
 * Last line of output: one JSON object (tracesPerSec, limitTracesPerSec,
 * throughputToLimitRatio, tokensPerTrace, cacheHitRate, ...).
 */
import { startFakeJudge } from "../test/fake-judge/server.mjs";
import { parseOptions } from "./lib/args.mjs";
import { stealMeter } from "./lib/process-cpu.mjs";
import { createProject, startServer } from "./lib/server.mjs";

const options = parseOptions();
const TRACES = Number(options.traces ?? 2_000);
const LATENCY_MS = Number(options.latency ?? 200);
const CONCURRENCY = Number(options.concurrency ?? 16);
const WINDOW = Number(options.window ?? 500);
/** Traces per ingest request. */
const BATCH = Number(options.batch ?? 250);
const AGENT = "judged-bot";

const makeTrace = (i, pass) => ({
  id: `judge-bench-${pass}-${i}`,
  agent: AGENT,
  input: `Where is my order A${1000 + i}?`,
  output: i % 10 === 0 ? "I cannot help with that." : `Your order A${1000 + i} shipped yesterday and arrives Friday.`,
  startTime: "2026-11-26T10:00:00.000Z",
  endTime: "2026-11-26T10:00:01.000Z",
});

async function getJson(server, headers, path) {
  const res = await fetch(`${server.url}${path}`, { headers });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Sends one pass and waits until the judge has scored all of it; returns the elapsed ms. */
async function runPass(server, headers, pass, scoresBefore) {
  const traces = Array.from({ length: TRACES }, (_, i) => makeTrace(i, pass));
  const started = performance.now();
  for (let i = 0; i < traces.length; i += BATCH) {
    // Ingest is idempotent on trace ids, so a 503 is simply sent again.
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${server.url}/api/traces`, {
        method: "POST",
        headers,
        body: JSON.stringify(traces.slice(i, i + BATCH)),
      });
      if (res.status === 201 || res.status === 200) break;
      if (res.status !== 503 || attempt > 5) throw new Error(`ingest: ${res.status} ${await res.text()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const target = scoresBefore + TRACES;
  for (;;) {
    const { scoreCount } = await getJson(server, headers, `/api/agents/${AGENT}/distribution`);
    if (scoreCount >= target) break;
    if (performance.now() - started > 600_000) throw new Error(`only ${scoreCount}/${target} scores after 10 minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return performance.now() - started;
}

const judge = await startFakeJudge({
  latencyMs: LATENCY_MS,
  rules: [{ match: "I cannot help", answer: { verdict: "fail", reason: "the agent refused" } }],
});
const server = await startServer({
  vars: {
    JUDGE_BASE_URL: judge.url,
    JUDGE_MODEL: "fake-judge",
    JUDGE_CONCURRENCY: String(CONCURRENCY),
    JUDGE_DAILY_TOKEN_BUDGET: "1000000000",
    WINDOW_MAX_TRACES: String(WINDOW),
    WINDOW_MAX_AGE_MS: "1000",
    WINDOW_MIN_GRADED: "20",
    INDEX_FLUSH_DELAY_MS: "20",
  },
});
try {
  const project = await createProject(server, "bench-judge");
  const headers = { authorization: `Bearer ${project.apiKey}`, "content-type": "application/json" };
  const grader = await fetch(`${server.url}/api/graders`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      agent: AGENT,
      name: "helpful",
      definition: { kind: "judge", rubric: { criteria: "The answer tells the customer where the order is." } },
    }),
  });
  if (grader.status !== 201) throw new Error(`create grader: ${grader.status} ${await grader.text()}`);

  const stolen = stealMeter();
  const firstMs = await runPass(server, headers, 1, 0);
  const callsAfterFirst = judge.calls.length;
  const firstUsage = (await getJson(server, headers, `/api/agents/${AGENT}/judge-usage?limit=500`)).windows;
  const secondMs = await runPass(server, headers, 2, TRACES);
  const allUsage = (await getJson(server, headers, `/api/agents/${AGENT}/judge-usage?limit=500`)).windows;
  const firstIds = new Set(firstUsage.map((w) => w.windowId));
  const second = allUsage.filter((w) => !firstIds.has(w.windowId));
  const sum = (rows, key) => rows.reduce((n, w) => n + (w[key] ?? 0), 0);

  const tracesPerSec = TRACES / (firstMs / 1000);
  // From the first judge call to the last answer: the judging alone, without ingest and window hand-off.
  const firstCalls = judge.calls.slice(0, callsAfterFirst);
  const judgeSpanMs = firstCalls.at(-1).at + LATENCY_MS - firstCalls[0].at;
  const judgePhaseTracesPerSec = TRACES / (judgeSpanMs / 1000);
  // Time with at least one call open at the judge: what is left of the span is the window pipeline between judging.
  let busyMs = 0;
  let openUntil = Number.NEGATIVE_INFINITY;
  for (const call of firstCalls) {
    const end = call.at + LATENCY_MS;
    busyMs += Math.max(0, end - Math.max(call.at, openUntil));
    openUntil = Math.max(openUntil, end);
  }
  const whileJudgingTracesPerSec = TRACES / (busyMs / 1000);
  const limitTracesPerSec = CONCURRENCY / (LATENCY_MS / 1000);
  const tokensPerTrace = (sum(firstUsage, "inputTokens") + sum(firstUsage, "outputTokens")) / TRACES;
  const secondCalls = sum(second, "calls");
  const cacheHitRate = secondCalls === 0 ? 0 : sum(second, "cachedCalls") / secondCalls;
  console.log(
    `first pass: ${TRACES} traces judged in ${(firstMs / 1000).toFixed(1)} s = ${tracesPerSec.toFixed(1)} traces/s; physical limit ${CONCURRENCY} in flight / ${LATENCY_MS} ms = ${limitTracesPerSec.toFixed(1)} traces/s (${((100 * tracesPerSec) / limitTracesPerSec).toFixed(0)}%); ${firstUsage.length} windows; ${callsAfterFirst} judge calls; fake judge saw at most ${judge.maxInFlight} in flight; judging alone (first call to last answer) ${judgePhaseTracesPerSec.toFixed(1)} traces/s; while a call was open ${whileJudgingTracesPerSec.toFixed(1)} traces/s (${((judgeSpanMs - busyMs) / 1000).toFixed(1)} s of the span with no call open)`,
  );
  console.log(
    `second pass (same contents, new trace ids): ${(secondMs / 1000).toFixed(1)} s; ${(cacheHitRate * 100).toFixed(1)}% of judge calls answered from cache; ${judge.calls.length - callsAfterFirst} new calls reached the judge`,
  );
  console.log("figures from a shared machine are noisy: compare runs on the same machine, not across machines");
  console.log(
    JSON.stringify({
      tracesPerSec: Math.round(tracesPerSec * 10) / 10,
      limitTracesPerSec,
      throughputToLimitRatio: Math.round((tracesPerSec / limitTracesPerSec) * 1000) / 1000,
      tokensPerTrace: Math.round(tokensPerTrace * 10) / 10,
      cacheHitRate: Math.round(cacheHitRate * 1000) / 1000,
      judgePhaseTracesPerSec: Math.round(judgePhaseTracesPerSec * 10) / 10,
      whileJudgingTracesPerSec: Math.round(whileJudgingTracesPerSec * 10) / 10,
      secondPassTracesPerSec: Math.round((TRACES / (secondMs / 1000)) * 10) / 10,
      traces: TRACES,
      tracesPerRequest: BATCH,
      concurrency: CONCURRENCY,
      latencyMs: LATENCY_MS,
      windows: firstUsage.length,
      stolenCpuShare: stolen(),
    }),
  );
} finally {
  await server.stop();
  await judge.close();
}
