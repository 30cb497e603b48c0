#!/usr/bin/env node
/**
 * @module The `flywheel` command line: run an eval of a candidate against a dataset
 * version and gate CI on the server's verdict (`eval`), export a dataset version
 * (`export`), show a run or an agent's iterations (`status`). Plain Node ESM, no
 * dependencies. Exit codes: 0 success, 1 the gate failed, 2 bad usage, 3 the server
 * could not be reached or refused the request, 4 the run ended without completing.
 */
import { createWriteStream } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export const EXIT = { ok: 0, gateFailed: 1, usage: 2, server: 3, incomplete: 4 };

const HELP = `Usage: flywheel <command> [options]

Commands:
  eval     Run a candidate over a dataset version; exit 1 when the gate fails
  export   Write a dataset version to a file (jsonl, csv, openai-evals)
  status   Show an eval run (--run) or an agent's iterations (--agent)

Common options:
  --url URL            Flywheel's base URL (or FLYWHEEL_URL; default http://127.0.0.1:8787)
  --key KEY            The project's API key (or FLYWHEEL_KEY)
  --json               Print one JSON object instead of tables

eval options:
  --agent NAME             The agent (required)
  --agent-module FILE      Client-side run: a module whose default export (or \`run\`) is
                           async (input, {caseId, repeat}) => output | {output, spans, metadata, tags}
  --endpoint URL           Server-side run: the server POSTs each case to this URL
  --dataset ID             Dataset id (default agent:<agent>, the agent's regression dataset)
  --dataset-version N      Version number or latest (default latest)
  --label TEXT             Candidate label (default the module's file name or "candidate")
  --candidate-version V    Candidate version stamped on graded answers
  --repeats N              Runs per case (default 1); cases whose repeats disagree are flaky
  --concurrency N          Cases in flight at once (default 8)
  --timeout-ms N           Per-case timeout (default 30000)
  --grader ID[@VERSION]    Grade with this grader (its current version, or the one given;
                           repeatable; default: the baseline's graders, else the agent's enabled ones)
  --baseline RUN|dataset   Compare against this run (default: the accepted run, else the dataset)
  --suggestion ID          A fix suggestion this candidate implements (repeatable)
  --idempotency-key KEY    Retrying with the same key returns the first run
  --max-regressions N      Gate: fail when regressions exceed N (default 0)
  --min-improvement X      Gate: fail when the improvement rate is below X in [0, 1] (default 0)
  --max-errors N           Gate: fail when more than N cases errored (default: no limit)
  --accept                 Accept the run as the new baseline when the gate passes

export options:  --dataset ID --dataset-version N --format jsonl|csv|openai-evals --out FILE
status options:  --run ID | --agent NAME

Exit codes: 0 ok, 1 gate failed, 2 usage error, 3 server unreachable or request refused, 4 run cancelled.
`;

class CliError extends Error {
  constructor(exitCode, message) {
    super(message);
    this.exitCode = exitCode;
  }
}
const usage = (message) => new CliError(EXIT.usage, `${message}\nRun 'flywheel --help' for usage.`);

const OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  agent: { type: "string" },
  "agent-module": { type: "string" },
  endpoint: { type: "string" },
  dataset: { type: "string" },
  "dataset-version": { type: "string", default: "latest" },
  label: { type: "string" },
  "candidate-version": { type: "string" },
  repeats: { type: "string", default: "1" },
  concurrency: { type: "string", default: "8" },
  "timeout-ms": { type: "string", default: "30000" },
  baseline: { type: "string" },
  suggestion: { type: "string", multiple: true },
  grader: { type: "string", multiple: true },
  "idempotency-key": { type: "string" },
  "max-regressions": { type: "string", default: "0" },
  "min-improvement": { type: "string", default: "0" },
  "max-errors": { type: "string" },
  accept: { type: "boolean", default: false },
  format: { type: "string", default: "jsonl" },
  out: { type: "string" },
  run: { type: "string" },
};

/** `--grader grd_x` (current version) or `--grader grd_x@3`, as the API takes them. */
function graderRefs(values) {
  return (values.grader ?? []).map((raw) => {
    const match = /^([^@\s]+)(?:@(\d+))?$/.exec(raw);
    if (!match || match[2] === "0") throw usage(`--grader takes ID or ID@VERSION (a version from 1), not '${raw}'.`);
    return match[2] ? { id: match[1], version: Number(match[2]) } : match[1];
  });
}

function wholeNumber(values, name, min) {
  const raw = values[name];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw usage(`--${name} must be a whole number >= ${min}, got '${raw}'`);
  return n;
}

/** A small API client: JSON in and out, retries on 503 and connection failures. */
function apiClient(values, env) {
  const base = (values.url ?? env.FLYWHEEL_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  const key = values.key ?? env.FLYWHEEL_KEY;
  if (!key) throw usage("Give the project's API key with --key or FLYWHEEL_KEY.");
  async function request(method, route, body, { raw = false } = {}) {
    for (let attempt = 1; ; attempt++) {
      const headers = { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) };
      const payload = body ? JSON.stringify(body) : undefined;
      let response;
      try {
        // A streamed export needs a web stream (fetch); everything else is JSON, sent with
        // node:http, which saves the ~45 ms fetch takes to load on its first call.
        response = raw
          ? await fetch(`${base}${route}`, { method, headers, body: payload })
          : await sendJson(method, `${base}${route}`, headers, payload);
      } catch (err) {
        if (attempt < 4) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        throw new CliError(EXIT.server, `Cannot reach Flywheel at ${base}: ${err.cause?.message ?? err.message}`);
      }
      if (response.status === 503 && attempt < 4) {
        await sleep(Number(response.headers.get("retry-after") ?? 1) * 1000);
        continue;
      }
      if (!response.ok) {
        const text = await response.text();
        let message = text;
        try {
          const parsed = JSON.parse(text);
          message = `${parsed.error.code}: ${parsed.error.message}`;
        } catch {}
        throw new CliError(EXIT.server, `${method} ${route} answered ${response.status}: ${message}`);
      }
      return raw ? response : response.json();
    }
  }
  return { request, base };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One keep-alive connection pool per protocol: an eval run posts its answers over a few sockets. */
const pools = new Map();

/** A request with a JSON (or empty) body, answered with what fetch's Response offers the caller. */
async function sendJson(method, url, headers, payload) {
  const target = new URL(url);
  const lib = target.protocol === "https:" ? await import("node:https") : http;
  if (!pools.has(target.protocol)) pools.set(target.protocol, new lib.Agent({ keepAlive: true }));
  const sent = payload === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(payload) };
  const { status, responseHeaders, text } = await new Promise((resolve, reject) => {
    const req = lib.request(target, { method, headers: sent, agent: pools.get(target.protocol) }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode, responseHeaders: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    req.end(payload);
  });
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => responseHeaders[name.toLowerCase()] ?? null },
    text: async () => text,
    json: async () => JSON.parse(text),
  };
}

function progress(stream, label) {
  if (!stream.isTTY) return { update() {}, done() {} };
  return {
    update(completed, total) {
      const width = 30;
      const filled = total ? Math.round((completed / total) * width) : 0;
      stream.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${completed}/${total}`);
    },
    done() {
      stream.write("\n");
    },
  };
}

async function loadAgent(file) {
  let mod;
  try {
    mod = await import(pathToFileURL(path.resolve(file)).href);
  } catch (err) {
    throw usage(`Cannot load --agent-module ${file}: ${err.message}`);
  }
  const fn = typeof mod.default === "function" ? mod.default : mod.run;
  if (typeof fn !== "function") throw usage(`${file} must export a function as default or as 'run'.`);
  return fn;
}

/** Answers per post while the agent is still being called. */
const ANSWER_BATCH = 100;

/** Cases' inputs read per request; the first page comes with the run. */
const INPUT_PAGE = 500;

/**
 * Calls the agent function per (case, repeat), keeping `concurrency` calls in flight, and
 * posts answers in batches while it goes on calling. The first page of cases comes with
 * the run; the rest are read a page at a time beside the calls.
 */
async function answerLocally(api, run, agentFn, concurrency, timeoutMs, bar) {
  const tasks = [];
  const total = run.metrics?.total;
  const readPage = (cursor) => {
    const query = `limit=${INPUT_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    // A server that does not send `inputs` with the run has its first page read too.
    const page = (
      cursor === null && run.inputs
        ? Promise.resolve(run.inputs)
        : api.request(
            "GET",
            `/api/datasets/${encodeURIComponent(run.datasetId)}/versions/${run.datasetVersion}/cases?${query}`,
          )
    ).then((read) => {
      // Runs before any caller awaiting `reading` resumes: the tasks are there when it does.
      for (const c of read.cases) for (let repeat = 0; repeat < run.repeats; repeat++) tasks.push({ c, repeat });
      reading = read.nextCursor ? readPage(read.nextCursor) : null;
    });
    // A failed page fails the command through the worker that awaits it, not as an unhandled rejection.
    page.catch(() => {});
    return page;
  };
  /** The page being read, or null once every case is in `tasks`. */
  let reading = readPage(null);
  let pending = [];
  let done = 0;
  // The first post the server refused (say, the run was cancelled meanwhile). The agent
  // is called no more, and the command fails with it once the calls in flight are done:
  // a refused post never goes unhandled while other calls are still running.
  let refused = null;
  const flush = async () => {
    if (refused || pending.length === 0) return;
    const batch = pending;
    pending = [];
    await api.request("POST", `/api/eval-runs/${run.id}/results`, { answers: batch });
  };
  let flushing = Promise.resolve();
  const post = () => {
    flushing = flushing.then(flush).catch((err) => {
      refused ??= err;
    });
  };
  let next = 0;
  const worker = async () => {
    for (;;) {
      if (refused) return;
      if (next >= tasks.length) {
        if (!reading) return;
        await reading;
        continue;
      }
      const { c, repeat } = tasks[next++];
      const started = performance.now();
      let answer;
      try {
        const output = await withTimeout(agentFn(c.input, { caseId: c.id, repeat }), timeoutMs);
        answer = { caseId: c.id, repeat, answer: output === undefined ? null : output };
      } catch (err) {
        answer = { caseId: c.id, repeat, error: String(err?.message ?? err).slice(0, 2000) };
      }
      answer.latencyMs = performance.now() - started;
      pending.push(answer);
      bar.update(++done, total ?? tasks.length);
      // Once every case is handed out, answers go as they come (each post takes what
      // gathered meanwhile): the run ends soon after its last answer, not a batch later.
      if (pending.length >= ANSWER_BATCH || (next >= tasks.length && !reading)) post();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // Every call is answered; the last answers may still be on their way to the server.
  post();
  return {
    posted: flushing.then(() => {
      if (refused) throw refused;
    }),
  };
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the agent did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

/** How long each progress request may wait for the run's end (the server holds it until then). */
const WAIT_SECONDS = 2;

/**
 * The run once it has ended. The server answers as soon as the run ends, or after
 * WAIT_SECONDS with the progress so far: the end is seen at once, with no polling in
 * between. `posted` is the post of the last answers: the wait goes out beside it (the run
 * ends inside that post), and stops if that post fails.
 */
async function waitForRun(api, runId, bar, posted = Promise.resolve()) {
  let failed = false;
  const waiting = (async () => {
    for (;;) {
      const run = await api.request("GET", `/api/eval-runs/${runId}?wait=${WAIT_SECONDS}`);
      if (failed) return null;
      bar.update(run.metrics.completed, run.metrics.total);
      if (run.status !== "running") return run;
    }
  })();
  // Handled now, so a failure while the post is on its way is not an unhandled rejection; awaited below.
  waiting.catch(() => {});
  try {
    await posted;
  } catch (err) {
    failed = true;
    throw err;
  }
  return waiting;
}

/** Why the gate fails; empty when it passes. */
export function gateReasons(metrics, gate) {
  const reasons = [];
  if (metrics.regressionCount > gate.maxRegressions) {
    reasons.push(
      `${metrics.regressionCount} regression(s), more than --max-regressions ${gate.maxRegressions}: ${metrics.regressed.join(", ")}`,
    );
  }
  const rate = metrics.improvementRate ?? 0;
  if (metrics.improvementRate !== null && rate < gate.minImprovement) {
    reasons.push(`improvement rate ${formatRate(rate)} is below --min-improvement ${formatRate(gate.minImprovement)}`);
  }
  if (gate.maxErrors !== null && metrics.errored.length > gate.maxErrors) {
    reasons.push(
      `${metrics.errored.length} case(s) errored, more than --max-errors ${gate.maxErrors}: ${metrics.errored.join(", ")}`,
    );
  }
  return reasons;
}

const formatRate = (rate) => (rate === null || rate === undefined ? "n/a" : `${(rate * 100).toFixed(1)}%`);

function printRun(out, run) {
  const m = run.metrics;
  const reasonOf = new Map(run.cases.map((c) => [c.caseId, c.reason]));
  const ci = (interval) => (interval ? ` (95% CI ${formatRate(interval.low)}–${formatRate(interval.high)})` : "");
  out.write(`Run ${run.id}: ${run.candidate.label} on ${run.datasetId} v${run.datasetVersion}, ${run.status}\n`);
  out.write(
    `  improvement rate  ${formatRate(m.improvementRate)}${ci(m.improvementRateCI)}  (${m.fixed.length}/${m.failureCaseCount} failure cases pass)\n`,
  );
  out.write(`  regressions       ${m.regressionCount}\n`);
  out.write(`  flaky             ${m.flaky.length}\n`);
  out.write(`  errors            ${m.errored.length}\n`);
  out.write(`  pass rate         ${formatRate(m.passRate)}${ci(m.passRateCI)}  over ${m.completed} answers\n`);
  const judge = run.judgeUsage;
  if (judge) {
    const cost = judge.cost === null ? "" : `, $${judge.cost.toFixed(4)}`;
    out.write(
      `  judge             ${judge.calls} calls (${judge.cachedCalls} from cache), ${judge.inputTokens + judge.outputTokens} tokens${cost}\n`,
    );
  }
  const rows = [
    ...m.improved.map((id) => ["improved", id]),
    ...m.regressed.map((id) => ["regressed", id]),
    ...m.flaky.map((id) => ["flaky", id]),
    ...m.errored.map((id) => ["error", id]),
  ];
  if (rows.length > 0) {
    const width = Math.max(...rows.map(([, id]) => id.length), 4);
    out.write(`\n  ${"change".padEnd(10)} ${"case".padEnd(width)}  reason\n`);
    for (const [kind, id] of rows) {
      const reason = kind === "improved" ? "" : (reasonOf.get(id) ?? "").slice(0, 100);
      out.write(`  ${kind.padEnd(10)} ${id.padEnd(width)}  ${reason}\n`);
    }
  }
}

async function evalCommand(values, env, io) {
  if (!values.agent) throw usage("eval needs --agent NAME.");
  if (!values["agent-module"] === !values.endpoint)
    throw usage("eval needs exactly one of --agent-module FILE or --endpoint URL.");
  const repeats = wholeNumber(values, "repeats", 1);
  const concurrency = wholeNumber(values, "concurrency", 1);
  const timeoutMs = wholeNumber(values, "timeout-ms", 100);
  const maxRegressions = wholeNumber(values, "max-regressions", 0);
  const maxErrors = values["max-errors"] === undefined ? null : wholeNumber(values, "max-errors", 0);
  const minImprovement = Number(values["min-improvement"]);
  if (!(minImprovement >= 0 && minImprovement <= 1)) throw usage("--min-improvement must be a number in [0, 1].");
  const agentFn = values["agent-module"] ? await loadAgent(values["agent-module"]) : null;
  const api = apiClient(values, env);

  const label = values.label ?? (values["agent-module"] ? path.basename(values["agent-module"]) : "candidate");
  const dataset = values.dataset ?? `agent:${values.agent}`;
  // Without the per-case lines: every case of a new run is pending, and the end brings them all.
  // A client-side run comes with its first cases' inputs, so the agent starts on them at once.
  const run = await api.request("POST", `/api/eval-runs?cases=false${agentFn ? `&inputs=${INPUT_PAGE}` : ""}`, {
    agent: values.agent,
    candidate: {
      label,
      version: values["candidate-version"] ?? null,
      endpoint: values.endpoint ?? null,
      suggestionIds: values.suggestion ?? [],
    },
    dataset,
    datasetVersion: values["dataset-version"],
    repeats,
    concurrency: Math.min(concurrency, 64),
    timeoutMs,
    ...(values.grader ? { graders: graderRefs(values) } : {}),
    ...(values.baseline ? { baseline: values.baseline } : {}),
    ...(values["idempotency-key"] ? { idempotencyKey: values["idempotency-key"] } : {}),
  });
  const bar = progress(io.err, `eval ${run.id}`);
  let posted;
  if (agentFn && run.status === "running")
    ({ posted } = await answerLocally(api, run, agentFn, concurrency, timeoutMs, bar));
  const finished = await waitForRun(api, run.id, bar, posted);
  bar.done();

  const reasons = gateReasons(finished.metrics, { maxRegressions, minImprovement, maxErrors });
  if (finished.status !== "completed") reasons.unshift(`the run ended ${finished.status}`);
  const passed = reasons.length === 0;
  if (passed && values.accept) await api.request("POST", `/api/eval-runs/${finished.id}/accept`);
  if (values.json) io.out.write(`${JSON.stringify({ run: finished, gate: { passed, reasons } })}\n`);
  else {
    printRun(io.out, finished);
    io.out.write(passed ? "\nGate passed.\n" : "");
  }
  if (!passed) {
    for (const reason of reasons) io.err.write(`Gate failed: ${reason}\n`);
    return finished.status === "completed" ? EXIT.gateFailed : EXIT.incomplete;
  }
  return EXIT.ok;
}

async function exportCommand(values, env, io) {
  if (!values.dataset) throw usage("export needs --dataset ID (or agent:<name>).");
  const api = apiClient(values, env);
  const route = `/api/datasets/${encodeURIComponent(values.dataset)}/versions/${values["dataset-version"]}/export?format=${encodeURIComponent(values.format)}`;
  const response = await api.request("GET", route, undefined, { raw: true });
  const target = values.out ? createWriteStream(values.out) : io.out;
  await pipeline(Readable.fromWeb(response.body), target, { end: Boolean(values.out) });
  if (values.out) io.err.write(`Wrote ${values.out}\n`);
  return EXIT.ok;
}

async function statusCommand(values, env, io) {
  if (!values.run === !values.agent) throw usage("status needs exactly one of --run ID or --agent NAME.");
  const api = apiClient(values, env);
  if (values.run) {
    const run = await api.request("GET", `/api/eval-runs/${encodeURIComponent(values.run)}`);
    if (values.json) io.out.write(`${JSON.stringify(run)}\n`);
    else printRun(io.out, run);
    return EXIT.ok;
  }
  const { iterations } = await api.request("GET", `/api/agents/${encodeURIComponent(values.agent)}/iterations`);
  if (values.json) {
    io.out.write(`${JSON.stringify({ agent: values.agent, iterations })}\n`);
    return EXIT.ok;
  }
  io.out.write(`${"run".padEnd(26)} ${"candidate".padEnd(16)} ver  status     improve  regr  flaky  pass\n`);
  for (const it of iterations) {
    io.out.write(
      `${(it.id + (it.accepted ? "*" : "")).padEnd(26)} ${it.candidate.label.slice(0, 16).padEnd(16)} ${String(it.datasetVersion).padEnd(4)} ${it.status.padEnd(10)} ${formatRate(it.improvementRate).padStart(7)}  ${String(it.regressionCount ?? "-").padStart(4)}  ${String(it.flakyCount ?? "-").padStart(5)}  ${formatRate(it.passRate)}\n`,
    );
  }
  io.out.write("* accepted (the baseline of later runs)\n");
  return EXIT.ok;
}

export async function main(argv, env = process.env, io = { out: process.stdout, err: process.stderr }) {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw usage(err.message);
    }
    const { values, positionals } = parsed;
    const command = positionals[0];
    if (values.help || !command) {
      io.out.write(HELP);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    if (command === "eval") return await evalCommand(values, env, io);
    if (command === "export") return await exportCommand(values, env, io);
    if (command === "status") return await statusCommand(values, env, io);
    throw usage(`Unknown command '${command}'.`);
  } catch (err) {
    if (err instanceof CliError) {
      io.err.write(`flywheel: ${err.message}\n`);
      return err.exitCode;
    }
    io.err.write(`flywheel: ${err?.stack ?? err}\n`);
    return EXIT.server;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href || process.argv[1]?.endsWith("/flywheel")) {
  const code = await main(process.argv.slice(2));
  // Exit once the output is written, not when the event loop empties: an agent call that
  // timed out may still be running (its module's timers keep the process alive), and the
  // command has its answer.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
