/**
 * @module Pictures of the site: starts Flywheel on a free port with throwaway state, sends
 * the demo data of `scripts/lib/site-demo.mjs` through the API, signs in with headless
 * Chromium and saves one screenshot per page in test-output/ (git-ignored); `--docs` also
 * copies them over the README's pictures in docs/.
 *
 *   node scripts/site-screenshots.mjs [--docs] [--chromium /usr/bin/chromium] [--keep]
 *
 * Needs Debian's `chromium` (playwright-core drives it; no browser is downloaded).
 * `--keep` leaves the server running and prints the site's URL (stop it with Ctrl-C).
 */
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { createProject, startServer } from "../bench/lib/server.mjs";
import { AGENT, HOSTILE_TRACE_ID, seedSiteDemo } from "./lib/site-demo.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    docs: { type: "boolean", default: false },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    keep: { type: "boolean", default: false },
  },
});

/**
 * Each page's picture is its top `height` pixels (900 unless given), so the README's pictures
 * stay small while showing what its text describes.
 * @param {{ evalRunId: string }} seeded
 */
const pages = (seeded) => [
  { name: "overview", hash: "#/" },
  { name: "agent", hash: `#/agent/${AGENT}`, height: 1200 },
  { name: "trace", hash: `#/trace/${HOSTILE_TRACE_ID}` },
  { name: "dataset", hash: `#/dataset/agent:${AGENT}` },
  { name: "review", hash: "#/review" },
  { name: "iterations", hash: `#/iterations/${AGENT}` },
  { name: "eval-run", hash: `#/eval-run/${seeded.evalRunId}`, height: 1100 },
];

const server = await startServer();
try {
  const { apiKey } = await createProject(server, "site-demo");
  const seeded = await seedSiteDemo(server.url, apiKey, (line) => console.log(line));
  if (args.keep) {
    console.log(`site: ${server.url}/ (key ${apiKey}); server stays up, Ctrl-C stops it`);
    await new Promise((resolve) => process.once("SIGINT", resolve));
  } else {
    const out = path.join(root, "test-output");
    mkdirSync(out, { recursive: true });
    const browser = await chromium.launch({ executablePath: args.chromium, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${server.url}/`);
      await page.fill("#key-input", apiKey);
      await page.click("#key-form button[type=submit]");
      for (const { name, hash, height = 900 } of pages(seeded)) {
        await page.evaluate((h) => {
          delete document.body.dataset.ready;
          location.hash = h;
        }, hash);
        await page.waitForSelector(`body[data-ready=true]`);
        const file = path.join(out, `${name}.png`);
        await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: 1280, height } });
        if (args.docs) copyFileSync(file, path.join(root, "docs", `${name}.png`));
        console.log(`wrote ${file}${args.docs ? ` and docs/${name}.png` : ""}`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.stop();
}
