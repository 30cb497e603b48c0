/**
 * The site in a real browser (Debian's chromium driven by playwright-core) over data sent
 * through the API: sign in, the overview, an agent's chart, a trace whose content tries to
 * run script, the dataset page, the review queue and the iterations.
 * Screenshots of each page land in test-output/ (git-ignored); docs/*.png are copied from them.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sitePage } from "./site-page";
import {
  AGENT,
  EXPECTED_RULE_POINTS,
  HOSTILE_OUTPUT,
  HOSTILE_TRACE_ID,
  IDLE_AGENT,
  seedSiteDemo,
  WINDOWS,
  // @ts-expect-error plain ESM helper shared with scripts/site-screenshots.mjs
} from "../../scripts/lib/site-demo.mjs";
import { createProject, flywheel } from "./client";

// The callbacks given to page.evaluate run in the browser; this tsconfig has no DOM lib.
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelectorAll(selector: string): { length: number };
};
declare const location: { hash: string; href: string };
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { getItem(key: string): string | null };
declare const window: { __flywheelXss?: string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let browser: Browser;
let page: Page;
const { shot, open } = sitePage(() => page);
let apiKey: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  ({ apiKey } = await createProject("e2e-site"));
  await seedSiteDemo(flywheel().url, apiKey);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("dialog", (d) => {
    pageErrors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe("the site", () => {
  it("asks for the key, keeps it in this tab only, and never puts it in the address", async () => {
    await page.goto(`${flywheel().url}/`);
    await page.waitForSelector("#key-form");
    await shot("sign-in");
    await page.fill("#key-input", apiKey);
    await page.click("#key-form button[type=submit]");
    await page.waitForSelector("body[data-ready=true]");
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem("flywheel.apiKey"),
      local: localStorage.getItem("flywheel.apiKey"),
      url: location.href,
    }));
    expect(stored.session).toBe(apiKey);
    expect(stored.local).toBeNull();
    expect(stored.url).not.toContain(apiKey);
  });

  it("shows every agent on the overview, with why traces wait", async () => {
    const agents = await page.$$eval("table.overview tbody tr", (rows) =>
      rows.map((r) => r.getAttribute("data-agent")),
    );
    expect(agents).toEqual([IDLE_AGENT, AGENT]);
    const support = page.locator(`tr[data-agent="${AGENT}"]`);
    // The newest window has 9 of 10 passing.
    expect(await support.locator(".pass-rate").textContent()).toMatch(/^90% \[\d+%–\d+%\]/);
    const idle = page.locator(`tr[data-agent="${IDLE_AGENT}"]`);
    expect(await idle.locator(".pass-rate").textContent()).toBe("–");
    await shot("overview");
  });

  it("draws the agent's chart: one series per grader version, the small window hollow, the failing latency budget", async () => {
    await page.evaluate(() => delete document.body.dataset.ready);
    await page.click(`a[href="#/agent/${AGENT}"]`);
    await page.waitForSelector("body[data-ready=true][data-page=agent]");
    const series = await page.$$eval("svg.chart g.series", (groups) =>
      groups.map((g) => ({
        key: g.getAttribute("data-series"),
        points: g.querySelectorAll("g.point").length,
        hollow: g.querySelectorAll("g.point.insufficient").length,
      })),
    );
    const rule = series.filter((s) => !s.key?.includes("latency"));
    expect(rule.map((s) => [s.points, s.hollow])).toEqual([
      [EXPECTED_RULE_POINTS.v1, EXPECTED_RULE_POINTS.insufficient],
      [EXPECTED_RULE_POINTS.v2, 0],
    ]);
    // One "too few" label per small window, however many series it holds.
    expect(await page.locator("svg.chart .too-few-row text").count()).toBe(1);
    // The p95 budget failed the three slow windows, and the page says so.
    expect(await page.locator("rect.metric-mark.verdict-fail").count()).toBe(
      WINDOWS.filter((w: { slow: boolean }) => w.slow).length,
    );
    expect(await page.locator("li.metric-summary").textContent()).toContain("including the last 3");
    // The prompt change is drawn where it happened.
    expect(await page.locator("svg.chart line.agent-version-line").count()).toBe(1);
    expect(await page.locator("p.note").first().textContent()).toContain("to prompt-v2");
    await shot("agent");
  });

  it("shows a trace's content as text: HTML in it never runs", async () => {
    await open(`#/trace/${HOSTILE_TRACE_ID}`);
    expect(await page.locator("pre.trace-output").textContent()).toBe(HOSTILE_OUTPUT);
    await page.click("li.span[data-span=s3] summary");
    const ran = await page.evaluate(() => ({
      xss: window.__flywheelXss ?? null,
      images: document.querySelectorAll("#page img").length,
      scripts: document.querySelectorAll("#page script").length,
    }));
    expect(ran).toEqual({ xss: null, images: 0, scripts: 0 });
    expect(await page.locator("li.span").count()).toBe(3);
    expect(await page.locator("table.scores tbody tr").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator("table.scores").textContent()).toContain("v2");
    await shot("trace");
  });

  it("lists the regression dataset's versions and diffs two of them", async () => {
    await open(`#/dataset/agent:${AGENT}`);
    const versions = await page.locator("table.versions tbody tr").count();
    expect(versions).toBeGreaterThanOrEqual(2);
    expect(await page.locator("p.note").textContent()).toMatch(/^From v\d+ to v\d+: \d+ added/);
    expect(await page.locator("table.versions button[data-format]").count()).toBe(versions * 3);
    // The export needs the key in a header; the page fetches it and hands the browser a file.
    const [file] = await Promise.all([
      page.waitForEvent("download"),
      page.click("table.versions tbody tr:first-child button[data-format=jsonl]"),
    ]);
    expect(file.suggestedFilename()).toMatch(/^support-bot-regressions-v\d+\.jsonl$/);
    await shot("dataset");
  });

  it("lists the seeded review items and eval runs", async () => {
    // The seed queues two traces for review and records two eval runs: prompt-v2 (accepted) and prompt-v3.
    await open("#/review");
    expect(await page.locator("#page").textContent()).toContain("Pending review items (2)");
    await shot("review");
    await open(`#/iterations/${AGENT}`);
    const text = await page.locator("#page").textContent();
    expect(text).toContain("prompt-v2");
    expect(text).toContain("prompt-v3");
    expect(await page.locator("#status.error").count()).toBe(0);
  });

  it("forgets the key on request, and keeps it across visits only when asked to", async () => {
    await page.click("#forget-key");
    await page.waitForSelector("#key-panel:not([hidden])");
    expect(
      await page.evaluate(() => [sessionStorage.getItem("flywheel.apiKey"), localStorage.getItem("flywheel.apiKey")]),
    ).toEqual([null, null]);
    await page.fill("#key-input", apiKey);
    await page.check("#key-remember");
    await page.evaluate(() => delete document.body.dataset.ready);
    await page.click("#key-form button[type=submit]");
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.evaluate(() => localStorage.getItem("flywheel.apiKey"))).toBe(apiKey);
    await page.click("#forget-key");
  });

  it("ran no script and raised no error", () => {
    expect(pageErrors).toEqual([]);
  });
});
