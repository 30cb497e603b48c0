/**
 * @module The HTTP side of the client: `POST /api/traces` with an RFC 9530
 * `Content-Digest` over the bytes on the wire (so a body altered in transit is
 * refused, not stored), gzip where the runtime has `CompressionStream`, and retries
 * on network errors, timeouts, 408, 429 and 5xx that honour `Retry-After`. Every
 * trace has its id before the first attempt, so retries are idempotent.
 */
import { sha256, withTraceId } from "./trace-id.js";

export class FlywheelError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  /** The `Retry-After` header of the answer, when it had one. */
  retryAfter?: string | null;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(`${status} ${code}: ${message}`);
    this.name = "FlywheelError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface FlywheelClientOptions {
  /** Where Flywheel runs, e.g. `http://127.0.0.1:8787`. (`url` is accepted too.) */
  baseUrl?: string;
  url?: string;
  /** The project's API key (`fw_...`). */
  apiKey: string;
  /** Attempts after the first one for network errors, timeouts, 408, 429 and 5xx. Default 8. */
  maxRetries?: number;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  /** First backoff delay, doubled per attempt with jitter. Default 200 ms. */
  backoffMs?: number;
  /** Longest wait between attempts, whatever `Retry-After` asks. Default 30 s. */
  maxRetryDelayMs?: number;
  /** Compress bodies over 1 KiB with gzip when `CompressionStream` exists. Default true. */
  gzip?: boolean;
  fetch?: typeof fetch;
  /** Called before each retry, e.g. to count them. */
  onRetry?: (error: unknown, attempt: number) => void;
}

export interface TraceResult {
  index: number;
  id?: string;
  status: "created" | "duplicate" | "rejected";
  error?: { code: string; message: string };
}

export interface IngestResult {
  id?: string;
  status?: "created" | "duplicate";
  results?: TraceResult[];
  accepted: number;
  duplicates: number;
  rejected: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
const GZIP_MIN_BYTES = 1024;

export class FlywheelClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #gzip: boolean;
  readonly #fetch: typeof fetch;
  readonly #onRetry?: (error: unknown, attempt: number) => void;

  constructor(options: FlywheelClientOptions) {
    const baseUrl = options.baseUrl ?? options.url;
    if (!baseUrl) throw new TypeError("Flywheel needs a baseUrl, e.g. http://127.0.0.1:8787");
    if (!options.apiKey) throw new TypeError("Flywheel needs the project's apiKey (create a project to get one).");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#maxRetries = options.maxRetries ?? 8;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#backoffMs = options.backoffMs ?? 200;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#gzip = options.gzip ?? true;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#onRetry = options.onRetry;
  }

  /**
   * Sends one trace or an array. Resolves with the server's answer once the traces are
   * acknowledged (stored durably); rejects with FlywheelError for input the server
   * refuses (4xx), or after `maxRetries` failed attempts.
   */
  async sendTraces(traces: object | object[]): Promise<IngestResult> {
    const payload = Array.isArray(traces)
      ? await Promise.all(traces.map((t) => withTraceId(t)))
      : await withTraceId(traces);
    const content = new TextEncoder().encode(JSON.stringify(payload));
    const gzipped = this.#gzip && content.byteLength >= GZIP_MIN_BYTES ? await gzip(content) : undefined;
    const wire = gzipped ?? content;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      "content-type": "application/json",
      // RFC 9530: the digest covers the content as sent, i.e. after gzip.
      "content-digest": `sha-256=:${base64(await sha256(wire))}:`,
    };
    if (gzipped) headers["content-encoding"] = "gzip";
    return this.#withRetries(() => this.#request("POST", "/api/traces", headers, wire)) as Promise<IngestResult>;
  }

  /** The trace as stored, with its spans and state. */
  async getTrace(id: string): Promise<Record<string, unknown> & { id: string; state: string }> {
    return this.#withRetries(() =>
      this.#request("GET", `/api/traces/${encodeURIComponent(id)}`, { authorization: `Bearer ${this.#apiKey}` }),
    ) as Promise<Record<string, unknown> & { id: string; state: string }>;
  }

  async #withRetries(attempt: () => Promise<unknown>): Promise<unknown> {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        const retryable = !(err instanceof FlywheelError) || RETRYABLE.has(err.status);
        if (!retryable || i >= this.#maxRetries) throw err;
        this.#onRetry?.(err, i + 1);
        const backoff = this.#backoffMs * 2 ** i * (0.5 + Math.random());
        const asked = err instanceof FlywheelError ? retryAfterMs(err.retryAfter) : undefined;
        const delay = Math.min(this.#maxRetryDelayMs, asked === undefined ? backoff : Math.max(asked, backoff));
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async #request(method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<unknown> {
    const res = await this.#fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body as Uint8Array<ArrayBuffer> | undefined,
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await res.text();
    let parsed: { error?: { code?: string; message?: string; details?: unknown } } | undefined;
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

/** `Retry-After` is either delay seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  const Compression = (globalThis as { CompressionStream?: typeof CompressionStream }).CompressionStream;
  if (!Compression) return undefined;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new Compression("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
