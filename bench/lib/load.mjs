/** @module A thin wrapper over autocannon: fixed concurrency and duration, returns req/s and error counts. */
import autocannon from "autocannon";

/**
 * @param {{ url: string, method?: string, headers?: Record<string,string>, body?: string,
 *   setupRequest?: (req: object) => object, connections?: number, duration?: number }} options
 */
export async function measure(options) {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "GET",
    headers: options.headers,
    body: options.body,
    connections: options.connections ?? 32,
    duration: options.duration ?? 10,
    requests: options.setupRequest ? [{ setupRequest: options.setupRequest }] : undefined,
  });
  const ok = result["2xx"];
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    rps: Math.round(ok / (result.duration || options.duration || 10)),
    ok,
    failed: bad,
    latencyP99Ms: result.latency.p99,
  };
}
