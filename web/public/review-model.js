// @ts-check
/**
 * @module Pure shaping of the review and judge APIs for the site (no DOM, no fetch): a
 * trace's final verdict with which scores counted (`GET /api/traces/{id}/verdict`), judge
 * details of a score, a verdict's outcome after a reviewer submits it, agreement and
 * calibration per grader version (`GET /api/agents/{agent}/agreement`) and judge usage per
 * window (`GET /api/agents/{agent}/judge-usage`). Tested by `review-model.test.js`.
 */

const num = (/** @type {unknown} */ v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (/** @type {unknown} */ v) => (typeof v === "string" ? v : null);

/**
 * One line about a judge's score: model, prompt version, how its samples voted, tokens
 * and cost. Null for a score that is not a judge's.
 * @param {any} judge
 */
export function judgeSummary(judge) {
  if (!judge || typeof judge !== "object") return null;
  const samples = Array.isArray(judge.samples) ? judge.samples : [];
  const votes = samples.map((s) => (typeof s?.verdict === "string" ? s.verdict : "error"));
  const parts = [`${judge.model ?? "unknown model"}`, `prompt ${judge.promptVersion ?? "?"}`];
  if (votes.length > 0) parts.push(`samples ${votes.join(", ")}`);
  if (judge.unstable) parts.push("unstable (samples split)");
  const tokens = (num(judge.inputTokens) ?? 0) + (num(judge.outputTokens) ?? 0);
  parts.push(`${num(judge.inputTokens) ?? 0} in + ${num(judge.outputTokens) ?? 0} out tokens`);
  if (tokens === 0 && num(judge.cachedCalls)) parts.push("answered from the cache");
  const cost = formatCost(judge.cost);
  if (cost) parts.push(cost);
  if (Array.isArray(judge.truncated) && judge.truncated.length > 0)
    parts.push(`truncated: ${judge.truncated.join(", ")}`);
  return parts.join(" · ");
}

/**
 * "$0.0042"; null (no pricing) → null.
 * @param {unknown} cost
 */
export function formatCost(cost) {
  const c = num(cost);
  if (c === null) return null;
  return `$${c < 0.01 ? c.toPrecision(2) : c.toFixed(2)}`;
}

/**
 * A trace's judgement (`GET /api/traces/{id}/verdict`, or a queue entry which carries the
 * same fields) as the pages show it: the final verdict and every score behind it, each
 * saying whether it counted and why not.
 * @param {any} body
 * @param {Map<string, string>} [names] grader names by id, so a score reads "says shipped v2"
 */
export function judgementView(body, names = new Map()) {
  const graderLabel = (/** @type {any} */ s) =>
    `${names.get(s?.graderId) ?? String(s?.graderId ?? "?")} v${s?.graderVersion ?? "?"}`;
  const final = body?.finalVerdict ?? null;
  const scores = Array.isArray(body?.scores) ? body.scores : [];
  const humans = Array.isArray(body?.humanScores) ? body.humanScores : [];
  /** Judge details by grader version: the basis names a score by grader and version only. */
  const judgeOf = new Map(scores.filter((s) => s?.judge).map((s) => [`${s.graderId}@${s.graderVersion}`, s.judge]));
  const basis = Array.isArray(final?.basis) ? final.basis : [];
  return {
    verdict: final ? String(final.verdict ?? "none") : null,
    policy: str(final?.policy),
    reason: str(final?.reason) ?? "",
    disputed: Boolean(final?.disputed),
    disputes: Array.isArray(final?.disputes) ? final.disputes.map(String) : [],
    windowId: str(final?.windowId),
    basis: basis.map((b) => ({
      who: b?.kind === "human" ? `reviewer ${b.reviewer ?? "?"}` : graderLabel(b),
      kind: String(b?.kind ?? "unknown"),
      verdict: String(b?.verdict ?? "unknown"),
      reason: String(b?.reason ?? ""),
      counted: b?.counted === true,
      note: str(b?.note),
      judge: b?.kind === "judge" ? judgeSummary(judgeOf.get(`${b.graderId}@${b.graderVersion}`)) : null,
    })),
    /** Scores the trace has even before its final verdict is decided (no basis yet). */
    scores: scores.map((s) => ({
      who: graderLabel(s),
      graderId: String(s?.graderId ?? ""),
      graderVersion: num(s?.graderVersion),
      kind: s?.kind === "judge" ? "judge" : "grader",
      verdict: String(s?.verdict ?? "unknown"),
      score: num(s?.score),
      reason: String(s?.reason ?? ""),
      judge: judgeSummary(s?.judge),
    })),
    humans: humans.map((h) => ({
      reviewer: String(h?.reviewer ?? "?"),
      verdict: String(h?.verdict ?? "unknown"),
      score: num(h?.score),
      note: str(h?.note),
      createdAt: str(h?.createdAt),
    })),
  };
}

/**
 * What the reviewer is told after `POST /api/review-queue/{itemId}/verdict`: their verdict,
 * and what it did to the trace's final verdict and the regression dataset.
 * @param {any} result
 */
export function verdictOutcome(result) {
  const given = `Recorded ${result?.verdict?.verdict ?? "?"} by ${result?.verdict?.reviewer ?? "?"}.`;
  const f = result?.finalVerdict;
  if (!f) return `${given} The trace's window is not graded yet: the verdict counts when it is.`;
  const change =
    f.before && f.before !== f.verdict
      ? `Final verdict ${f.before} → ${f.verdict}`
      : `Final verdict stays ${f.verdict}`;
  const dataset =
    result?.datasetChange === "added"
      ? "; added to the regression dataset"
      : result?.datasetChange === "removed"
        ? "; removed from the regression dataset"
        : "";
  return `${given} ${change} (${f.reason})${dataset}.`;
}

/**
 * Agreement with humans per grader version, with what calibration means for each judge.
 * A current judge version no reviewer has checked yet is listed too: with calibration on it
 * is uncalibrated (none of the verdicts it needs), which a reader must not miss.
 * @param {any} body
 * @param {any[]} [graders] the agent's graders (`GET /api/graders?agent=`)
 */
export function agreementRows(body, graders = []) {
  const rows = Array.isArray(body?.withHumans) ? [...body.withHumans] : [];
  const calibration = body?.calibration;
  if (calibration?.enabled) {
    for (const g of graders) {
      if (g?.definition?.kind !== "judge" || g.enabled === false) continue;
      if (rows.some((r) => r?.graderId === g.id && r?.graderVersion === g.version)) continue;
      rows.push({
        graderId: g.id,
        graderVersion: g.version,
        kind: "judge",
        n: 0,
        percentAgreement: null,
        kappa: null,
        calibration: {
          state: "uncalibrated",
          reason: `0 of the ${calibration.minVerdicts} human verdicts needed so far`,
        },
      });
    }
  }
  const names = new Map(graders.map((g) => [g?.id, g?.name]));
  return rows.map((r) => {
    const state = str(r?.calibration?.state);
    return {
      grader: `${names.get(r?.graderId) ?? String(r?.graderId ?? "?")} v${r?.graderVersion ?? "?"}`,
      graderId: String(r?.graderId ?? ""),
      kind: r?.kind === "judge" ? "judge" : "grader",
      n: num(r?.n) ?? 0,
      percentAgreement: num(r?.percentAgreement),
      percentCI: r?.percentAgreementCI ?? null,
      kappa: num(r?.kappa),
      kappaCI: r?.kappaCI ?? null,
      calibration: state,
      calibrationText:
        state === "uncalibrated"
          ? `uncalibrated: its failures are shown but not counted (${r.calibration.reason ?? ""})`
          : state === "calibrated"
            ? `calibrated: its verdicts count (${r.calibration.reason ?? ""})`
            : state === "not_required"
              ? "counts (calibration is off)"
              : "–",
    };
  });
}

/**
 * Judge usage per window, newest first, with the totals.
 * @param {any} body
 */
export function judgeUsageView(body) {
  const windows = (Array.isArray(body?.windows) ? body.windows : []).map((w) => ({
    windowId: String(w?.windowId ?? ""),
    judgedTraces: num(w?.judgedTraces) ?? 0,
    calls: num(w?.calls) ?? 0,
    cachedCalls: num(w?.cachedCalls) ?? 0,
    tokens: (num(w?.inputTokens) ?? 0) + (num(w?.outputTokens) ?? 0),
    cost: num(w?.cost),
  }));
  const priced = windows.filter((w) => w.cost !== null);
  return {
    windows,
    totalTokens: windows.reduce((sum, w) => sum + w.tokens, 0),
    totalCost: priced.length ? priced.reduce((sum, w) => sum + (w.cost ?? 0), 0) : null,
  };
}
