/**
 * @module Flywheel's client for sending traces with plain `fetch` (Node 18+, Deno,
 * Bun, browsers, Workers). Every request carries an RFC 9530 `Content-Digest`, so a
 * body altered in transit is refused instead of stored; every trace gets an id
 * before the first attempt, so retries after a timeout or a 5xx are idempotent.
 */

export class FlywheelError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {unknown} [details] */
  constructor(status, code, message, details) {
    super(`${status} ${code}: ${message}`);
    this.name = "FlywheelError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

export class FlywheelClient {
  /**
   * @param {{ baseUrl: string, apiKey: string, maxRetries?: number, timeoutMs?: number,
   *   backoffMs?: number, fetch?: typeof fetch }} options
   */
  constructor(options) {
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.apiKey = options.apiKey;
    this.maxRetries = options.maxRetries ?? 8;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffMs = options.backoffMs ?? 200;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * Sends one trace or an array. Resolves with the server's answer once the traces are
   * acknowledged (stored durably); rejects with FlywheelError for input the server
   * refuses (4xx), or after `maxRetries` failed attempts.
   * @param {object | object[]} traces
   */
  async sendTraces(traces) {
    const list = Array.isArray(traces) ? traces : [traces];
    for (const trace of list) trace.id ??= globalThis.crypto.randomUUID();
    const body = JSON.stringify(traces);
    const bytes = new TextEncoder().encode(body);
    const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
    const headers = {
      authorization: `Bearer ${this.apiKey}`,
      "content-type": "application/json",
      "content-digest": `sha-256=:${base64(new Uint8Array(digest))}:`,
    };
    return this.#withRetries(() => this.#request("POST", "/api/traces", headers, bytes));
  }

  /** @param {string} id */
  async getTrace(id) {
    return this.#withRetries(() =>
      this.#request("GET", `/api/traces/${encodeURIComponent(id)}`, { authorization: `Bearer ${this.apiKey}` }),
    );
  }

  async #withRetries(attempt) {
    let lastError;
    for (let i = 0; i <= this.maxRetries; i++) {
      try {
        return await attempt();
      } catch (err) {
        lastError = err;
        const retryable = !(err instanceof FlywheelError) || RETRYABLE.has(err.status);
        if (!retryable || i === this.maxRetries) throw err;
        const retryAfter = err instanceof FlywheelError ? Number(err.retryAfter) * 1000 : NaN;
        const backoff = this.backoffMs * 2 ** i * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, Number.isFinite(retryAfter) ? Math.max(retryAfter, backoff) : backoff));
      }
    }
    throw lastError;
  }

  async #request(method, path, headers, body) {
    const res = await this.fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) return parsed;
    const error = new FlywheelError(
      res.status,
      parsed?.error?.code ?? "http_error",
      parsed?.error?.message ?? (text.slice(0, 200) || res.statusText),
      parsed?.error?.details,
    );
    error.retryAfter = res.headers.get("retry-after");
    throw error;
  }
}

function base64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
}
