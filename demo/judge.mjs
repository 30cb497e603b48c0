/**
 * @module The demo's LLM judge and human review. A local fake judge (test/fake-judge)
 * stands in for the LLM, so the demo stays offline and every run gives the same verdicts.
 * It judges refund tickets against the refund policy, the criterion the rule "no refund
 * outside the 30-day window" also checks; the two are linked, so where they disagree the
 * trace is disputed and queued for review. The fake has one planted mistake (it fails
 * every refund turned down, even when the policy requires it), which a reviewer corrects.
 */
import { FIX_REQUEST, proposeFix, startFakeJudge } from "../test/fake-judge/server.mjs";
import { REFUND_WINDOW_DAYS } from "./support-agent.mjs";
import { AGENT } from "./graders.mjs";
import { call, pct, say } from "./http.mjs";

export const JUDGE_NAME = "refund policy followed (LLM judge)";
/** The rule that checks the same criterion as the judge. */
export const LINKED_RULE_NAME = "no refund outside the 30-day window";
export const REVIEWER = "demo-reviewer";

/**
 * How the fake judge decides, first match wins, over the prompt Flywheel sends it (the
 * rubric, the ticket, the reply and the tool calls, where `lookup_order` shows the
 * order's state and days since delivery). Shown in the demo's output as `explained`.
 */
const FAKE_JUDGE_RULES = [
  {
    explained: "a request for a fix to a failure mode: an instruction made from the grader's reason and tool",
    match: FIX_REQUEST,
    answer: proposeFix,
  },
  {
    explained: `a reply promising a refund ("is on its way") for an order not delivered, or delivered more than ${REFUND_WINDOW_DAYS} days ago: fail`,
    match:
      /^(?=[\s\S]*is on its way)(?=[\s\S]*(?:"state":"(?:processing|shipped)"|"daysSinceDelivery":(?:3[1-9]|[4-9]\d)\b))/,
    answer: { verdict: "fail", reason: `Refunds an order outside the ${REFUND_WINDOW_DAYS}-day refund policy.` },
  },
  {
    explained:
      'a reply turning a refund down ("cannot refund"): fail, even when the policy requires it (its planted mistake)',
    match: /cannot refund/,
    answer: { verdict: "fail", reason: "Turns the customer's refund down instead of helping." },
  },
];
const FAKE_JUDGE_DEFAULT = { verdict: "pass", reason: "Follows the refund policy and helps the customer." };

function judgeGrader(baseUrl) {
  return {
    name: JUDGE_NAME,
    definition: {
      kind: "judge",
      rubric: {
        criteria: `The reply follows the refund policy (a refund only for an order delivered at most ${REFUND_WINDOW_DAYS} days ago) and is polite and helpful.`,
      },
      model: "fake-judge",
      baseUrl,
      sees: ["input", "output", "tool_calls"],
      filter: { metadataEquals: { path: "intent", value: "refund" } },
      // Priced like a small hosted model, so the usage report shows what judging would cost.
      pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
    },
  };
}

/**
 * Why the judge steps cannot run: the fake judge listens on this machine, which a
 * deployed Flywheel cannot reach (its windows would wait for the judge forever).
 */
export function judgeUnreachable(ctx) {
  const host = new URL(ctx.url).hostname;
  return ["127.0.0.1", "localhost", "[::1]"].includes(host)
    ? undefined
    : `the fake judge runs on this machine, which Flywheel at ${host} cannot reach`;
}

/** Starts the fake judge in this process and creates the judge grader, linked to the refund rule. */
export async function addJudge(ctx) {
  ctx.judge = await startFakeJudge({
    rules: FAKE_JUDGE_RULES.map(({ match, answer }) => ({ match, answer })),
    defaultAnswer: FAKE_JUDGE_DEFAULT,
  });
  say(`a fake OpenAI-compatible judge listens at ${ctx.judge.url} (no key, no network); it answers:`);
  for (const rule of FAKE_JUDGE_RULES) say(`  - ${rule.explained}`);
  say("  - anything else: pass");
  const grader = judgeGrader(ctx.judge.url);
  const created = await call(ctx, "POST", "/api/graders", { agent: AGENT, ...grader });
  ctx.graderNames[created.id] = grader.name;
  ctx.judgeId = created.id;
  say(`${created.id}  ${grader.name}  (judge: refund tickets, sees ${grader.definition.sees.join(", ")})`);
  const ruleId = Object.keys(ctx.graderNames).find((id) => ctx.graderNames[id] === LINKED_RULE_NAME);
  const link = await call(ctx, "POST", `/api/agents/${AGENT}/grader-links`, {
    graderA: ruleId,
    graderB: created.id,
    criterion: "refunds follow the 30-day policy",
  });
  say(`linked with the rule "${LINKED_RULE_NAME}" (${link.id}): where they disagree, the trace is disputed`);
}

/** The judge's verdicts, tokens and cost per window, and the traces it disputes with the rule. */
export async function showJudge(ctx) {
  const { windows } = await call(ctx, "GET", `/api/agents/${AGENT}/windows?limit=100`);
  const totals = { pass: 0, fail: 0, error: 0 };
  for (const w of windows) {
    for (const g of w.rollup?.perGraderVersion ?? []) {
      if (g.graderId !== ctx.judgeId) continue;
      for (const k of Object.keys(totals)) totals[k] += g[k];
    }
  }
  const judged = totals.pass + totals.fail + totals.error;
  say(`the judge judged ${judged} refund tickets: ${totals.pass} pass, ${totals.fail} fail, ${totals.error} error`);

  const seqOf = new Map(windows.map((w) => [w.id, w.seq]));
  const usage = await call(ctx, "GET", `/api/agents/${AGENT}/judge-usage`);
  say("judge usage per window (GET /api/agents/support-bot/judge-usage):");
  for (const u of [...usage.windows].sort((a, b) => (seqOf.get(a.windowId) ?? 0) - (seqOf.get(b.windowId) ?? 0))) {
    const cost = u.cost === null ? "cost n/a" : `$${u.cost.toFixed(5)}`;
    say(
      `  window #${seqOf.get(u.windowId) ?? "?"}: ${u.judgedTraces} traces, ${u.calls} calls (${u.cachedCalls} cached), ${u.inputTokens} input + ${u.outputTokens} output tokens, ${cost}`,
    );
  }

  const disputed = await call(ctx, "GET", `/api/review-queue?agent=${AGENT}&reason=disputed&limit=100`);
  ctx.disputed = disputed.items;
  say(`${disputed.items.length} traces disputed, the judge and the linked rule disagreeing, each queued for review:`);
  say("  refunds turned down as the policy requires, which the rule passes and the judge's mistake fails, e.g.");
  const example = disputed.items[0];
  if (example) {
    say(`  trace ${example.traceId}: ${example.detail}`);
    say(`  reply: ${String(example.trace?.output ?? "").slice(0, 110)}`);
  }
}

/** The review queue, one reviewer's verdict and the final verdict it changes, then agreement. */
export async function review(ctx) {
  const queue = await call(ctx, "GET", `/api/review-queue?agent=${AGENT}&limit=100`);
  const byReason = {};
  for (const item of queue.items) byReason[item.reason] = (byReason[item.reason] ?? 0) + 1;
  const reasons = Object.entries(byReason).map(([reason, n]) => `${n} ${reason}`);
  say(`review queue (GET /api/review-queue): ${queue.items.length} pending (${reasons.join(", ") || "none"})`);

  // A disputed trace that only the judge fails: the reviewer's verdict decides it.
  const item = (ctx.disputed ?? []).find((i) =>
    i.finalVerdict?.basis.filter((b) => b.counted && b.verdict === "fail").every((b) => b.kind === "judge"),
  );
  if (!item) {
    say("no disputed trace that only the judge fails; nothing to review");
    return;
  }
  ctx.reviewedTraceId = item.traceId;
  say(`reviewing trace ${item.traceId}:`);
  const input = item.trace?.input;
  say(`  ticket: ${String(input?.message ?? JSON.stringify(input)).slice(0, 100)}`);
  say(`  reply:  ${String(item.trace?.output ?? "").slice(0, 100)}`);
  for (const s of item.scores.filter(
    (s) => s.graderId === ctx.judgeId || ctx.graderNames[s.graderId] === LINKED_RULE_NAME,
  )) {
    say(`  ${s.verdict.padEnd(5)} ${ctx.graderNames[s.graderId] ?? s.graderId}: ${s.reason.slice(0, 80)}`);
  }
  const note = `The order is outside the ${REFUND_WINDOW_DAYS}-day window: turning the refund down is what the policy requires.`;
  const result = await call(ctx, "POST", `/api/review-queue/${item.id}/verdict`, {
    verdict: "pass",
    reviewer: REVIEWER,
    note,
  });
  say(`${REVIEWER} says pass: "${note}"`);
  const final = result.finalVerdict;
  if (final) say(`final verdict of ${item.traceId}: ${final.before ?? "none"} -> ${final.verdict} (${final.reason})`);
  say(
    `regression dataset: ${result.datasetChange === "removed" ? "the trace's failure case is removed" : result.datasetChange === "added" ? "the trace becomes a case" : "unchanged"}`,
  );

  const agreement = await call(ctx, "GET", `/api/agents/${AGENT}/agreement`);
  say("agreement (GET /api/agents/support-bot/agreement):");
  for (const g of agreement.withHumans) {
    say(
      `  with reviewers: ${ctx.graderNames[g.graderId] ?? g.graderId} v${g.graderVersion}: ${g.agree} of ${g.n} agree (${pct(g.percentAgreement)})`,
    );
  }
  for (const p of agreement.linkedPairs) {
    const kappa = p.kappa === null ? "n/a" : p.kappa.toFixed(2);
    say(
      `  linked pair "${p.criterion}": ${p.agree} of ${p.n} agree (${pct(p.percentAgreement)}, 95% CI ${pct(p.percentAgreementCI?.low)} to ${pct(p.percentAgreementCI?.high)}), kappa ${kappa}`,
    );
  }
}
