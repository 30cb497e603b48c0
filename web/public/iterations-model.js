// @ts-check
/**
 * @module Pure shaping of the improvement-loop APIs for the site: the iterations of an agent
 * (`GET /api/agents/{agent}/iterations`), one eval run (`GET /api/eval-runs/{id}`) with the
 * dataset cases behind its lists, and failure modes (`GET /api/agents/{agent}/failure-modes`).
 * Reads defensively: a missing field is shown as unknown, never guessed.
 */

const num = (/** @type {unknown} */ v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (/** @type {unknown} */ v) => (typeof v === "string" ? v : null);
const strings = (/** @type {unknown} */ v) =>
  Array.isArray(v) ? v.filter((x) => typeof x === "string").map((x) => String(x)) : [];

/** @param {any} ci @returns {{ low: number, high: number } | null} */
function interval(ci) {
  const low = num(ci?.low);
  const high = num(ci?.high);
  return low === null || high === null ? null : { low, high };
}

/**
 * The fields every run has, as a row of the iterations list or the head of the run page.
 * Metrics come from the row itself (iterations) or from `metrics` (one run).
 * @param {any} run
 */
export function iterationView(run) {
  const metrics = run?.metrics ?? {};
  const pick = (/** @type {string} */ name) => num(run?.[name]) ?? num(metrics?.[name]);
  return {
    id: String(run?.id ?? ""),
    label: str(run?.candidate?.label) ?? "unlabelled",
    version: str(run?.candidate?.version),
    datasetId: str(run?.datasetId),
    datasetVersion: num(run?.datasetVersion),
    status: String(run?.status ?? "unknown"),
    accepted: run?.accepted === true,
    baselineRunId: str(run?.baselineRunId),
    improvementRate: pick("improvementRate"),
    regressionCount: pick("regressionCount"),
    flakyCount: num(run?.flakyCount) ?? num(metrics?.counts?.flaky),
    errorCount: num(run?.errorCount) ?? num(metrics?.counts?.error),
    passRate: pick("passRate"),
    passRateCI: interval(run?.passRateCI ?? metrics?.passRateCI),
    createdAt: str(run?.createdAt),
  };
}

/**
 * The runs of an iterations answer, oldest first (the order the chart reads left to right).
 * @param {any} body
 */
export function iterationsView(body) {
  const list = Array.isArray(body?.iterations) ? body.iterations : [];
  return list
    .map(iterationView)
    .sort((/** @type {any} */ a, /** @type {any} */ b) => String(a.createdAt).localeCompare(String(b.createdAt)));
}

/**
 * One eval run: its row, progress, metrics and the case lists the metrics are made of.
 * @param {any} run
 */
export function evalRunView(run) {
  const m = run?.metrics ?? {};
  return {
    ...iterationView(run),
    completed: num(m.completed),
    total: num(m.total),
    caseCount: num(m.caseCount),
    failureCaseCount: num(m.failureCaseCount),
    guardCaseCount: num(m.guardCaseCount),
    improvementRateCI: interval(m.improvementRateCI),
    fixed: strings(m.fixed),
    lists: {
      improved: strings(m.improved),
      regressed: strings(m.regressed),
      flaky: strings(m.flaky),
      errored: strings(m.errored),
    },
  };
}

/**
 * The drill-down of one list: per case id, the dataset case (input, expected), its outcome
 * over the repeats and the reasons of the graders that did not pass it.
 * @param {string[]} caseIds
 * @param {any} run the `GET /api/eval-runs/{id}?results=true` answer
 * @param {Map<string, any>} datasetCases by case id, from the dataset version's cases
 */
export function caseDrillDown(caseIds, run, datasetCases) {
  const reports = new Map((Array.isArray(run?.cases) ? run.cases : []).map((c) => [c?.caseId, c]));
  const results = Array.isArray(run?.results) ? run.results : [];
  return caseIds.map((caseId) => {
    const report = reports.get(caseId);
    const stored = datasetCases.get(caseId);
    /** @type {string[]} */
    const reasons = [];
    /** The candidate's answers by repeat, in repeat order; repeats that answered alike share one entry. */
    /** @type {{ repeats: number[], output: unknown }[]} */
    const answers = [];
    for (const r of [...results].sort((a, b) => (a?.repeat ?? 0) - (b?.repeat ?? 0))) {
      if (r?.caseId !== caseId || r.output === undefined || r.output === null) continue;
      const same = answers.find((a) => JSON.stringify(a.output) === JSON.stringify(r.output));
      if (same) same.repeats.push(r.repeat);
      else answers.push({ repeats: [r.repeat], output: r.output });
    }
    for (const r of results) {
      if (r?.caseId !== caseId || r?.verdict === "pass") continue;
      const failing = (Array.isArray(r.scores) ? r.scores : []).filter(
        (/** @type {any} */ s) => s?.verdict === "fail" || s?.verdict === "error",
      );
      const lines = failing.length
        ? failing.map((/** @type {any} */ s) => `${s.graderId}@${s.graderVersion}: ${s.reason}`)
        : [String(r.reason ?? r.verdict)];
      for (const line of lines) {
        const text = `repeat ${r.repeat}: ${line}`;
        if (!reasons.includes(text)) reasons.push(text);
      }
    }
    return {
      caseId,
      guard: report?.guard === true || stored?.guard === true,
      outcome: String(report?.outcome ?? "unknown"),
      baseline: String(report?.baseline ?? "unknown"),
      repeats: Array.isArray(report?.repeats) ? report.repeats.map((v) => (v === null ? "pending" : String(v))) : [],
      input: stored ? stored.input : undefined,
      expected: stored ? stored.expected : undefined,
      answers,
      reasons,
    };
  });
}

/**
 * Progress of a run as a sentence: "4 of 6 results recorded, running".
 * @param {ReturnType<typeof evalRunView>} run
 */
export function progressText(run) {
  const done =
    run.completed === null || run.total === null
      ? "progress unknown"
      : `${run.completed} of ${run.total} results recorded`;
  return `${done}, ${run.status}${run.accepted ? ", accepted as the baseline" : ""}`;
}

/**
 * A rate with its 95% interval, "75% (95% CI 30%–95%)", or "–" when unknown.
 * @param {number | null} rate
 * @param {{ low: number, high: number } | null} ci
 */
export function rateWithInterval(rate, ci) {
  if (rate === null) return "–";
  const pct = (/** @type {number} */ v) => `${Math.round(v * 1000) / 10}%`;
  return ci ? `${pct(rate)} (95% CI ${pct(ci.low)}–${pct(ci.high)})` : pct(rate);
}

/**
 * Failure modes of `GET /api/agents/{agent}/failure-modes`: what fails (grader and the
 * normalised reason), how often, and the suggested fix (the judge endpoint's, else the
 * grader's hint).
 * @param {any} body
 */
export function failureModesView(body) {
  const list = Array.isArray(body?.modes) ? body.modes : [];
  return list.map((/** @type {any} */ m) => {
    const grader = str(m?.graderName) ?? str(m?.graderId) ?? "grader";
    const version = num(m?.graderVersion);
    const suggestions = Array.isArray(m?.suggestions) ? m.suggestions : [];
    // The judge endpoint's prompt change when there is one: it is the more specific fix.
    const fix = suggestions.find((/** @type {any} */ s) => s?.source === "judge") ?? suggestions[0] ?? null;
    return {
      grader: version === null ? grader : `${grader} v${version}`,
      reason: str(m?.exampleReason) ?? str(m?.reason) ?? "unknown reason",
      tool: str(m?.tool),
      count: num(m?.count),
      share: num(m?.share),
      examples: strings(m?.exampleTraceIds),
      fix: fix ? { id: String(fix.id ?? ""), title: String(fix.title ?? ""), tried: Boolean(fix.tried) } : null,
    };
  });
}
