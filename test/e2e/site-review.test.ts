/**
 * Reviewing in a real browser (Debian's chromium driven by playwright-core) over data sent
 * through the API: traces queued with POST /api/review-queue appear with their content as
 * text beside their scores; a verdict submitted through the form takes the item off the
 * queue and passes the failing trace under the default `human_overrides` policy; the trace
 * page shows which scores counted (an uncalibrated judge's failure shown, not counted);
 * the agent page says the judge is uncalibrated. Screenshots land in test-output/.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sitePage } from "./site-page";
import { type FakeJudge, startFakeJudge } from "../fake-judge/server.mjs";
import { api, createProject, eventually, flywheel } from "./client";

// The callbacks given to page.evaluate run in the browser; this tsconfig has no DOM lib.
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelectorAll(selector: string): { length: number };
};
declare const location: { hash: string };
declare const window: { __flywheelXss?: string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const AGENT = "review-bot";

/** Built to fail the rule (no "shipped") while a reviewer judges it a good answer. */
const TARGET = "rv-target";
/** Built to pass the rule and fail the judge, whose failures do not count until calibrated. */
const INVENTED = "rv-invented";
/** Built to pass; its output and tool call try to run script in the page. */
const HOSTILE = "rv-hostile";
const HOSTILE_OUTPUT =
  "It shipped. <img src=x onerror=\"window.__flywheelXss='img'\"><script>window.__flywheelXss='script'</script>";

let judge: FakeJudge;
let browser: Browser;
let page: Page;
const { shot, open } = sitePage(() => page);
let apiKey: string;
const pageErrors: string[] = [];

async function call<T = any>(method: string, route: string, body?: unknown, status = [200, 201]): Promise<T> {
  const res = await api(apiKey, route, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!status.includes(res.status)) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

function trace(id: string, output: string, toolOutput: unknown = { state: "shipped" }) {
  const start = Date.now() - 800;
  return {
    id,
    agent: AGENT,
    input: `Where is my order ${id}?`,
    output,
    status: "ok",
    startTime: new Date(start).toISOString(),
    endTime: new Date(start + 800).toISOString(),
    spans: [
      {
        id: "s1",
        parentId: null,
        type: "tool",
        name: "lookup_order",
        startTime: new Date(start + 100).toISOString(),
        endTime: new Date(start + 600).toISOString(),
        status: "ok",
        input: { orderId: id },
        output: toolOutput,
      },
    ],
  };
}

beforeAll(async () => {
  judge = await startFakeJudge({ rules: [{ match: "INVENTED", answer: { verdict: "fail", reason: "invented" } }] });
  ({ apiKey } = await createProject("e2e-site-review"));
  await call("POST", "/api/graders", {
    agent: AGENT,
    name: "says shipped",
    definition: { kind: "rule", check: "contains", text: "hipped" },
  });
  await call("POST", "/api/graders", {
    agent: AGENT,
    name: "helpful",
    definition: {
      kind: "judge",
      baseUrl: judge.url,
      model: "fake-judge",
      rubric: { criteria: "The answer tells the customer where the order is." },
      pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
    },
  });
  // No sampling, so the queue holds only what this test queues; calibration on, so the new judge is not trusted yet.
  await call("PUT", `/api/agents/${AGENT}/review-settings`, {
    reviewSampleRate: 0,
    calibration: { enabled: true, minVerdicts: 3 },
  });
  const traces = [
    trace("rv-ok", "It shipped yesterday."),
    trace(TARGET, "Your parcel is on its way, arriving Friday."),
    trace(INVENTED, "It shipped; tracking number 1Z-INVENTED."),
    trace(HOSTILE, HOSTILE_OUTPUT, { note: "<img src=x onerror=\"window.__flywheelXss='tool'\">" }),
  ];
  await call("POST", "/api/traces", traces);
  await eventually(async () => {
    const status = await call(`GET`, `/api/agents/${AGENT}/window`);
    return status.open?.traceCount === traces.length;
  });
  await call("POST", `/api/agents/${AGENT}/window/close`);
  await eventually(
    async () => (await call("GET", `/api/traces/${TARGET}/verdict`, undefined, [200, 404])).finalVerdict,
  );
  for (const traceId of [TARGET, HOSTILE]) await call("POST", "/api/review-queue", { traceId, note: "check by hand" });

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("dialog", (d) => {
    pageErrors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${flywheel().url}/`);
  await page.fill("#key-input", apiKey);
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("body[data-ready=true]");
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await judge?.close();
});

describe("reviewing in the site", () => {
  it("lists queued traces with their content as text beside their scores, and why they were queued", async () => {
    expect((await call("GET", `/api/traces/${TARGET}/verdict`)).finalVerdict.verdict).toBe("fail");
    await open(`#/review?agent=${AGENT}`);
    expect(await page.locator("#page h2").first().textContent()).toBe("Pending review items (2)");
    const target = page.locator(`article.review-item[data-trace=${TARGET}]`);
    expect(await target.locator(".why-queued").textContent()).toBe("queued by a user: check by hand");
    expect(await target.locator("pre.trace-output").textContent()).toBe("Your parcel is on its way, arriving Friday.");
    expect(await target.locator("details.tool-call summary").textContent()).toBe("lookup_order");
    expect(await target.locator(".final-verdict").getAttribute("data-verdict")).toBe("fail");
    const rule = target.locator("table.basis tr[data-kind=rule]");
    expect(await rule.locator("td").allTextContents()).toEqual([
      "says shipped v1",
      "rule",
      "fail",
      "counted",
      "output does not contain `hipped`",
    ]);
    const judged = target.locator("table.basis tr[data-kind=judge]");
    expect(await judged.locator("td").first().textContent()).toBe("helpful v1");
    expect(await judged.locator(".judge-detail").textContent()).toMatch(/^fake-judge · prompt \S+ · samples pass/);

    const hostile = page.locator(`article.review-item[data-trace=${HOSTILE}]`);
    expect(await hostile.locator("pre.trace-output").textContent()).toBe(HOSTILE_OUTPUT);
    await hostile.locator("details.tool-call summary").click();
    const ran = await page.evaluate(() => ({
      xss: window.__flywheelXss ?? null,
      images: document.querySelectorAll("#page img").length,
      scripts: document.querySelectorAll("#page script").length,
    }));
    expect(ran).toEqual({ xss: null, images: 0, scripts: 0 });
    await shot("review-queue");
  });

  it("records a verdict through the form: the item leaves the queue and the failing trace passes", async () => {
    const card = page.locator(`article.review-item[data-trace=${TARGET}]`);
    await card.locator("input[name=verdict][value=pass]").check();
    await card.locator("input[name=reviewer]").fill("ana");
    await card.locator("input[name=note]").fill("on its way is a fine answer");
    await card.locator("button[type=submit]").click();
    const outcome = page.locator("ul.review-outcomes li");
    await outcome.waitFor();
    expect(await outcome.textContent()).toContain(`${TARGET}: Recorded pass by ana. Final verdict fail → pass`);
    expect(await page.locator(`article.review-item[data-trace=${TARGET}]`).count()).toBe(0);
    expect(await page.locator("#page h2").first().textContent()).toBe("Pending review items (1)");
    expect(await page.locator(`article.review-item[data-trace=${HOSTILE}] input[name=reviewer]`).inputValue()).toBe(
      "ana",
    );
    await shot("review-recorded");

    // From the server, not just the page: the item is reviewed and the verdict counted.
    await page.evaluate(() => delete document.body.dataset.ready);
    await page.click("#refresh");
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.locator("article.review-item").count()).toBe(1);
    expect(await page.locator(`article.review-item[data-trace=${HOSTILE}]`).count()).toBe(1);
    const verdict = await call("GET", `/api/traces/${TARGET}/verdict`);
    expect(verdict.finalVerdict).toMatchObject({ verdict: "pass", policy: "human_overrides" });
  });

  it("shows a trace's final verdict and which scores counted", async () => {
    await open(`#/trace/${TARGET}`);
    expect(await page.locator(".final-verdict").getAttribute("data-verdict")).toBe("pass");
    expect(await page.locator(".final-verdict-line").textContent()).toContain("decided by review");
    const human = page.locator("table.basis tr[data-kind=human]");
    expect(await human.getAttribute("class")).toBe("counted");
    expect(await human.locator("td").first().textContent()).toBe("reviewer ana");
    expect(await page.locator(".review-control").textContent()).toContain("Reviewed by ana (pass");

    await open(`#/trace/${INVENTED}`);
    expect(await page.locator(".final-verdict").getAttribute("data-verdict")).toBe("pass");
    const judgeRow = page.locator("table.basis tr[data-kind=judge]");
    expect(await judgeRow.getAttribute("class")).toBe("not-counted");
    expect(await judgeRow.textContent()).toContain("uncalibrated judge: shown, not counted");
    expect(await judgeRow.locator(".judge-detail").textContent()).toMatch(/^fake-judge · prompt \S+ · samples fail/);
    await shot("trace-verdict");
  });

  it("says on the agent page that the judge is uncalibrated, and what its calls cost", async () => {
    await open(`#/agent/${AGENT}`);
    const judgeRow = page.locator("table.agreement tr[data-calibration=uncalibrated]");
    expect(await judgeRow.count()).toBe(1);
    expect(await judgeRow.textContent()).toContain("its failures are shown but not counted (1 of the 3");
    expect(await page.locator("p.notice", { hasText: "uncalibrated" }).count()).toBe(1);
    expect(await page.locator("table.judge-usage tbody tr").count()).toBe(1);
    expect(await page.locator("table.judge-usage tbody tr td").last().textContent()).toMatch(/^\$/);
    await shot("agent-agreement");
  });

  it("ran no script and raised no error", () => {
    expect(pageErrors).toEqual([]);
  });
});
