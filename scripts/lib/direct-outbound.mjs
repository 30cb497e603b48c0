/**
 * @module Outbound fetches straight to the network in the local runtime.
 *
 * By default miniflare sends every `fetch` a Worker makes through an extra Worker of its
 * own, which only deletes `CF-Connecting-IP` and adds `CF-Worker`, before the request
 * leaves workerd. Locally that Worker runs on the same thread as Flywheel's Worker, its
 * Durable Objects and the D1 and R2 simulators: every call to a candidate's endpoint or
 * a judge pays for a second isolate. Measured on an eval run of 1,000 cases, the busiest
 * thread's CPU per case fell from 0.65-0.70 ms to 0.47-0.53 ms without it.
 *
 * Flywheel never forwards a client's request, so there is no client address to strip:
 * its outbound requests are built from scratch (the candidate's input, the judge's
 * prompt). Deployed, Cloudflare's own network handles both headers; this changes only
 * the local server.
 *
 * wrangler's dev API has no option for it, so this hands wrangler a `Miniflare` that
 * sets miniflare's own `stripCfConnectingIp: false` on each Worker that does not choose.
 * It must run before wrangler is first imported. `applied()` says whether wrangler
 * built its runtime through it: a wrangler that stops loading miniflare this way only
 * loses the saving.
 */
import { createRequire } from "node:module";

export function sendOutboundDirectly() {
  let miniflare;
  let cached;
  try {
    const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
    miniflare = fromWrangler("miniflare");
    cached = fromWrangler.cache[fromWrangler.resolve("miniflare")];
  } catch {
    // Not loadable as wrangler loads it: the server starts as it is, through the extra Worker.
  }
  if (!cached || typeof miniflare?.Miniflare !== "function") return { applied: () => false };
  let built = 0;
  const direct = (options) =>
    options?.workers
      ? { ...options, workers: options.workers.map((worker) => ({ stripCfConnectingIp: false, ...worker })) }
      : options;
  class DirectOutboundMiniflare extends miniflare.Miniflare {
    constructor(options) {
      super(direct(options));
      built++;
    }
    setOptions(options) {
      return super.setOptions(direct(options));
    }
  }
  cached.exports = { ...miniflare, Miniflare: DirectOutboundMiniflare };
  return { applied: () => built > 0 };
}
