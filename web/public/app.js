// @ts-check
/**
 * @module The site's shell: asks for the project key (kept for this tab in sessionStorage,
 * in localStorage only when "remember" is ticked), then renders the page the URL fragment
 * names (`#/`, `#/agent/<name>`, `#/trace/<id>`, `#/dataset/<id>`, `#/review`,
 * `#/iterations/<agent>`). Routes never hold the key, so any page can be shared as a link.
 */
import { renderAgentPage } from "./agent-page.js";
import { renderDatasetPage } from "./dataset-page.js";
import { forgetKey, KeyRejected, loadKey, saveKey } from "./dom.js";
import { renderOverviewPage } from "./overview-page.js";
import { renderEvalRunPage, renderIterationsPage } from "./iterations-page.js";
import { renderReviewPage } from "./review-page.js";
import { legacyFragment, parseRoute } from "./site-model.js";
import { renderTracePage } from "./trace-page.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {string} message @param {boolean} [isError] */
function setStatus(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

/** @param {string | null} message */
function showKeyForm(message) {
  $("project-panel").hidden = true;
  $("key-panel").hidden = false;
  $("key-error").hidden = !message;
  $("key-error").textContent = message ?? "";
  $("key-input").focus();
}

/** Bumped on every navigation, so a slow page that finishes late does not draw over a newer one. */
let generation = 0;

async function render() {
  const key = loadKey();
  if (!key) return showKeyForm(null);
  $("key-panel").hidden = true;
  $("project-panel").hidden = false;
  const route = parseRoute(location.hash);
  const mine = ++generation;
  const view = document.createElement("div");
  const ctx = { key, view, setStatus };
  setStatus("Loading…");
  document.body.dataset.page = route.page;
  try {
    if (route.page === "overview") await renderOverviewPage(ctx);
    else if (route.page === "agent") await renderAgentPage(ctx, route.agent);
    else if (route.page === "trace") await renderTracePage(ctx, route.traceId);
    else if (route.page === "dataset") await renderDatasetPage(ctx, route);
    else if (route.page === "review") await renderReviewPage(ctx, route.agent);
    else if (route.page === "iterations") await renderIterationsPage(ctx, route.agent);
    else if (route.page === "eval-run") await renderEvalRunPage(ctx, route.runId);
    else view.textContent = `No page at #/${route.path}.`;
    if (mine !== generation) return;
    $("page").replaceChildren(view);
    document.title = `Flywheel · ${pageTitle(route)}`;
    setStatus(`Updated ${new Date().toLocaleTimeString()}.`);
    document.body.dataset.ready = "true";
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof KeyRejected) {
      // A key the server refuses is not worth keeping: the next visit asks again.
      forgetKey();
      return showKeyForm(error.message);
    }
    $("page").replaceChildren(view);
    setStatus(error instanceof Error ? error.message : String(error), true);
  }
}

/** @param {import("./site-model.js").Route} route */
function pageTitle(route) {
  switch (route.page) {
    case "agent":
    case "iterations":
      return route.agent;
    case "trace":
      return `trace ${route.traceId}`;
    case "dataset":
      return `dataset ${route.dataset}`;
    case "review":
      return "review queue";
    case "eval-run":
      return `eval run ${route.runId}`;
    default:
      return "overview";
  }
}

function start() {
  // Links from before the router carried the key in the fragment: keep it for this tab, drop it from the address.
  const legacy = legacyFragment(location.hash);
  if (legacy.key) saveKey(legacy.key, false);
  if (legacy.route) history.replaceState(null, "", `${location.pathname}${location.search}${legacy.route}`);

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("key-input"));
    const remember = /** @type {HTMLInputElement} */ ($("key-remember")).checked;
    const key = input.value.trim();
    if (!key) return;
    saveKey(key, remember);
    input.value = "";
    render();
  });
  $("forget-key").addEventListener("click", () => {
    forgetKey();
    $("page").replaceChildren();
    showKeyForm("Key forgotten: it is no longer stored in this browser.");
  });
  $("refresh").addEventListener("click", () => render());
  window.addEventListener("hashchange", () => render());
  render();
}

start();
