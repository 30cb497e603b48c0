// @ts-check
/**
 * @module The dataset page: every version with its counts, the diff of two versions
 * (`#/dataset/<id>?from=1&to=3`) and a download of any version in each export format.
 * Case content is untrusted: shown as text only.
 */
import { api, download, emptyState, enc, h, textBlock } from "./dom.js";
import { displayValue, routeHref } from "./site-model.js";
import { shortTime } from "./trend-model.js";

const FORMATS = ["jsonl", "csv", "openai-evals"];

/** @param {string} key @param {any} dataset @param {number} version @param {(m: string, e?: boolean) => void} setStatus */
function downloadButtons(key, dataset, version, setStatus) {
  return FORMATS.map((format) => {
    const button = h("button", { type: "button", class: "secondary small", "data-format": format }, format);
    button.addEventListener("click", () => {
      download(
        key,
        `/api/datasets/${enc(dataset.id)}/versions/${version}/export?format=${format}`,
        `${dataset.name}-v${version}.${format}`,
      ).then(
        () => setStatus(`Downloaded version ${version} as ${format}.`),
        (error) => setStatus(error.message, true),
      );
    });
    return button;
  });
}

/** @param {any} c */
function caseRow(c) {
  return h(
    "tr",
    {},
    h("td", {}, c.id),
    h("td", {}, textBlock(displayValue(c.input))),
    h("td", {}, textBlock(displayValue(c.expected ?? null))),
    h("td", {}, c.failure ? textBlock(displayValue(c.failure)) : "–"),
    h(
      "td",
      {},
      c.sourceTraceId ? h("a", { href: routeHref({ page: "trace", traceId: c.sourceTraceId }) }, c.sourceTraceId) : "–",
    ),
  );
}

/** @param {string} title @param {any[]} cases */
function caseTable(title, cases) {
  return h(
    "section",
    { class: "diff-part" },
    h("h3", {}, `${title} (${cases.length})`),
    cases.length === 0
      ? h("p", { class: "dim" }, "none")
      : h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["case", "input", "expected", "failure", "source trace"].map((c) => h("th", {}, c)),
            ),
          ),
          h("tbody", {}, cases.map(caseRow)),
        ),
  );
}

/**
 * @param {{ key: string, view: HTMLElement, setStatus: (m: string, e?: boolean) => void }} ctx
 * @param {{ dataset: string, from: number | null, to: number | null }} route
 */
export async function renderDatasetPage(ctx, route) {
  const { key, view, setStatus } = ctx;
  const [dataset, { datasets }] = await Promise.all([
    api(key, `/api/datasets/${enc(route.dataset)}/versions?limit=1000`),
    api(key, "/api/datasets"),
  ]);
  const info = datasets.find(
    (/** @type {any} */ d) => d.id === route.dataset || `agent:${d.agent}` === route.dataset,
  ) ?? {
    id: route.dataset,
    name: route.dataset,
  };
  /** @type {any[]} */
  const versions = dataset.versions;
  view.replaceChildren(
    h(
      "nav",
      { class: "crumbs" },
      h("a", { href: routeHref({ page: "overview" }) }, "All agents"),
      info.agent ? " / " : null,
      info.agent ? h("a", { href: routeHref({ page: "agent", agent: info.agent }) }, info.agent) : null,
      " / dataset ",
      h("strong", {}, info.name),
    ),
  );
  if (versions.length === 0) {
    view.append(emptyState("No versions yet.", "Failing traces of graded windows, or cases you add, make version 1."));
    return;
  }
  view.append(
    h("h2", {}, "Versions"),
    h(
      "table",
      { class: "versions" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["version", "created (UTC)", "change", "cases", "added", "changed", "removed", "download"].map((c) =>
            h("th", {}, c),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        versions.map((v) =>
          h(
            "tr",
            { "data-version": v.version },
            h("td", {}, `v${v.version}`),
            h("td", {}, shortTime(v.createdAt)),
            h("td", {}, v.changeKind, v.summary ? h("span", { class: "dim" }, ` — ${v.summary}`) : null),
            h("td", { class: "num" }, String(v.caseCount)),
            h("td", { class: "num" }, `+${v.addedCount}`),
            h("td", { class: "num" }, String(v.changedCount)),
            h("td", { class: "num" }, `−${v.removedCount}`),
            h("td", {}, downloadButtons(key, info, v.version, setStatus)),
          ),
        ),
      ),
    ),
  );

  const numbers = versions.map((v) => v.version).sort((a, b) => a - b);
  const latest = numbers[numbers.length - 1] ?? 1;
  const to = route.to ?? latest;
  const from = route.from ?? numbers.filter((n) => n < to).pop() ?? to;
  const select = (/** @type {string} */ name, /** @type {number} */ value) =>
    h(
      "select",
      { name, "aria-label": `${name} version` },
      numbers.map((n) => h("option", { value: n, selected: n === value }, `v${n}`)),
    );
  const form = h(
    "form",
    { class: "toolbar diff-form" },
    "Compare ",
    select("from", from),
    " with ",
    select("to", to),
    " ",
    h("button", { type: "submit" }, "Show diff"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
    location.hash = routeHref({
      page: "dataset",
      dataset: route.dataset,
      from: Number(data.get("from")),
      to: Number(data.get("to")),
    });
  });
  view.append(h("h2", {}, "Diff of two versions"), form);
  if (from === to) {
    view.append(h("p", { class: "dim" }, "Pick two different versions."));
    return;
  }
  const diff = await api(key, `/api/datasets/${enc(route.dataset)}/diff?from=${from}&to=${to}&limit=200`);
  view.append(
    h(
      "p",
      { class: "note" },
      `From v${from} to v${to}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed${diff.nextCursor ? " (first page)" : ""}.`,
    ),
    caseTable("Added", diff.added),
    caseTable("Removed", diff.removed),
    caseTable(
      "Changed (after)",
      diff.changed.map((/** @type {any} */ c) => c.after),
    ),
  );
}
