/**
 * @module Makes docs/trend.png: starts Flywheel on a free port with throwaway state, creates a
 * project and two graders for `support-bot`, sends windows of traces whose pass rate improves
 * (one window deliberately too small, one grader edited half-way to show a version change),
 * force-closes each window, then screenshots the trend page with headless Chromium.
 *
 *   node scripts/trend-screenshot.mjs [--out docs/trend.png] [--chromium /usr/bin/chromium] [--keep]
 *
 * Needs a local Chromium (`apt-get install chromium`); it is not a project dependency.
 * `--keep` leaves the server running and prints the page URL (stop it with Ctrl-C).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createProject, startServer } from "../bench/lib/server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: path.join(root, "docs", "trend.png") },
    chromium: { type: "string", default: "chromium" },
    keep: { type: "boolean", default: false },
    width: { type: "string", default: "1280" },
    height: { type: "string", default: "1300" },
  },
});

const AGENT = "support-bot";
const WINDOW_TRACES = 20;
const REFERENCE = "Your order shipped on Monday; the tracking number is 1Z999 and it arrives on Friday.";

/** Windows to send: how many traces and how many of them answer well. Grader `mentions tracking` is edited after `editAfter`. */
const PLAN = [
  { traces: WINDOW_TRACES, good: 6 },
  { traces: WINDOW_TRACES, good: 8 },
  { traces: 6, good: 3 }, // too few graded traces: drawn hollow, not a trend point
  { traces: WINDOW_TRACES, good: 11 },
  { traces: WINDOW_TRACES, good: 10 },
  { traces: WINDOW_TRACES, good: 13 },
  { traces: WINDOW_TRACES, good: 16 },
  { traces: WINDOW_TRACES, good: 18 },
];
const EDIT_AFTER = 4;

// Deterministic variety, so the picture is the same on every run.
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

const GOOD_ANSWERS = [
  "Your order shipped on Monday; the tracking number is 1Z999 and it arrives on Friday.",
  "It shipped Monday, tracking number 1Z999, arriving Friday.",
  "Good news: the order shipped and the tracking number is 1Z999.",
  "Your order is on its way; use tracking number 1Z999 to follow it.",
];
const WEAK_ANSWERS = [
  "Your order is on its way.",
  "I could not find that order, sorry.",
  "Orders usually arrive within a week. You can check tracking in your account.",
  "Please contact support about your order.",
];

function traces(windowNo, { traces: count, good }) {
  const start = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const isGood = i < good;
    const answers = isGood ? GOOD_ANSWERS : WEAK_ANSWERS;
    const latency = 600 + Math.round(random() * 1400);
    return {
      id: `demo-w${windowNo}-t${i}`,
      agent: AGENT,
      version: `prompt-v${windowNo}`,
      // Six questions per window, new ones each time, so the regression dataset grows a version per window.
      input: `Where is my order A${windowNo}${i % 6}?`,
      output: answers[Math.floor(random() * answers.length)],
      startTime: new Date(start - latency).toISOString(),
      endTime: new Date(start).toISOString(),
      status: "ok",
      metadata: { reference: REFERENCE },
    };
  });
}

async function call(server, key, method, route, body) {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function gradedWindowCount(server, key) {
  const { windows } = await call(server, key, "GET", `/api/agents/${AGENT}/windows?limit=500`);
  return windows.filter((w) => w.gradedAt).length;
}

/** Waits until the window holds the traces just sent (they arrive through the trace shards), then closes and grades it. */
async function closeWindow(server, key, expectedWindows, expectedTraces) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await gradedWindowCount(server, key)) >= expectedWindows) return; // closed itself at maxTraces
    const status = await call(server, key, "GET", `/api/agents/${AGENT}/window`);
    if ((status.open?.traceCount ?? 0) >= expectedTraces) break;
    if (Date.now() > deadline) throw new Error(`window ${expectedWindows} never received its ${expectedTraces} traces`);
    await sleep(200);
  }
  await call(server, key, "POST", `/api/agents/${AGENT}/window/close`);
  while ((await gradedWindowCount(server, key)) < expectedWindows) {
    if (Date.now() > deadline) throw new Error(`window ${expectedWindows} was not graded`);
    await sleep(200);
  }
}

async function main() {
  const server = await startServer();
  try {
    const { apiKey: key } = await createProject(server, "trend-demo");
    const tracking = await call(server, key, "POST", "/api/graders", {
      agent: AGENT,
      name: "mentions tracking",
      definition: { kind: "rule", check: "contains", text: "tracking" },
    });
    await call(server, key, "POST", "/api/graders", {
      agent: AGENT,
      name: "close to reference",
      definition: { kind: "metric", metric: "similarity", algorithm: "token_f1", threshold: 0.6 },
    });
    await call(server, key, "PUT", `/api/agents/${AGENT}/window`, { maxTraces: WINDOW_TRACES });

    for (const [n, window] of PLAN.entries()) {
      if (n === EDIT_AFTER) {
        // Stricter check: a new grader version, so the chart starts a new series here.
        await call(server, key, "PATCH", `/api/graders/${tracking.id}`, {
          name: "mentions tracking number",
          definition: { kind: "rule", check: "contains", text: "tracking number" },
        });
      }
      await call(server, key, "POST", "/api/traces", traces(n + 1, window));
      await closeWindow(server, key, n + 1, window.traces);
      console.log(`window ${n + 1}: ${window.good}/${window.traces} good answers, graded`);
    }

    const page = `${server.url}/#key=${encodeURIComponent(key)}&agent=${AGENT}`;
    if (args.keep) {
      console.log(`trend page: ${page}\nserver stays up; Ctrl-C stops it`);
      await new Promise((resolve) => process.once("SIGINT", resolve));
      return;
    }
    const profile = mkdtempSync(path.join(os.tmpdir(), "flywheel-chromium-"));
    try {
      execFileSync(
        args.chromium,
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--hide-scrollbars",
          `--user-data-dir=${profile}`,
          `--window-size=${args.width},${args.height}`,
          // The page fetches its data after load; give it (virtual) time before the shot.
          "--virtual-time-budget=15000",
          `--screenshot=${args.out}`,
          page,
        ],
        { stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 },
      );
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
    console.log(`wrote ${args.out} (${Math.round(statSync(args.out).size / 1024)} KB)`);
  } finally {
    await server.stop();
  }
}

await main();
