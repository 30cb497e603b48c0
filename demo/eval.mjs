/**
 * @module The demo's improvement cycle: what fails and the suggested fixes, then an eval
 * run of v1 on the regression dataset accepted as the baseline, then v2 through the
 * `flywheel eval` command line as CI would run it, whose gate catches the one guard case
 * v2 breaks. The urgent ticket is added as a guard case first: v1 answers it well, v2 does
 * not (see support-agent.mjs), and no ticket the demo sent is urgent.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { candidate } from "./candidate.mjs";
import { AGENT } from "./graders.mjs";
import { call, pct, say, until } from "./http.mjs";
import { expectedReply } from "./support-agent.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DATASET = `agent:${AGENT}`;

/** A customer's urgent status question: v1 answers it, v2 escalates it with an action the schema refuses. */
export const URGENT_TICKET = {
  ticket: "T9001",
  customer: "Hana",
  intent: "status",
  orderId: "A1100",
  message: "Hi, this is Hana. Where is my order A1100? It is urgent.",
};

/** The graders v2 was built to satisfy: its suggestions are marked tried by the run. */
const FIXED_BY_V2 = [
  "order id passed as A + 4 digits",
  "cancellations use cancel_order, never issue_refund",
  "no refund outside the 30-day window",
  "answers within 1.5 s",
];

export async function showFailureModes(ctx) {
  const found = await call(ctx, "GET", `/api/agents/${AGENT}/failure-modes?datasetVersion=latest`);
  say(`${found.totalFailures} failing scores in ${found.modes.length} modes (GET /api/agents/${AGENT}/failure-modes):`);
  ctx.suggestions = {};
  for (const mode of found.modes) {
    const fix = mode.suggestions?.find((s) => s.source === "grader_hint") ?? mode.suggestions?.[0];
    const proposed = mode.suggestions?.find((s) => s.source === "judge");
    say(`  ${String(mode.count).padStart(4)}  ${mode.graderName ?? mode.graderId}: ${mode.exampleReason.slice(0, 70)}`);
    if (fix) say(`        fix: ${fix.title.slice(0, 110)} (${fix.id})`);
    if (proposed) say(`        prompt change (judge): ${proposed.detail.change.slice(0, 110)} (${proposed.id})`);
    if (fix && FIXED_BY_V2.includes(mode.graderName)) ctx.suggestions[mode.graderName] = fix.id;
  }
  const asked = found.judgeProposals;
  if (asked) {
    say(
      `the judge endpoint proposed ${asked.proposed} prompt change(s) of ${asked.asked} asked${asked.error ? ` (${asked.error})` : ""}; the rest keep the grader's hint`,
    );
  }
}

export async function evaluate(ctx) {
  const added = await call(ctx, "POST", `/api/datasets/${DATASET}/cases`, {
    input: URGENT_TICKET,
    expected: expectedReply(URGENT_TICKET),
    guard: true,
  });
  say(`added the urgent ticket as a guard case: dataset version ${added.version}`);
  // The rule and metric graders, named: the run's figures then do not depend on whether
  // this version of Flywheel runs LLM judges inside eval runs. v2's run takes the baseline's.
  const graders = Object.keys(ctx.graderNames).filter((id) => id !== ctx.judgeId);
  say(`graders of both runs: ${graders.map((id) => ctx.graderNames[id]).join(", ")}`);

  const baseline = await runInProcess(ctx, "v1", added.version, graders);
  await call(ctx, "POST", `/api/eval-runs/${baseline.id}/accept`);
  const m = baseline.metrics;
  say(
    `v1 (${baseline.id}): ${m.fixed.length} of ${m.failureCaseCount} failure cases pass, pass rate ${pct(m.passRate)}; accepted as the baseline`,
  );

  const args = ["eval", "--agent", AGENT, "--agent-module", "demo/candidate-v2.mjs", "--label", "support-bot v2"];
  args.push("--candidate-version", "v2", "--dataset-version", String(added.version), "--json");
  for (const id of Object.values(ctx.suggestions ?? {})) args.push("--suggestion", id);
  args.push("--max-regressions", "0", "--min-improvement", "0.5");
  say(`v2 through the CI gate: npx flywheel ${args.join(" ")}`);
  const cli = await flywheelCli(ctx, args);
  if (!cli.stdout.trim())
    throw new Error(`flywheel eval exited ${cli.code} without a result: ${cli.stderr.slice(0, 300)}`);
  const { run, gate } = JSON.parse(cli.stdout);
  ctx.evalRunId = run.id;
  const v2 = run.metrics;
  say(`v2 (${run.id}), against the accepted v1 run:`);
  say(
    `  improvement rate  ${pct(v2.improvementRate)} (${v2.fixed.length} of ${v2.failureCaseCount} failure cases pass)`,
  );
  say(`  improved          ${v2.improved.length} cases that failed with v1`);
  say(`  regressions       ${v2.regressionCount}`);
  say(`  flaky             ${v2.flaky.length}`);
  say(`  errors            ${v2.errored.length}`);
  for (const id of v2.regressed) {
    const broken = run.cases.find((c) => c.caseId === id);
    say(`  regressed: ${id} ${broken?.guard ? "(guard case) " : ""}${(broken?.reason ?? "").slice(0, 110)}`);
  }
  say(`flywheel exit code: ${cli.code} (${gate.passed ? "gate passed" : "gate failed"})`);
  for (const reason of gate.reasons) say(`  ${reason}`);
}

/** v1's answers posted by this process, as the CLI would, with the graders named. */
async function runInProcess(ctx, version, datasetVersion, graders) {
  const run = await call(ctx, "POST", "/api/eval-runs", {
    agent: AGENT,
    candidate: { label: `support-bot ${version}`, version },
    dataset: DATASET,
    datasetVersion,
    graders,
  });
  const answer = candidate(version);
  const { cases } = await call(ctx, "GET", `/api/datasets/${DATASET}/versions/${datasetVersion}/cases?limit=500`);
  const answers = await Promise.all(
    cases.map(async (c) => {
      const started = performance.now();
      return { caseId: c.id, repeat: 0, answer: await answer(c.input), latencyMs: performance.now() - started };
    }),
  );
  await call(ctx, "POST", `/api/eval-runs/${run.id}/results`, { answers });
  return until(async () => {
    const done = await call(ctx, "GET", `/api/eval-runs/${run.id}?cases=false`);
    return done.status === "running" ? undefined : done;
  }, `eval run ${run.id}`);
}

function flywheelCli(ctx, args) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/flywheel.mjs", ...args],
      { cwd: root, env: { ...process.env, FLYWHEEL_URL: ctx.url, FLYWHEEL_KEY: ctx.apiKey } },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
