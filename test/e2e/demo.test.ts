/**
 * `npm run demo` against the running product: every step completes, the regression
 * dataset fills, the judge's disputes are reviewed, and v2's eval run fails the CI gate.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ORDERS, refundEligible, SMALL_REFUND_LIMIT, tickets, URGENT } from "../../demo/support-agent.mjs";
import { flywheel } from "./client";

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * What the demo's refund tickets were built to be. A ticket whose order id is typed
 * "#a1234" never reaches its order (v1's wrong argument format), so only the others
 * can be refunded or turned down; outside the 30-day window, v1 refunds small amounts
 * (a planted failure) and turns the rest down as the policy says. The fake judge fails
 * both (the second is its planted mistake); the linked rule fails only the first.
 */
function refundTicketsAsBuilt() {
  const refunds = tickets(300).filter((t) => t.intent === "refund");
  const outsidePolicy = refunds.filter((t) => !t.message.includes("#") && !refundEligible(ORDERS.get(t.orderId)!));
  const turnedDownAsRequired = outsidePolicy.filter((t) => ORDERS.get(t.orderId)!.amount >= SMALL_REFUND_LIMIT);
  return { judged: refunds.length, judgeFails: outsidePolicy.length, disputed: turnedDownAsRequired.length };
}

/**
 * What v2 was built to do on the dataset the eval runs read: it fixes every planted
 * mode but the malformed JSON of a name with a quote, so a failure case passes unless
 * its customer's name holds a quote; the one guard case it breaks is the urgent ticket,
 * the only case whose message says "urgent" (no ticket the demo sends does).
 */
async function v2AsBuilt(url: string, apiKey: string, version: string) {
  const res = await fetch(`${url}/api/datasets/agent:support-bot/versions/${version}/cases?limit=500`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const { cases } = (await res.json()) as { cases: { guard: boolean; input: { customer: string; message: string } }[] };
  const failureCases = cases.filter((c) => !c.guard);
  return {
    failureCases: failureCases.length,
    v2Passes: failureCases.filter((c) => !c.input.customer.includes('"')).length,
    urgentGuards: cases.filter((c) => c.guard && URGENT.test(c.input.message)).length,
  };
}

describe("npm run demo", () => {
  it("traces v1, grades it with rules and a judge, reviews a dispute, gates v2 with an eval run and says where to look", async () => {
    const { url, adminToken } = flywheel();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["scripts/demo.mjs", "--url", url, "--admin-token", adminToken],
      { cwd: root },
    );

    expect(stdout).toContain(`Using Flywheel at ${url}`);
    expect(stdout).toMatch(/client: 300 traces stored, 0 duplicates, 0 dropped/);
    // Every planted failure mode is caught by its grader.
    for (const grader of [
      "reply is JSON with answer and action",
      "order id passed as A \\+ 4 digits",
      "cancellations use cancel_order, never issue_refund",
      "no refund outside the 30-day window",
      "answers within 1.5 s",
    ]) {
      expect(stdout).toMatch(new RegExp(`^ +[1-9]\\d*  ${grader}$`, "m"));
    }
    expect(stdout).toMatch(/latest: [1-9]\d* failing cases/);
    // The largest modes get a prompt change from the (fake) judge endpoint, made from their reason.
    expect(stdout).toMatch(/^ +prompt change \(judge\): Before you answer, make sure this does not happen: ".+/m);
    expect(stdout).toMatch(/the judge endpoint proposed [1-5] prompt change\(s\) of [1-5] asked;/);

    // The judge: every refund ticket judged, the ones outside the policy failed, tokens and cost counted.
    const expected = refundTicketsAsBuilt();
    expect(stdout).toContain(
      `the judge judged ${expected.judged} refund tickets: ${expected.judged - expected.judgeFails} pass, ${expected.judgeFails} fail, 0 error`,
    );
    expect(stdout).toMatch(
      /window #1: [1-9]\d* traces, [1-9]\d* calls \(\d+ cached\), [1-9]\d* input \+ [1-9]\d* output tokens, \$0\.\d{5}/,
    );
    // Disputed: the refunds v1 turned down as the policy requires, which the rule passes and the judge fails.
    expect(stdout).toContain(`${expected.disputed} traces disputed`);
    expect(stdout).toMatch(/review queue \(GET \/api\/review-queue\): \d+ pending/);
    // The reviewer passes one: its final verdict flips and it leaves the regression dataset.
    expect(stdout).toMatch(/final verdict of \S+: fail -> pass/);
    expect(stdout).toContain("regression dataset: the trace's failure case is removed");
    expect(stdout).toMatch(/with reviewers: refund policy followed \(LLM judge\) v1: 0 of 1 agree/);
    const linkedPairLine = /linked pair "refunds follow the 30-day policy": \d+ of \d+ agree/;
    expect(stdout).toMatch(linkedPairLine);

    // The failure modes come with their suggested fixes: every ticket whose id is typed "#a1234" is one.
    const typedWithHash = tickets(300).filter((t) => t.message.includes("#")).length;
    expect(stdout).toMatch(
      new RegExp(`^ +${typedWithHash}  order id passed as A \\+ 4 digits: .*\\n +fix: .+\\(sug_\\w+\\)$`, "m"),
    );

    // v2 through the CI gate: the improvement rate v2 was built for, the one broken guard case, a failed gate.
    expect(tickets(300).some((t) => URGENT.test(t.message))).toBe(false);
    const apiKey = stdout.match(/API key (fw_\S+)/)![1]!;
    const version = stdout.match(/added the urgent ticket as a guard case: dataset version (\d+)/)![1]!;
    const built = await v2AsBuilt(url, apiKey, version);
    expect(built.urgentGuards).toBe(1);
    expect(built.v2Passes).toBeLessThan(built.failureCases);
    const rate = `${Math.round((built.v2Passes / built.failureCases) * 100)}%`;
    expect(stdout).toContain(
      `improvement rate  ${rate} (${built.v2Passes} of ${built.failureCases} failure cases pass)`,
    );
    expect(stdout).toMatch(/^ +regressions {7}1$/m);
    expect(stdout).toMatch(/^ +flaky {13}0$/m);
    expect(stdout).toMatch(/regressed: case_\w+ \(guard case\) .*must be one of/);
    expect(stdout).toContain("flywheel exit code: 1 (gate failed)");
    expect(stdout).toContain("1 regression(s), more than --max-regressions 0");
    expect(stdout).toContain(`iterations:    ${url}/#/iterations/support-bot`);
    expect(stdout).toMatch(new RegExp(`v2's eval run: ${url.replace(/\./g, "\\.")}/#/eval-run/run_\\w+`));
    expect(stdout).toContain(`open first:   ${url}/#key=fw_`);
    expect(stdout).toContain(`review queue:  ${url}/#/review?agent=support-bot`);
  }, 240_000);
});
