/**
 * @module Demo data for the site, sent through the public API as a user would: a project
 * with `support-bot` (a rule grader edited half-way, so its chart has two series; a p95
 * latency budget that fails the last three windows; a prompt change from `prompt-v1` to
 * `prompt-v2`; one window with too few traces; one trace whose output holds HTML that
 * must never run; two traces queued for review, one of them failing; two client-side eval
 * runs over its regression dataset, the first accepted as the baseline and the second fixing
 * most failure cases and breaking one guard case) and `billing-bot` (traces but no grader,
 * so they wait). Used by the browser tests and by `scripts/site-screenshots.mjs`.
 */

export const AGENT = "support-bot";
export const IDLE_AGENT = "billing-bot";
export const MIN_GRADED = 5;
export const LATENCY_BUDGET_MS = 1500;

/** The trace whose output and input try to run script in the page. */
export const HOSTILE_TRACE_ID = "demo-hostile";
export const HOSTILE_OUTPUT =
  "It shipped yesterday. <img src=x onerror=\"window.__flywheelXss='img'\"><script>window.__flywheelXss='script'</script>";

/** Queued for review: a failing answer (no "shipped") and a passing one, each with why. */
export const REVIEW_ITEMS = [
  { traceId: "demo-w5-t9", note: "customer says the order never arrived" },
  { traceId: "demo-w5-t1", note: "spot check after the prompt-v2 change" },
];

/** What the demo's eval runs answer: the fixed answer passes the rule grader, the weak one fails it. */
export const FIXED_ANSWER = "It shipped yesterday; tracking number 1Z999.";
export const BROKEN_ANSWER = "I could not find that order, sorry.";
/** How many failure cases the second eval run leaves failing (the rest it fixes). */
export const STILL_FAILING = 2;

/**
 * Windows in order: traces, answers that pass the rule, the agent version, whether traces
 * are slow (over the p95 budget), and whether the rule grader is edited before it.
 */
export const WINDOWS = [
  { traces: 10, good: 5, version: "prompt-v1", slow: false, editBefore: false },
  { traces: 3, good: 2, version: "prompt-v1", slow: false, editBefore: false }, // too few to plot
  { traces: 10, good: 7, version: "prompt-v2", slow: true, editBefore: false },
  { traces: 10, good: 8, version: "prompt-v2", slow: true, editBefore: true },
  { traces: 10, good: 9, version: "prompt-v2", slow: true, editBefore: false },
];

/** What the pass-rate chart must show for the rule grader: points per version, and which are hollow. */
export const EXPECTED_RULE_POINTS = { v1: 3, v2: 2, insufficient: 1 };

const GOOD = [
  "Your order shipped on Monday.",
  "It shipped; tracking number 1Z999.",
  "Shipped yesterday, arriving Friday.",
];
const WEAK = ["I could not find that order, sorry.", "Please contact support.", "Orders usually arrive within a week."];

function windowTraces(n, w) {
  const end = Date.now();
  return Array.from({ length: w.traces }, (_, i) => {
    const latency = (w.slow ? 2200 : 500) + ((i * 137) % 400);
    const hostile = n === WINDOWS.length - 1 && i === 0;
    const start = end - latency;
    return {
      id: hostile ? HOSTILE_TRACE_ID : `demo-w${n + 1}-t${i}`,
      agent: AGENT,
      version: w.version,
      input: hostile
        ? '<script>window.__flywheelXss="input"</script> Where is my order?'
        : `Where is my order A${n}${i}?`,
      output: hostile ? HOSTILE_OUTPUT : i < w.good ? GOOD[i % GOOD.length] : WEAK[i % WEAK.length],
      startTime: new Date(start).toISOString(),
      endTime: new Date(end).toISOString(),
      status: "ok",
      metadata: { user: `u${i}` },
      spans: [
        {
          id: "s1",
          parentId: null,
          type: "agent",
          name: "answer question",
          startTime: new Date(start).toISOString(),
          endTime: new Date(end).toISOString(),
          status: "ok",
        },
        {
          id: "s2",
          parentId: "s1",
          type: "llm",
          name: "chat gpt-4o-mini",
          startTime: new Date(start + 20).toISOString(),
          endTime: new Date(start + latency / 2).toISOString(),
          status: "ok",
          model: "gpt-4o-mini",
          usage: { inputTokens: 120, outputTokens: 30 },
          input: [{ role: "user", content: "Where is my order?" }],
          output: "calling lookup_order",
        },
        {
          id: "s3",
          parentId: "s2",
          type: "tool",
          name: "lookup_order",
          startTime: new Date(start + latency / 2).toISOString(),
          endTime: new Date(end - 30).toISOString(),
          status: "ok",
          input: { orderId: `A${n}${i}` },
          output: hostile ? { note: "<img src=x onerror=\"window.__flywheelXss='span'\">" } : { state: "shipped" },
        },
      ],
    };
  });
}

export function client(url, key) {
  return async function call(method, route, body) {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until the open window holds the traces just sent (they arrive through the trace shards), then grades it. */
async function gradeWindow(call, expectedWindows, expectedTraces) {
  const deadline = performance.now() + 60_000;
  const graded = async () =>
    (await call("GET", `/api/agents/${AGENT}/windows?limit=500`)).windows.filter((w) => w.gradedAt).length;
  for (;;) {
    const status = await call("GET", `/api/agents/${AGENT}/window`);
    if ((status.open?.traceCount ?? 0) >= expectedTraces) break;
    if (performance.now() > deadline)
      throw new Error(`window ${expectedWindows} never received its ${expectedTraces} traces`);
    await sleep(150);
  }
  await call("POST", `/api/agents/${AGENT}/window/close`);
  while ((await graded()) < expectedWindows) {
    if (performance.now() > deadline) throw new Error(`window ${expectedWindows} was not graded`);
    await sleep(150);
  }
}

/**
 * Sends the demo through the API of the server at `url` for the project of `key`.
 * @param {string} url
 * @param {string} key
 * @param {(line: string) => void} [log]
 */
export async function seedSiteDemo(url, key, log = () => {}) {
  const call = client(url, key);
  const rule = await call("POST", "/api/graders", {
    agent: AGENT,
    name: "says shipped",
    definition: { kind: "rule", check: "contains", text: "hipped" },
  });
  await call("POST", "/api/graders", {
    agent: AGENT,
    name: "p95 latency budget",
    definition: {
      kind: "metric",
      metric: "latency_percentile",
      percentile: 95,
      budgetMs: LATENCY_BUDGET_MS,
      minSamples: 3,
    },
  });
  await call("PUT", `/api/agents/${AGENT}/window`, { maxTraces: 1000, minGraded: MIN_GRADED });
  for (const [n, w] of WINDOWS.entries()) {
    if (w.editBefore)
      await call("PATCH", `/api/graders/${rule.id}`, {
        name: "says shipped (any case)",
        definition: { kind: "rule", check: "contains", text: "shipped", caseSensitive: false },
      });
    await call("POST", "/api/traces", windowTraces(n, w));
    await gradeWindow(call, n + 1, w.traces);
    log(`window ${n + 1}: ${w.good}/${w.traces} pass, ${w.version}${w.slow ? ", slow" : ""}`);
  }
  for (const item of REVIEW_ITEMS) await call("POST", "/api/review-queue", item);
  log(`review queue: ${REVIEW_ITEMS.length} traces queued`);
  const { baselineRunId, evalRunId } = await seedEvalRuns(call, log);
  await call("POST", "/api/traces", [
    { id: "billing-1", agent: IDLE_AGENT, input: "Refund?", output: "Done.", status: "ok" },
    { id: "billing-2", agent: IDLE_AGENT, input: "Invoice?", output: "Sent.", status: "ok" },
  ]);
  return { ruleGraderId: rule.id, baselineRunId, evalRunId };
}

/** Starts a client-side eval run on the latest regression dataset, answers every case, and waits for it to complete. */
async function runCandidate(call, label, answer) {
  const run = await call("POST", "/api/eval-runs", {
    agent: AGENT,
    candidate: { label, version: label },
    dataset: `agent:${AGENT}`,
    datasetVersion: "latest",
  });
  const answers = run.cases.map((c, n) => ({ caseId: c.caseId, repeat: 0, answer: { output: answer(c, n) } }));
  await call("POST", `/api/eval-runs/${run.id}/results`, { answers });
  const deadline = performance.now() + 60_000;
  while ((await call("GET", `/api/eval-runs/${run.id}?cases=false`)).status !== "completed") {
    if (performance.now() > deadline) throw new Error(`eval run ${run.id} (${label}) did not complete`);
    await sleep(150);
  }
  return run;
}

/**
 * Two eval runs over the regression dataset the graded windows filled: `prompt-v2` as it
 * runs today (fails every failure case, passes every guard case), accepted as the baseline;
 * then `prompt-v3`, which fixes all but {@link STILL_FAILING} failure cases and breaks the
 * first guard case, so the iterations page shows an improvement and one regression.
 */
async function seedEvalRuns(call, log) {
  const baseline = await runCandidate(call, "prompt-v2", (c) => (c.guard ? FIXED_ANSWER : BROKEN_ANSWER));
  await call("POST", `/api/eval-runs/${baseline.id}/accept`, {});
  const failures = baseline.cases.filter((c) => !c.guard).map((c) => c.caseId);
  const stillFailing = new Set(failures.slice(0, STILL_FAILING));
  const broken = baseline.cases.find((c) => c.guard)?.caseId;
  const candidate = await runCandidate(call, "prompt-v3", (c) =>
    c.caseId === broken || stillFailing.has(c.caseId) ? BROKEN_ANSWER : FIXED_ANSWER,
  );
  const guards = baseline.cases.length - failures.length;
  log(
    `eval runs: ${baseline.id} accepted, ${candidate.id} fixes ${failures.length - STILL_FAILING}/${failures.length} failure cases, breaks 1 of ${guards} guard cases`,
  );
  return { baselineRunId: baseline.id, evalRunId: candidate.id };
}
