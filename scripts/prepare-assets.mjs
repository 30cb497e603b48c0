/**
 * @module Copies the browser files the static site needs from node_modules into
 * web/public/vendor (not committed), so the API reference page works offline.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export function prepareAssets(root) {
  const require = createRequire(path.join(root, "package.json"));
  const swaggerDir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  const vendor = path.join(root, "web", "public", "vendor", "swagger-ui");
  mkdirSync(vendor, { recursive: true });
  for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
    const from = path.join(swaggerDir, file);
    const to = path.join(vendor, file);
    // Rewriting an unchanged file makes every running `wrangler dev` reload its assets.
    if (existsSync(to) && statSync(to).size === statSync(from).size) continue;
    copyFileSync(from, to);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  prepareAssets(path.resolve(path.dirname(new URL(import.meta.url).pathname), ".."));
}
