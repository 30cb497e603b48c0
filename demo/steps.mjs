/**
 * @module The demo's steps, in order. Each takes the shared context (`ctx`: the server's
 * address and admin token, then what earlier steps made), does one thing over the public
 * API, says what happened, and returns. Later parts of the loop slot in as more steps; a
 * step not ready says why in `pending`, one that cannot run here says why in `skipWhen(ctx)`.
 */
import { Flywheel } from "../client/index.mjs";
import { AGENT, GRADERS } from "./graders.mjs";
import { call, pct, say, until } from "./http.mjs";
import { evaluate, showFailureModes } from "./eval.mjs";
import { addJudge, judgeUnreachable, review, showJudge } from "./judge.mjs";
import { createSupportAgent, tickets } from "./support-agent.mjs";

const TICKETS = 300;
const WINDOW_TRACES = 50;
const CONCURRENCY = 25;

export const steps = [
  { title: "Create a project", run: createProject },
  { title: "Create graders, one per failure mode", run: createGraders },
  // Before the traces are sent: a grader judges the windows graded after it exists.
  {
    title: "Add an LLM judge for the refund policy, linked with its rule",
    run: addJudge,
    skipWhen: judgeUnreachable,
  },
  { title: "Set when a grade window closes", run: configureWindow },
  { title: `Run ${AGENT} v1 on ${TICKETS} tickets, traced with the client`, run: (ctx) => runAgent(ctx, "v1") },
  { title: "Wait for the windows to be graded", run: gradeWindows },
  { title: "Watch the regression dataset fill", run: showDataset },
  { title: "What the LLM judge said, and what it cost", run: showJudge, skipWhen: judgeUnreachable },
  { title: "Review a disputed trace", run: review, skipWhen: judgeUnreachable },
  { title: "What fails, and the suggested fixes", run: showFailureModes },
  { title: "Evaluate v2 on the regression dataset, v1 as the baseline", run: evaluate },
  { title: "Where to look", run: whereToLook },
];

async function createProject(ctx) {
  const project = await call(
    ctx,
    "POST",
    "/api/projects",
    { name: `demo ${new Date().toISOString()}` },
    ctx.adminToken,
  );
  ctx.projectId = project.id;
  ctx.apiKey = project.apiKey;
  say(`project ${project.id}, API key ${project.apiKey}`);
}

async function createGraders(ctx) {
  ctx.graderNames = {};
  for (const grader of GRADERS) {
    const created = await call(ctx, "POST", "/api/graders", { agent: AGENT, ...grader });
    ctx.graderNames[created.id] = grader.name;
    say(
      `${created.id}  ${grader.name}  (${grader.definition.kind}: ${grader.definition.check ?? grader.definition.metric})`,
    );
  }
}

async function configureWindow(ctx) {
  const status = await call(ctx, "PUT", `/api/agents/${AGENT}/window`, { maxTraces: WINDOW_TRACES, maxAgeMs: 60_000 });
  say(
    `a window is graded at ${status.settings.maxTraces} traces or ${status.settings.maxAgeMs / 1000} s, whichever first`,
  );
}

async function runAgent(ctx, version) {
  const flywheel = new Flywheel({
    url: ctx.url,
    apiKey: ctx.apiKey,
    onDrop: (event) => say(`dropped: ${event.reason}`),
  });
  const agent = createSupportAgent(flywheel, version);
  const queue = tickets(TICKETS);
  const replies = [];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let ticket = queue.shift(); ticket; ticket = queue.shift()) replies.push(await agent(ticket));
    }),
  );
  await flywheel.shutdown();
  const stats = flywheel.stats();
  ctx.sent = (ctx.sent ?? 0) + stats.sent + stats.duplicates;
  say(`${replies.length} tickets answered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(
    `client: ${stats.sent} traces stored, ${stats.duplicates} duplicates, ${stats.dropped} dropped, ${stats.retries} retries`,
  );
  say(`e.g. ${replies.find((r) => r.includes("refund"))}`);
}

async function gradeWindows(ctx) {
  // Traces reach the agent's window shortly after they are stored; close the last,
  // partial window once every trace is in one, rather than waiting for its age limit.
  await until(async () => {
    const [status, graded] = await Promise.all([
      call(ctx, "GET", `/api/agents/${AGENT}/window`),
      call(ctx, "GET", `/api/agents/${AGENT}/windows?limit=100`),
    ]);
    const inWindows = graded.windows.reduce((n, w) => n + (w.traceCount ?? 0), 0) + (status.open?.traceCount ?? 0);
    return inWindows >= ctx.sent && status.pending.length === 0;
  }, "every trace to join a window");
  const closed = await call(ctx, "POST", `/api/agents/${AGENT}/window/close`);
  if (closed.closedWindowId) say(`closed the last, partial window ${closed.closedWindowId} early`);
  const { windows } = await call(ctx, "GET", `/api/agents/${AGENT}/windows?limit=100`);
  for (const w of [...windows].reverse()) {
    const ci = w.rollup?.passRateCI;
    const interval = ci ? ` (95% CI ${pct(ci.low)} to ${pct(ci.high)})` : "";
    say(`window #${w.seq}: ${w.traceCount} traces, ${w.passCount} passed every grader: ${pct(w.passRate)}${interval}`);
  }
  say("failures per grader, over all windows:");
  const failures = {};
  for (const w of windows) {
    for (const g of w.rollup?.perGraderVersion ?? []) failures[g.graderId] = (failures[g.graderId] ?? 0) + g.fail;
  }
  for (const [id, count] of Object.entries(failures))
    say(`  ${String(count).padStart(4)}  ${ctx.graderNames[id] ?? id}`);
}

async function showDataset(ctx) {
  const dataset = `agent:${AGENT}`;
  const { versions } = await until(
    () => call(ctx, "GET", `/api/datasets/${dataset}/versions`).catch(() => undefined),
    "the regression dataset",
  );
  for (const v of [...versions].reverse()) {
    say(`version ${v.version}: ${v.caseCount} cases (+${v.addedCount}, ${v.changedCount} changed) ${v.summary ?? ""}`);
  }
  const { cases } = await call(ctx, "GET", `/api/datasets/${dataset}/versions/latest/cases?limit=500`);
  const guards = cases.filter((c) => c.guard).length;
  say(
    `latest: ${cases.length - guards} failing cases and ${guards} guard cases (passing traces kept to catch regressions)`,
  );
  for (const c of cases.filter((c) => !c.guard).slice(0, 3)) {
    say(`  ${JSON.stringify(c.input).slice(0, 70)}  <- ${c.failure?.reason?.slice(0, 60) ?? ""}`);
  }
}

async function whereToLook(ctx) {
  const agent = encodeURIComponent(AGENT);
  // The site keeps the key for the tab (sessionStorage) and takes a `#key=` fragment out
  // of the address as it reads it, so the page links below can be shared without the key.
  say(`open first:   ${ctx.url}/#key=${ctx.apiKey}&agent=${agent}`);
  say("              (the site keeps the key for that tab and removes it from the address)");
  say("then, in that tab:");
  say(`  overview:      ${ctx.url}/#/`);
  say(`  agent page:    ${ctx.url}/#/agent/${agent}`);
  say(`  review queue:  ${ctx.url}/#/review?agent=${agent}`);
  if (ctx.reviewedTraceId) say(`  reviewed trace: ${ctx.url}/#/trace/${encodeURIComponent(ctx.reviewedTraceId)}`);
  say(`  iterations:    ${ctx.url}/#/iterations/${agent}`);
  if (ctx.evalRunId) say(`  v2's eval run: ${ctx.url}/#/eval-run/${encodeURIComponent(ctx.evalRunId)}`);
  say(`traces:       curl -H "Authorization: Bearer ${ctx.apiKey}" "${ctx.url}/api/traces?agent=${AGENT}"`);
  say(
    `dataset:      curl -H "Authorization: Bearer ${ctx.apiKey}" "${ctx.url}/api/datasets/agent:${AGENT}/versions/latest/export?format=jsonl"`,
  );
  say(`API reference: ${ctx.url}/reference/`);
}
