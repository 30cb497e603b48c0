// @ts-check
/**
 * @module The agent page's tables and its failure modes section: the windows (newest first,
 * with the agent version and each grader version's pass rate), the latest traces, and the
 * failure modes when the server clusters them (`GET /api/agents/{agent}/failure-modes`).
 */
import { api, emptyState, enc, h, RouteMissing } from "./dom.js";
import { failureModesView } from "./iterations-model.js";
import { formatMs, routeHref, versionText, windowAgentVersion } from "./site-model.js";
import { formatPercent, shortTime } from "./trend-model.js";

/** @param {any} trend @param {any[]} ordered the raw windows, in the same order as `trend.windows` */
export function windowTable(trend, ordered) {
  const rows = trend.windows.slice().reverse().slice(0, 30);
  const bySeries = new Map(trend.series.map((s) => [s.key, new Map(s.points.map((p) => [p.windowIndex, p]))]));
  const labels = new Map(trend.series.map((s) => [s.key, s.label]));
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [
          "window",
          "closed (UTC)",
          "traces",
          "graded",
          "agent version",
          "per grader version: pass rate [95% CI]",
          "p50 / p95 latency",
        ].map((c) => h("th", {}, c)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((w) =>
        h(
          "tr",
          {},
          h("td", {}, `#${w.seq}`),
          h("td", {}, shortTime(w.closedAt)),
          h("td", { class: "num" }, String(w.traceCount)),
          h("td", { class: "num" }, String(w.gradedCount)),
          h("td", {}, agentVersionCell(ordered[w.index])),
          h(
            "td",
            {},
            w.graderVersions.length === 0
              ? h("span", { class: "dim" }, "no grader applied")
              : w.graderVersions.map((key) => {
                  const p = bySeries.get(key)?.get(w.index);
                  if (!p) return null;
                  const value =
                    p.passRate === null
                      ? "–"
                      : `${formatPercent(p.passRate)} [${formatPercent(p.ci?.low)}–${formatPercent(p.ci?.high)}] (${p.pass}/${p.decided})`;
                  return h(
                    "div",
                    {},
                    `${labels.get(key)}: ${value}`,
                    p.insufficient ? h("span", { class: "dim" }, ` — ${p.reason}`) : null,
                  );
                }),
          ),
          h("td", { class: "num" }, w.latencyMs ? `${ms(w.latencyMs.p50)} / ${ms(w.latencyMs.p95)}` : "–"),
        ),
      ),
    ),
  );
}

const ms = formatMs;

/** @param {any} window */
function agentVersionCell(window) {
  const v = windowAgentVersion(window);
  if (v.label === null) return h("span", { class: "dim" }, "–");
  const parts = Object.entries(v.counts).map(([label, n]) => `${versionText(label)} (${n})`);
  return v.mixed ? parts.join(", ") : versionText(v.label);
}

/** @param {any[]} traces */
export function traceTable(traces) {
  if (traces.length === 0) return emptyState("No traces yet.", "Send one with POST /api/traces.");
  return h(
    "table",
    { class: "traces" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["trace", "received (UTC)", "version", "status", "state", "latency"].map((c) => h("th", {}, c)),
      ),
    ),
    h(
      "tbody",
      {},
      traces.map((t) =>
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: routeHref({ page: "trace", traceId: t.id }) }, t.id)),
          h("td", {}, shortTime(t.receivedAt)),
          h("td", {}, t.version ?? "–"),
          h("td", { class: t.status === "error" ? "verdict-worse" : "" }, t.status),
          h("td", {}, t.state),
          h("td", { class: "num" }, ms(t.latencyMs)),
        ),
      ),
    ),
  );
}

/**
 * Failure modes with counts and example traces, or a note when the server has no
 * clustering yet.
 * @param {string} key
 * @param {string} agent
 */
export async function failureModes(key, agent) {
  let body;
  try {
    body = await api(key, `/api/agents/${enc(agent)}/failure-modes`);
  } catch (error) {
    if (error instanceof RouteMissing)
      return h("p", { class: "dim" }, "Failure modes are not available on this server yet.");
    throw error;
  }
  const modes = failureModesView(body);
  if (modes.length === 0) return emptyState("No failure modes.", "They appear once graded windows hold failures.");
  return h(
    "table",
    { class: "failure-modes" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["grader", "failure (example reason)", "tool", "failures", "share", "suggested fix", "examples"].map((c) =>
          h("th", {}, c),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      modes.map((m) =>
        h(
          "tr",
          {},
          h("td", {}, m.grader),
          h("td", {}, m.reason),
          h("td", {}, m.tool ?? "–"),
          h("td", { class: "num" }, m.count === null ? "–" : String(m.count)),
          h("td", { class: "num" }, formatPercent(m.share)),
          h("td", {}, m.fix ? `${m.fix.title}${m.fix.tried ? " (tried)" : ""}` : "–"),
          h(
            "td",
            {},
            m.examples
              .slice(0, 3)
              .flatMap((id, i) => [
                i > 0 ? ", " : null,
                h("a", { href: routeHref({ page: "trace", traceId: id }) }, id),
              ]),
          ),
        ),
      ),
    ),
  );
}
