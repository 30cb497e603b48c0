/**
 * @module In-process grading throughput. Bundles worker/grading with esbuild,
 * grades a 10,000-trace corpus (~2 KB outputs, tool calls) with five graders
 * through `gradeTrace` + `summariseWindow`, and compares it with a bare loop
 * doing the same five checks inline. Both must agree on every verdict count,
 * so the comparison is like for like.
 *
 *   node bench/grading-inprocess.mjs [traceCount]
 *
 * Last line of output: {"tracesPerSec", "bareLoopPerSec", "ratioToBare", ...}.
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const TRACE_COUNT = Number(process.argv[2] ?? 10_000);
const WINDOW_SIZE = 50;
const ROUNDS = 7;

async function loadGrading() {
  const result = await build({
    entryPoints: [`${root}/worker/grading/index.ts`],
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "error",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/** Small deterministic PRNG (mulberry32), so every run grades the same corpus. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  "order shipment delivery parcel courier address tracking warehouse status customer support friday invoice".split(" ");

function makeCorpus(n) {
  const rand = random(42);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const base = Date.parse("2026-11-26T10:00:00.000Z");
  const traces = [];
  for (let i = 0; i < n; i++) {
    const start = base + i * 1000;
    const latency = Math.round(300 + rand() * 4000);
    const order = `A${100 + Math.floor(rand() * 900)}`;
    const words = [];
    for (let length = 0; length < 1900; ) {
      const word = pick(WORDS);
      words.push(word);
      length += word.length + 1;
    }
    if (rand() < 0.7) words.splice(Math.floor(rand() * words.length), 0, "refund");
    const answer = {
      answer: `Your order ${rand() < 0.9 ? order : "unknown"}: ${words.join(" ")}`,
      confidence: rand() < 0.95 ? Math.round(rand() * 100) / 100 : "high",
    };
    const output = rand() < 0.97 ? JSON.stringify(answer) : `Sorry, ${words.join(" ")}`;
    const iso = (ms) => new Date(ms).toISOString();
    const spans = [
      {
        id: "s1",
        parentId: null,
        type: "llm",
        name: "chat gpt-4o-mini",
        status: "ok",
        startTime: iso(start + 10),
        endTime: iso(start + 400),
        model: "gpt-4o-mini",
        usage: { inputTokens: 800, outputTokens: 300 },
      },
      {
        id: "s2",
        parentId: "s1",
        type: "tool",
        name: "lookup_order",
        status: "ok",
        startTime: iso(start + 410),
        endTime: iso(start + 600),
        input: { orderId: order },
        output: { state: "shipped" },
      },
      {
        id: "s3",
        parentId: "s1",
        type: "retrieval",
        name: "faq",
        status: "ok",
        startTime: iso(start + 610),
        endTime: iso(start + 700),
      },
      {
        id: "s4",
        parentId: "s1",
        type: "tool",
        name: pick(["refund", "escalate", "lookup_order"]),
        status: "ok",
        startTime: iso(start + 710),
        endTime: iso(start + 900),
        input: { orderId: order, amount: Math.round(rand() * 50), reason: pick(WORDS) },
      },
      {
        id: "s5",
        parentId: null,
        type: "llm",
        name: "chat gpt-4o-mini",
        status: rand() < 0.05 ? "error" : "ok",
        startTime: iso(start + 910),
        endTime: iso(start + latency - 10),
        usage: { inputTokens: 1200, outputTokens: 400 },
      },
    ];
    traces.push({
      id: `run-${i}`,
      agent: "support-bot",
      version: "prompt-v3",
      input: `Where is my order ${order}?`,
      output,
      startTime: iso(start),
      endTime: iso(start + latency),
      status: "ok",
      error: null,
      metadata: { user: `u${i % 97}` },
      tags: ["bench"],
      spans,
    });
  }
  return traces;
}

const graders = [
  {
    graderId: "mentions-refund",
    version: 1,
    name: "mentions refund",
    definition: { kind: "rule", check: "contains", text: "Refund", caseSensitive: false },
  },
  {
    graderId: "cites-order",
    version: 1,
    name: "cites order id",
    definition: { kind: "rule", check: "regex", pattern: "order A\\d{3}\\b" },
  },
  {
    graderId: "answer-shape",
    version: 1,
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
    graderId: "looked-up",
    version: 1,
    name: "looked up order",
    definition: { kind: "rule", check: "tool_called", tool: "refund", args: [{ path: "orderId", contains: "A" }] },
  },
  { graderId: "fast", version: 1, name: "latency", definition: { kind: "rule", check: "latency_budget", ms: 3000 } },
];

function runPipeline(grading, traces) {
  const passes = new Array(graders.length).fill(0);
  let windows = 0;
  for (let start = 0; start < traces.length; start += WINDOW_SIZE) {
    const window = traces.slice(start, start + WINDOW_SIZE);
    const scoresByTrace = new Map();
    const latencies = [];
    for (const trace of window) {
      const scores = grading.gradeTrace(trace, graders);
      scoresByTrace.set(trace.id, scores);
      scores.forEach((s, i) => {
        if (s.verdict === "pass") passes[i]++;
      });
      const latency = grading.latencyOfTrace(trace);
      if (latency !== null) latencies.push(latency);
    }
    grading.summariseWindow(scoresByTrace, latencies, { minGraded: 20 });
    windows++;
  }
  return { passes, windows };
}

/** The same five checks, hand-written: the floor any pipeline pays. */
function runBareLoop(traces) {
  const passes = new Array(graders.length).fill(0);
  const orderRegex = /order A\d{3}\b/;
  for (const trace of traces) {
    const text = typeof trace.output === "string" ? trace.output : JSON.stringify(trace.output);
    if (text.toLowerCase().includes("refund")) passes[0]++;
    if (orderRegex.test(text)) passes[1]++;
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (
      parsed !== null &&
      typeof parsed === "object" &&
      !Array.isArray(parsed) &&
      typeof parsed.answer === "string" &&
      parsed.answer.length >= 1 &&
      typeof parsed.confidence === "number" &&
      parsed.confidence >= 0 &&
      parsed.confidence <= 1
    )
      passes[2]++;
    if (
      trace.spans.some(
        (s) =>
          s.type === "tool" &&
          s.name === "refund" &&
          typeof s.input?.orderId === "string" &&
          s.input.orderId.includes("A"),
      )
    )
      passes[3]++;
    if (Date.parse(trace.endTime) - Date.parse(trace.startTime) <= 3000) passes[4]++;
  }
  return { passes };
}

function measure(fn) {
  const times = [];
  let result;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    result = fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { result, medianMs: times[Math.floor(times.length / 2)] };
}

const grading = await loadGrading();
const traces = makeCorpus(TRACE_COUNT);
const avgOutput = Math.round(traces.reduce((n, t) => n + t.output.length, 0) / traces.length);

// Warm both paths up so the JIT compares optimised code with optimised code.
runPipeline(grading, traces.slice(0, 1000));
runBareLoop(traces.slice(0, 1000));

const pipeline = measure(() => runPipeline(grading, traces));
const bare = measure(() => runBareLoop(traces));

if (JSON.stringify(pipeline.result.passes) !== JSON.stringify(bare.result.passes)) {
  console.error("verdict counts differ:", pipeline.result.passes, bare.result.passes);
  process.exit(1);
}

const tracesPerSec = Math.round(TRACE_COUNT / (pipeline.medianMs / 1000));
const bareLoopPerSec = Math.round(TRACE_COUNT / (bare.medianMs / 1000));
console.log(
  `corpus: ${TRACE_COUNT} traces, ${traces[0].spans.length} spans each, avg output ${avgOutput} chars; ${pipeline.result.windows} windows of ${WINDOW_SIZE}`,
);
console.log(`passes per grader: ${graders.map((g, i) => `${g.graderId}=${pipeline.result.passes[i]}`).join(" ")}`);
console.log(`pipeline (gradeTrace + summariseWindow): ${pipeline.medianMs.toFixed(1)} ms median of ${ROUNDS}`);
console.log(`bare loop: ${bare.medianMs.toFixed(1)} ms median of ${ROUNDS}`);
console.log(
  JSON.stringify({
    tracesPerSec,
    bareLoopPerSec,
    ratioToBare: Math.round((bareLoopPerSec / tracesPerSec) * 100) / 100,
    traces: TRACE_COUNT,
    graders: graders.length,
  }),
);
