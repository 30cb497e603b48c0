#!/usr/bin/env node
/**
 * @module The local server under `npm start`: the Worker, its Durable Objects and the
 * local D1 and R2, run through wrangler's dev API rather than the `wrangler dev` command.
 *
 * The difference is the inspector. `wrangler dev` always attaches one to the Worker and
 * turns on its network domain, so every `fetch` the Worker makes (a judge call, a call
 * to a candidate's endpoint) becomes DevTools events that a second workerd and wrangler's
 * Node process parse and then drop: measured on an eval run, about 6 ms of CPU per
 * outbound call, six times what the run itself costs. Without an inspector, `console`
 * output still reaches this process's stdout and stderr (workerd's own logs).
 * `npx wrangler dev` remains the way to debug the Worker with DevTools.
 *
 * Outbound fetches also skip miniflare's header-rewriting Worker (lib/direct-outbound.mjs).
 *
 * Options, all required but `--persist-to`: `--port N`, `--persist-to DIR`,
 * `--var NAME:VALUE` (repeatable). Stops cleanly on SIGINT, SIGTERM and SIGHUP.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sendOutboundDirectly } from "./lib/direct-outbound.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const options = { port: undefined, persistTo: undefined, bindings: {} };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === "--port") options.port = Number(argv[++i]);
  else if (arg === "--persist-to") options.persistTo = argv[++i];
  else if (arg === "--var") {
    const pair = argv[++i] ?? "";
    const colon = pair.indexOf(":");
    if (colon < 1) {
      console.error(`--var takes NAME:VALUE, not ${JSON.stringify(pair)}`);
      process.exit(2);
    }
    options.bindings[pair.slice(0, colon)] = { type: "plain_text", value: pair.slice(colon + 1) };
  } else {
    console.error(`Unknown option ${arg}. Options: --port N, --persist-to DIR, --var NAME:VALUE`);
    process.exit(2);
  }
}
if (!Number.isInteger(options.port)) {
  console.error("--port N is required");
  process.exit(2);
}

// Before wrangler loads miniflare: see direct-outbound.mjs.
const outbound = sendOutboundDirectly();
const { unstable_startWorker } = await import("wrangler");
const worker = await unstable_startWorker({
  config: path.join(root, "wrangler.toml"),
  bindings: options.bindings,
  sendMetrics: false,
  // `wrangler dev` derives this from the config's flags; with `nodejs_compat` and a
  // compatibility date after 2024-09-23 it is "v2" (node: built-ins, no polyfills).
  build: { nodejsCompatMode: (config) => (config.compatibility_flags?.includes("nodejs_compat") ? "v2" : null) },
  dev: {
    remote: false,
    server: { hostname: "127.0.0.1", port: options.port },
    inspector: false,
    persist: options.persistTo,
    logLevel: "warn",
    watch: false,
    liveReload: false,
  },
});
await worker.ready;
if (!outbound.applied()) {
  console.warn(
    "Outbound fetches go through miniflare's header-rewriting Worker: wrangler no longer loads miniflare as expected.",
  );
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await worker.dispose();
    process.exit(0);
  });
}
