/**
 * The iterations and eval-run pages in a real browser over data sent through the API:
 * graded traces fill the agent's regression dataset, two client-side eval runs answer its
 * cases with planted answers (the first accepted as the baseline, the second fixing three
 * of four failure cases and breaking one guard case), and the pages must show exactly that.
 * Screenshots land in test-output/ (git-ignored).
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createProject, eventually, flywheel } from "./client";

// The callbacks given to page.evaluate run in the browser; this tsconfig has no DOM lib.
declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const location: { hash: string };
type Text = { textContent: string | null };

const SHOTS = path.resolve(import.meta.dirname, "../../test-output");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const GUARD_RATE = 0.05; // DATASET_GUARD_RATE in wrangler.toml
const FIXED_ANSWER = "It shipped yesterday.";
const WRONG_ANSWER = "I could not find it.";

/** A passing trace becomes a guard case when a hash of its id falls under the rate (README, "Datasets"). */
function isGuardSample(traceId: string): boolean {
  const hex = createHash("sha256").update(`flywheel-guard-sample\n${traceId}`).digest("hex");
  return Number.parseInt(hex.slice(0, 8), 16) / 0x1_0000_0000 < GUARD_RATE;
}

function guardTraceIds(prefix: string, count: number): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) if (isGuardSample(`${prefix}-pass-${n}`)) ids.push(`${prefix}-pass-${n}`);
  return ids;
}

type RunCase = { caseId: string; guard: boolean };
type Run = { id: string; status: string; datasetId: string; datasetVersion: number; cases: RunCase[] };

let browser: Browser;
let page: Page;
let apiKey: string;
const agent = `e2e-iter-${Date.now()}`;
const pageErrors: string[] = [];
/** Case id by what it was planted as: failure cases f0..f3 (by input), guard cases g0, g1. */
const planted = new Map<string, string>();
let secondRunId = "";

async function post(route: string, body: unknown): Promise<Response> {
  return api(apiKey, route, { method: "POST", body: JSON.stringify(body) });
}

/** Starts a client-side run on the latest dataset version and answers every case with `answer`. */
async function runCandidate(label: string, answer: (caseId: string) => string): Promise<Run> {
  const created = await post("/api/eval-runs", {
    agent,
    candidate: { label, version: label },
    dataset: `agent:${agent}`,
    datasetVersion: "latest",
  });
  expect(created.status).toBe(201);
  const run = (await created.json()) as Run;
  const answers = run.cases.map((c) => ({ caseId: c.caseId, repeat: 0, answer: { output: answer(c.caseId) } }));
  expect((await post(`/api/eval-runs/${run.id}/results`, { answers })).status).toBe(200);
  return eventually(async () => {
    const now = (await (await api(apiKey, `/api/eval-runs/${run.id}`)).json()) as Run;
    return now.status === "completed" ? now : null;
  });
}

async function open(hash: string) {
  await page.evaluate(() => delete document.body.dataset.ready);
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.waitForSelector("body[data-ready=true]");
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ apiKey } = await createProject("e2e-iterations"));
  const grader = await post("/api/graders", {
    agent,
    name: "says it shipped",
    definition: { kind: "rule", check: "contains", text: "shipped" },
  });
  expect(grader.status).toBe(201);

  // Four failing traces (distinct inputs, so four failure cases) and two passing traces whose
  // ids are sampled as guard cases.
  // Recent, so the agent page's failure modes (the last 7 days by default) include them.
  const started = Date.now() - 60_000;
  const at = { startTime: new Date(started).toISOString(), endTime: new Date(started + 1_000).toISOString() };
  const failing = [0, 1, 2, 3].map((n) => ({
    id: `${agent}-fail-${n}`,
    agent,
    input: `Where is order f${n}?`,
    output: WRONG_ANSWER,
    ...at,
  }));
  const passing = guardTraceIds(agent, 2).map((id, n) => ({
    id,
    agent,
    input: `Where is order g${n}?`,
    output: FIXED_ANSWER,
    ...at,
  }));
  expect((await post("/api/traces", [...failing, ...passing])).status).toBe(201);
  await eventually(async () => {
    const status = (await (await api(apiKey, `/api/agents/${agent}/window`)).json()) as {
      open: { traceCount: number } | null;
    };
    return status.open?.traceCount === 6;
  });
  expect((await api(apiKey, `/api/agents/${agent}/window/close`, { method: "POST" })).status).toBe(200);
  const cases = await eventually(async () => {
    const res = await api(apiKey, `/api/datasets/agent:${agent}/versions/latest/cases?limit=500`);
    if (res.status !== 200) return null;
    const body = (await res.json()) as { cases: { id: string; input: unknown; guard: boolean }[] };
    return body.cases.length === 6 ? body.cases : null;
  });
  for (const c of cases) planted.set(String(c.input).match(/order (\w+)\?/)?.[1] ?? "", c.id);
  expect([...planted.keys()].sort()).toEqual(["f0", "f1", "f2", "f3", "g0", "g1"]);

  // The current agent: fixes f0 only. Accepted: the next run's regressions count against it.
  const current = await runCandidate("prompt-v1", (id) =>
    id === planted.get("f0") || id === planted.get("g0") || id === planted.get("g1") ? FIXED_ANSWER : WRONG_ANSWER,
  );
  expect((await post(`/api/eval-runs/${current.id}/accept`, {})).status).toBe(200);
  // The candidate: fixes f0, f1, f2 (3 of 4 failure cases) and breaks guard case g1.
  const fixes = new Set(["f0", "f1", "f2", "g0"].map((k) => planted.get(k)));
  secondRunId = (await runCandidate("prompt-v2", (id) => (fixes.has(id) ? FIXED_ANSWER : WRONG_ANSWER))).id;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${flywheel().url}/`);
  await page.fill("#key-input", apiKey);
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("body[data-ready=true]");
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe("the iterations pages", () => {
  it("lists both runs in order, marks the accepted baseline, and charts the planted improvement", async () => {
    await open(`#/iterations/${agent}`);
    const rows = await page.$$eval("table.iterations tbody tr", (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td: Text) => (td.textContent ?? "").trim())),
    );
    expect(rows).toHaveLength(2);
    // Columns: #, run, candidate, version, dataset version, status, improvement, regressions, flaky, errored, pass rate.
    expect(rows[0]?.slice(2, 10)).toEqual([
      "prompt-v1 (accepted baseline)",
      "prompt-v1",
      "v1",
      "completed",
      "25.0%",
      "0",
      "0",
      "0",
    ]);
    expect(rows[1]?.slice(2, 10)).toEqual(["prompt-v2", "prompt-v2", "v1", "completed", "75.0%", "1", "0", "0"]);
    // prompt-v2 passes f0, f1, f2, g0: 4 of 6 results.
    expect(rows[1]?.[10]).toMatch(/^66\.7% \(95% CI \d+(\.\d)?%–\d+(\.\d)?%\)$/);
    const chart = await page.$eval("figure.iterations-chart svg", (svg) => ({
      title: svg.querySelector("title")?.textContent,
      desc: svg.querySelector("desc")?.textContent,
      labels: Array.from(svg.querySelectorAll("text"), (t: Text) => t.textContent),
    }));
    expect(chart.title).toBe("Improvement rate and regression count per eval run");
    expect(chart.desc).toContain("from 25% to 75%");
    expect(chart.labels).toEqual(expect.arrayContaining(["25%", "75%", "1 reg."]));
    await page.screenshot({ path: path.join(SHOTS, "iterations.png"), fullPage: true });
  });

  it("shows the run's metrics and the one planted regression with its input and failing reason", async () => {
    await open(`#/eval-run/${secondRunId}`);
    const metric = (name: string) => page.$eval(`tr[data-metric="${name}"] td`, (td) => td.textContent ?? "");
    expect(await metric("improvement rate")).toMatch(/^75% \(95% CI .*\) \(3\/4 failure cases pass\)$/);
    expect(await metric("regressions")).toBe("1");
    expect(await metric("progress")).toBe("6 of 6 results recorded, completed");

    const regressed = await page.$$eval("section[data-list=regressed] li.case", (lis) =>
      lis.map((li) => ({ id: li.getAttribute("data-case"), text: li.textContent ?? "" })),
    );
    expect(regressed.map((c) => c.id)).toEqual([planted.get("g1")]);
    expect(regressed[0]?.text).toContain("Where is order g1?");
    expect(regressed[0]?.text).toContain(FIXED_ANSWER); // the guard case's reference
    expect(regressed[0]?.text).toContain("guard case");
    expect(regressed[0]?.text).toMatch(/repeat 0: grd_\w+@1: /);
    // What the candidate answered instead: the wrong answer it was planted to give.
    expect(await page.$eval("section[data-list=regressed] li.case dd.answers", (dd) => dd.textContent ?? "")).toContain(
      WRONG_ANSWER,
    );
    const improved = await page.$$eval("section[data-list=improved] li.case", (lis) =>
      lis.map((li) => li.getAttribute("data-case")),
    );
    // Against the accepted run, f0 already passed: f1 and f2 are the improvements.
    expect(improved.sort()).toEqual([planted.get("f1"), planted.get("f2")].sort());
    await page.screenshot({ path: path.join(SHOTS, "eval-run.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("lists the agent's failure modes from the failing traces on the agent page", async () => {
    await open(`#/agent/${agent}`);
    const modes = await page.$$eval("table.failure-modes tbody tr", (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td: Text) => (td.textContent ?? "").trim())),
    );
    // Columns: grader, reason, tool, failures, share, suggested fix, examples. All four failing traces, one mode.
    expect(modes).toHaveLength(1);
    expect(modes[0]?.slice(0, 5)).toEqual([
      "says it shipped v1",
      "output does not contain `shipped`",
      "–",
      "4",
      "100%",
    ]);
    await page.screenshot({ path: path.join(SHOTS, "agent-failure-modes.png"), fullPage: true });
  });
});
