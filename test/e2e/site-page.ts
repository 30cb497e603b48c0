/**
 * @module Driving the site in the browser tests: screenshots into test-output/ and
 * in-app navigation that waits until a page has drawn its data.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";

// What the in-page callbacks touch, inside the browser (this project compiles without the DOM library).
declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const location: { hash: string };

/** Where the browser tests save their pictures (git-ignored). */
export const SHOTS = path.resolve(import.meta.dirname, "../../test-output");

export function sitePage(page: () => Page) {
  mkdirSync(SHOTS, { recursive: true });
  return {
    async shot(name: string) {
      await page().screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    },
    /** Navigates inside the app and waits until the page has drawn its data. */
    async open(hash: string) {
      await page().evaluate(() => delete document.body.dataset.ready);
      await page().evaluate((h) => {
        location.hash = h;
      }, hash);
      await page().waitForSelector("body[data-ready=true]");
    },
  };
}
