/**
 * @module Failure capture on a labelled set, through the real worker. Four agents send
 * traces that were BUILT to fail or pass specific graders: each trace comes from a spec
 * (agent, question, input variant, failure mode), and its label is `fail` exactly when
 * the spec gave it a failure mode. Labels never come from running a grader.
 *
 * The set holds near-misses that must pass (an agent span carrying a rollup of its LLM
 * calls' tokens and cost, an LLM wrapper span around each call, `" Billing\n"` against
 * the label `billing`, a correctly formatted argument nested deep in the call, a code
 * fenced JSON answer, a latency just under budget) and, for every question, inputs that
 * differ only in letter case or whitespace (which must merge into one case) beside
 * questions that differ by punctuation (which must stay apart).
 *
 * One agent is used the way the README's first steps go: its traces are sent before it
 * has any grader, then graders are created and `POST /api/agents/{agent}/regrade` grades
 * the stored traces. The others are graded by their windows as traces arrive.
 *
 *   node bench/grading-accuracy.mjs [tracesPerAgent=200] [seed=7]
 *
 * Last line: one JSON object with recall, precision, and cases per distinct failing input.
 */
import { seededRandom } from "./lib/seeded-random.mjs";
import { createProject, startServer } from "./lib/server.mjs";

const PER_AGENT = Number(process.argv[2] ?? 200);
const SEED = Number(process.argv[3] ?? 7);
const FAIL_SHARE = 0.35;

const random = seededRandom(SEED);
const pick = (list) => list[Math.floor(random() * list.length)];

const iso = (ms) => new Date(ms).toISOString();
let clock = Date.parse("2026-11-20T09:00:00.000Z");

/**
 * Variants of one question that ask the same thing: letter case and whitespace only.
 * They must all land in the same dataset case.
 */
const SAME_QUESTION_VARIANTS = [
  (q) => q,
  (q) => q.toUpperCase(),
  (q) => q.toLowerCase(),
  (q) => `  ${q}\n`,
  (q) => q.replace(/ /g, "   "),
  (q) => q.replace(/ /, "\n"),
  (q) => `\t${q.replace(/ /g, " \t ")}  `,
  (q) => q.replace(/ (\S+)$/, "\r\n$1"),
];

/** Questions of an agent: pairs that differ only by punctuation are different questions. */
function questionsOf(agent, base) {
  const questions = [];
  for (const [i, text] of base.entries()) {
    questions.push({ key: `${agent}#${i}`, text });
    questions.push({ key: `${agent}#${i}!`, text: text.replace(/\?$/, "").replace(/([A-Z]\d{4})/, "$1!") });
  }
  return questions;
}

// ---------------------------------------------------------------- agents, graders, modes

/**
 * Each agent: its graders, and failure modes, each a function that makes a trace fail
 * exactly the graders it names. `pass` modes are near-misses that must pass.
 */
const agents = [
  {
    name: "order-bot",
    graders: [
      {
        name: "order id format",
        definition: {
          kind: "rule",
          check: "tool_called",
          tool: "lookup_order",
          args: [{ path: "orderId", regex: "^A\\d{4}$" }],
        },
      },
      { name: "token budget", definition: { kind: "rule", check: "token_budget", total: 1000 } },
      { name: "no errors", definition: { kind: "rule", check: "no_error_spans" } },
    ],
    base: Array.from({ length: 20 }, (_, i) => `Where is my order A${1000 + i * 37}?`),
    build(input, mode) {
      const order = /A\d{4}/.exec(input)?.[0] ?? "A1000";
      const orderId =
        {
          lowercase_id: order.toLowerCase(),
          short_id: order.slice(0, 4),
          long_id: `${order}7`,
          hash_id: `#${order}`,
        }[mode] ?? order;
      const llm = mode === "over_budget" ? [700, 500] : [400, 300];
      const spans = [
        // An agent span carrying the rollup of its LLM calls: counted, it would double the total.
        agentSpan("a", llm[0] + llm[1]),
        llmSpan("l1", "a", llm[0]),
        llmSpan("l2", "a", llm[1]),
      ];
      if (mode !== "no_lookup") {
        spans.push(
          toolSpan(
            "t1",
            "a",
            "lookup_order",
            { orderId, customer: { id: "c-9", orderId: "internal-7" } },
            mode === "tool_error",
          ),
        );
      }
      return { output: `Your order ${order} has shipped.`, spans };
    },
    failModes: ["lowercase_id", "short_id", "long_id", "hash_id", "no_lookup", "over_budget", "tool_error"],
  },
  {
    name: "router",
    graders: [
      { name: "route label", definition: { kind: "metric", metric: "normalized_match" } },
      { name: "no apology", definition: { kind: "rule", check: "not_contains", text: "sorry", caseSensitive: false } },
    ],
    base: Array.from({ length: 20 }, (_, i) => `Ticket T${2000 + i * 11}: my card was charged twice, why?`),
    build(_input, mode) {
      const label = pick(["billing", "shipping", "returns"]);
      const output =
        {
          trailing_period: `${label}.`,
          quoted: `"${label}"`,
          wrong_label: label === "billing" ? "shipping" : "billing",
          apology: `${label} sorry`,
          plural: `${label}s`,
        }[mode] ?? pick([label, ` ${label[0].toUpperCase()}${label.slice(1)}\n`, label.toUpperCase(), `${label}  `]);
      return { output, metadata: { reference: label }, spans: [llmSpan("l1", null, 120)] };
    },
    failModes: ["trailing_period", "quoted", "wrong_label", "apology", "plural"],
  },
  {
    name: "calc-bot",
    graders: [
      {
        name: "typed result",
        definition: { kind: "metric", metric: "exact_match", target: "output.result" },
      },
      { name: "llm calls", definition: { kind: "rule", check: "max_llm_calls", n: 2 } },
      { name: "cost budget", definition: { kind: "rule", check: "cost_budget", usd: 0.01 } },
    ],
    base: Array.from({ length: 20 }, (_, i) => `What is ${i + 12} times ${i + 3}?`),
    build(input, mode) {
      const [a, b] = input.match(/\d+/g).map(Number);
      const answer = a * b;
      const result = { string_result: String(answer), off_by_one: answer + 1 }[mode] ?? answer;
      const calls = mode === "three_calls" ? 3 : 2;
      const callCost = mode === "over_cost" ? 0.006 : 0.004;
      // Each call is an LLM wrapper span around the real LLM call (as the AI SDK records it),
      // both carrying the call's cost: counted twice, cost and call count would double.
      const spans = [agentSpan("a", 0, callCost * calls)];
      for (let k = 0; k < calls; k++) {
        spans.push(llmSpan(`w${k}`, "a", 100, callCost, "ai.generateText"));
        spans.push(llmSpan(`c${k}`, `w${k}`, 100, callCost, "ai.generateText.doGenerate"));
      }
      return { output: { result }, metadata: { reference: answer }, spans };
    },
    failModes: ["string_result", "off_by_one", "three_calls", "over_cost"],
  },
  {
    name: "booking-bot",
    sendBeforeGraders: true,
    graders: [
      {
        name: "booking arguments",
        definition: {
          kind: "rule",
          check: "tool_called",
          tool: "book",
          calls: "every",
          args: [
            { path: "email", deep: true, regex: "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", flags: "i" },
            { path: "date", regex: "^\\d{4}-\\d{2}-\\d{2}$" },
          ],
        },
      },
      { name: "json answer", definition: { kind: "rule", check: "json_valid", allowCodeFence: true } },
      { name: "latency", definition: { kind: "rule", check: "latency_budget", ms: 5000 } },
    ],
    base: Array.from(
      { length: 20 },
      (_, i) => `Book a table for ${i + 2} on 2026-12-${String(i + 1).padStart(2, "0")}?`,
    ),
    build(input, mode) {
      const date = /\d{4}-\d{2}-\d{2}/.exec(input)[0];
      const good = { guest: { contact: { email: "Ann.Lee@Example.com" } }, date };
      const second = {
        bad_second_date: { ...good, date: date.split("-").reverse().join("/") },
        bad_email: { guest: { contact: { email: "ann(at)example.com" } }, date },
      }[mode] ?? { ...good };
      const output =
        mode === "not_json"
          ? "Booked! Confirmation B-17"
          : pick(['{"booked": true, "code": "B-17"}', '```json\n{"booked": true, "code": "B-17"}\n```']);
      return {
        output,
        latencyMs: mode === "slow" ? 6000 : pick([800, 2500, 4999]),
        spans: [toolSpan("t1", null, "book", good), toolSpan("t2", null, "book", second)],
      };
    },
    failModes: ["bad_second_date", "bad_email", "not_json", "slow"],
  },
];

// ---------------------------------------------------------------- span helpers

function agentSpan(id, tokens, cost) {
  const usage =
    tokens > 0 ? { inputTokens: Math.round(tokens * 0.7), outputTokens: tokens - Math.round(tokens * 0.7) } : {};
  if (cost !== undefined) usage.cost = cost;
  return { id, parentId: null, type: "agent", name: "agent run", usage };
}

function llmSpan(id, parentId, tokens, cost, name = "chat") {
  const usage = { inputTokens: Math.round(tokens * 0.7), outputTokens: tokens - Math.round(tokens * 0.7) };
  if (cost !== undefined) usage.cost = cost;
  return { id, parentId, type: "llm", name, model: "gpt-4o-mini", usage };
}

function toolSpan(id, parentId, name, input, error = false) {
  return {
    id,
    parentId,
    type: "tool",
    name,
    input,
    status: error ? "error" : "ok",
    ...(error ? { error: "timeout" } : {}),
  };
}

// ---------------------------------------------------------------- the labelled set

function buildSet() {
  const traces = [];
  for (const agent of agents) {
    const questions = questionsOf(agent.name, agent.base);
    for (let i = 0; i < PER_AGENT; i++) {
      const question = pick(questions);
      const input = pick(SAME_QUESTION_VARIANTS)(question.text);
      const mode = random() < FAIL_SHARE ? pick(agent.failModes) : "pass";
      const built = agent.build(input, mode);
      const start = (clock += 1000);
      const latency = built.latencyMs ?? 1500;
      traces.push({
        label: mode === "pass" ? "pass" : "fail",
        mode,
        key: question.key,
        agent: agent.name,
        trace: {
          id: `acc-${agent.name}-${String(i).padStart(4, "0")}`,
          agent: agent.name,
          version: "v1",
          input,
          output: built.output,
          startTime: iso(start),
          endTime: iso(start + latency),
          status: "ok",
          metadata: built.metadata ?? {},
          spans: built.spans,
        },
      });
    }
  }
  return traces;
}

// ---------------------------------------------------------------- talking to the worker

async function call(server, apiKey, method, path, body) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function sendTraces(server, apiKey, traces) {
  for (let i = 0; i < traces.length; i += 100)
    await call(server, apiKey, "POST", "/api/traces", traces.slice(i, i + 100));
}

/** Waits until the agent's windows have graded everything they hold and nothing is ungraded. */
async function settle(server, apiKey, agent) {
  const path = `/api/agents/${encodeURIComponent(agent)}`;
  for (let round = 0; round < 600; round++) {
    await call(server, apiKey, "POST", `${path}/window/close`);
    const status = await call(server, apiKey, "GET", `${path}/window`);
    if (status.open === null && status.pending.length === 0 && status.ungraded.count === 0) return;
    await sleep(500);
  }
  throw new Error(`${agent}: windows did not settle`);
}

async function datasetCases(server, apiKey, agent) {
  const cases = [];
  let cursor = "";
  for (;;) {
    const page = await call(
      server,
      apiKey,
      "GET",
      `/api/datasets/${encodeURIComponent(`agent:${agent}`)}/versions/latest/cases?limit=500${cursor ? `&cursor=${cursor}` : ""}`,
    );
    cases.push(...page.cases);
    if (!page.nextCursor) return cases;
    cursor = encodeURIComponent(page.nextCursor);
  }
}

async function main() {
  const set = buildSet();
  const server = await startServer({ vars: { WINDOW_MAX_AGE_MS: "1000", INDEX_FLUSH_DELAY_MS: "20" } });
  try {
    const { apiKey } = await createProject(server, "grading-accuracy");
    const ungradedBeforeGraders = {};
    const firstGraderWaiting = {};
    for (const agent of agents) {
      const traces = set.filter((t) => t.agent === agent.name).map((t) => t.trace);
      await call(server, apiKey, "PUT", `/api/agents/${agent.name}/window`, { maxTraces: 40, minGraded: 5 });
      if (agent.sendBeforeGraders) {
        await sendTraces(server, apiKey, traces);
        await sleep(1500);
        await call(server, apiKey, "POST", `/api/agents/${agent.name}/window/close`);
        for (let round = 0; round < 100; round++) {
          const status = await call(server, apiKey, "GET", `/api/agents/${agent.name}/window`);
          ungradedBeforeGraders[agent.name] = status.ungraded;
          if (status.ungraded.count === traces.length) break;
          await sleep(300);
        }
      }
      for (const [i, grader] of agent.graders.entries()) {
        const created = await call(server, apiKey, "POST", "/api/graders", { agent: agent.name, ...grader });
        if (i === 0) firstGraderWaiting[agent.name] = created.waiting.count;
      }
      if (agent.sendBeforeGraders) {
        const regrade = await call(server, apiKey, "POST", `/api/agents/${agent.name}/regrade`, {});
        for (let round = 0; round < 600; round++) {
          const progress = await call(server, apiKey, "GET", `/api/agents/${agent.name}/regrades/${regrade.regradeId}`);
          if (progress.state === "done") break;
          await sleep(500);
        }
      } else {
        await sendTraces(server, apiKey, traces);
      }
    }
    for (const agent of agents) await settle(server, apiKey, agent.name);

    // Failure capture: a trace is found failing when a current score of it is a fail.
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    const misses = [];
    for (const item of set) {
      let { state, scores } = await call(server, apiKey, "GET", `/api/traces/${item.trace.id}/scores`);
      // A trace indexed after its agent settled is still on its way through a window.
      for (let round = 0; state !== "graded" && round < 20; round++) {
        await settle(server, apiKey, item.agent);
        ({ state, scores } = await call(server, apiKey, "GET", `/api/traces/${item.trace.id}/scores`));
      }
      const found = scores.some((s) => !s.superseded && s.verdict === "fail");
      if (item.label === "fail" && found) tp++;
      else if (item.label === "fail") {
        fn++;
        misses.push(`${item.agent}/${item.mode}`);
      } else if (found) {
        fp++;
        misses.push(`false alarm ${item.agent}: ${scores.find((s) => s.verdict === "fail")?.reason}`);
      } else tn++;
    }

    // Cases: one per distinct failing question, keyed by what the traces were built from.
    const keyOfInput = new Map(set.map((t) => [t.trace.input, t.key]));
    const failingKeys = new Set(set.filter((t) => t.label === "fail").map((t) => t.key));
    const casesPerKey = new Map();
    let casesOfPassingInputs = 0;
    let failureCases = 0;
    for (const agent of agents) {
      for (const c of await datasetCases(server, apiKey, agent.name)) {
        if (c.guard) continue;
        failureCases++;
        const key = keyOfInput.get(c.input);
        if (!failingKeys.has(key)) casesOfPassingInputs++;
        casesPerKey.set(key, (casesPerKey.get(key) ?? 0) + 1);
      }
    }
    const exactlyOne = [...failingKeys].filter((k) => casesPerKey.get(k) === 1).length;
    const duplicated = [...failingKeys].filter((k) => (casesPerKey.get(k) ?? 0) > 1).length;
    const missing = [...failingKeys].filter((k) => !casesPerKey.has(k)).length;

    const round4 = (x) => Math.round(x * 10_000) / 10_000;
    for (const miss of [...new Set(misses)].slice(0, 20)) console.log(`  miss: ${miss}`);
    console.log(
      JSON.stringify({
        traces: set.length,
        agents: agents.length,
        graders: agents.reduce((n, a) => n + a.graders.length, 0),
        labelledFailing: tp + fn,
        labelledPassing: tn + fp,
        recall: round4(tp / (tp + fn)),
        precision: round4(tp / (tp + fp)),
        truePositives: tp,
        falsePositives: fp,
        falseNegatives: fn,
        distinctFailingInputs: failingKeys.size,
        failureCases,
        casesPerDistinctFailingInput: round4(failureCases / failingKeys.size),
        inputsWithExactlyOneCase: exactlyOne,
        inputsWithDuplicateCases: duplicated,
        failingInputsWithoutCase: missing,
        casesOfPassingInputs,
        ungradedBeforeGraders,
        firstGraderWaiting,
        seed: SEED,
      }),
    );
  } finally {
    await server.stop();
  }
}

await main();
