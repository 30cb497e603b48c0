// @ts-check
/**
 * @module Drawing the review and judge data shaped by `review-model.js`: a trace's final
 * verdict with every score behind it (counted or not, and why), agreement and calibration
 * per grader version, and judge tokens and cost per window (fetched for the agent page by
 * `agentReviewSections`). Every value is text.
 */
import { api, emptyState, enc, h, textBlock } from "./dom.js";
import { agreementRows, formatCost, judgeUsageView } from "./review-model.js";
import { formatPercent } from "./trend-model.js";

/** @param {string | null} note why a score did not count, when the server says */
const notCounted = (note) => (note?.includes("not counted") ? note : `not counted${note ? ` (${note})` : ""}`);

/**
 * The final verdict line and the table of scores behind it.
 * @param {ReturnType<typeof import("./review-model.js").judgementView>} j
 */
export function finalVerdictSection(j) {
  if (j.verdict === null)
    return emptyState("No final verdict yet.", "It is decided when the trace's window is graded.");
  return h(
    "div",
    { class: "final-verdict", "data-verdict": j.verdict },
    h(
      "p",
      { class: "final-verdict-line" },
      "Final verdict ",
      h("strong", { class: `verdict-${j.verdict}` }, j.verdict),
      j.policy ? ` under policy ${j.policy}` : "",
      j.reason ? `: ${j.reason}` : "",
      j.disputed ? h("span", { class: "disputed" }, " · disputed") : null,
    ),
    j.disputes.length
      ? h(
          "ul",
          { class: "disputes" },
          j.disputes.map((d) => h("li", {}, d)),
        )
      : null,
    h(
      "table",
      { class: "basis" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["score", "kind", "verdict", "counted", "reason"].map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        j.basis.map((b) =>
          h(
            "tr",
            { class: b.counted ? "counted" : "not-counted", "data-kind": b.kind },
            h("td", {}, b.who),
            h("td", {}, b.kind),
            h("td", { class: `verdict-${b.verdict}` }, b.verdict),
            h("td", {}, b.counted ? "counted" : notCounted(b.note)),
            h("td", {}, textBlock(b.reason, "reason"), b.judge ? h("p", { class: "dim judge-detail" }, b.judge) : null),
          ),
        ),
      ),
    ),
  );
}

/**
 * Scores listed compactly (a review card's side panel): verdict, grader, reason, judge details.
 * @param {ReturnType<typeof import("./review-model.js").judgementView>} j
 */
export function scoreList(j) {
  if (j.scores.length === 0 && j.humans.length === 0) return h("p", { class: "dim" }, "no scores yet");
  return h(
    "ul",
    { class: "score-list" },
    j.scores.map((s) =>
      h(
        "li",
        {},
        h("span", { class: `verdict-${s.verdict}` }, s.verdict),
        ` ${s.who}${s.kind === "judge" ? " (judge)" : ""}${s.score === null ? "" : `, score ${s.score}`}: `,
        textBlock(s.reason, "reason"),
        s.judge ? h("p", { class: "dim judge-detail" }, s.judge) : null,
      ),
    ),
    j.humans.map((hs) =>
      h(
        "li",
        {},
        h("span", { class: `verdict-${hs.verdict}` }, hs.verdict),
        ` reviewer ${hs.reviewer}${hs.note ? ": " : ""}`,
        hs.note ? textBlock(hs.note, "reason") : null,
      ),
    ),
  );
}

/** @param {{ low: number, high: number } | null} ci @param {(v: number) => string} f */
const interval = (ci, f) => (ci && Number.isFinite(ci.low) ? ` [${f(ci.low)}–${f(ci.high)}]` : "");

/**
 * Agreement of each grader version with human verdicts, and what calibration makes of each judge.
 * @param {ReturnType<typeof import("./review-model.js").agreementRows>} rows
 */
export function agreementSection(rows) {
  if (rows.length === 0)
    return emptyState(
      "No human verdicts yet.",
      "Agreement with reviewers, and judge calibration, appear once reviewers give verdicts in the review queue.",
    );
  const uncalibrated = rows.filter((r) => r.calibration === "uncalibrated");
  return h(
    "div",
    {},
    uncalibrated.length
      ? h(
          "p",
          { class: "notice" },
          `${uncalibrated.map((r) => r.grader).join(", ")} ${uncalibrated.length === 1 ? "is" : "are"} uncalibrated: `,
          "failures from an uncalibrated judge are shown on traces but do not fail them.",
        )
      : null,
    h(
      "table",
      { class: "agreement" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["grader version", "kind", "traces", "agreement", "kappa", "calibration"].map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            { "data-grader": r.grader, "data-calibration": r.calibration ?? "" },
            h("td", {}, r.grader),
            h("td", {}, r.kind),
            h("td", { class: "num" }, String(r.n)),
            h(
              "td",
              { class: "num" },
              formatPercent(r.percentAgreement) + interval(r.percentCI, (v) => formatPercent(v)),
            ),
            h(
              "td",
              { class: "num" },
              r.kappa === null ? "–" : r.kappa.toFixed(2) + interval(r.kappaCI, (v) => v.toFixed(2)),
            ),
            h("td", { class: r.calibration === "uncalibrated" ? "verdict-fail" : "" }, r.calibrationText),
          ),
        ),
      ),
    ),
  );
}

/**
 * Judge calls, tokens and cost per window (newest first), with totals.
 * @param {ReturnType<typeof import("./review-model.js").judgeUsageView>} usage
 */
export function judgeUsageSection(usage) {
  if (usage.windows.length === 0) return null;
  const totalCost = formatCost(usage.totalCost);
  return h(
    "div",
    {},
    h(
      "p",
      { class: "note" },
      `${usage.totalTokens} judge tokens over the last ${usage.windows.length} judged windows${totalCost ? `, ${totalCost}` : " (no pricing set)"}.`,
    ),
    h(
      "table",
      { class: "judge-usage" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["window", "judged traces", "calls", "from cache", "tokens", "cost"].map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        usage.windows.map((w) =>
          h(
            "tr",
            {},
            h("td", {}, w.windowId),
            h("td", { class: "num" }, String(w.judgedTraces)),
            h("td", { class: "num" }, String(w.calls)),
            h("td", { class: "num" }, String(w.cachedCalls)),
            h("td", { class: "num" }, String(w.tokens)),
            h("td", { class: "num" }, formatCost(w.cost) ?? "–"),
          ),
        ),
      ),
    ),
  );
}

/**
 * The agent page's review sections: agreement and calibration per grader version, and
 * judge usage per window. Empty on a server without the review API.
 * @param {string} key
 * @param {string} agent
 * @param {any[]} graders the agent's graders, so judge versions no one reviewed yet show too
 * @returns {Promise<HTMLElement[]>}
 */
export async function agentReviewSections(key, agent, graders) {
  const [agreement, usage] = await Promise.all([
    api(key, `/api/agents/${enc(agent)}/agreement`).catch(() => null),
    api(key, `/api/agents/${enc(agent)}/judge-usage?limit=20`).catch(() => null),
  ]);
  const sections = [];
  if (agreement)
    sections.push(
      h("h2", {}, "Agreement with reviewers"),
      h(
        "p",
        { class: "note" },
        "How often each grader version agreed with human verdicts on the same traces (95% intervals). ",
        agreement.calibration?.enabled
          ? `A judge version counts once ${agreement.calibration.minVerdicts} verdicts agree with it at kappa ${agreement.calibration.kappaThreshold} or more.`
          : "Calibration is off: every judge counts.",
      ),
      agreementSection(agreementRows(agreement, graders)),
    );
  const usageTable = usage ? judgeUsageSection(judgeUsageView(usage)) : null;
  if (usageTable) sections.push(h("h2", {}, "Judge tokens and cost per window"), usageTable);
  return sections;
}
