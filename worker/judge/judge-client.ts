/**
 * @module The judge's HTTP adapter: one OpenAI-compatible `POST {baseUrl}/chat/completions`
 * per call, via `fetch`. Each call has a timeout; 429s, 5xx answers, timeouts and dropped
 * connections are retried with exponential backoff (honouring `Retry-After`), and at most
 * `concurrency` calls are in flight. When retries run out the call throws
 * {@link JudgeUnavailableError}: the caller leaves the window pending so it is graded later,
 * never passed or failed on a judge that could not be asked.
 */
import type { ChatMessage } from "./prompt";

export interface JudgeCall {
  baseUrl: string;
  model: string;
  temperature: number;
  messages: ChatMessage[];
  /** JSON Schema of the answer, sent as `response_format` where the endpoint accepts it. */
  answerSchema: Record<string, unknown>;
}

export interface JudgeReply {
  text: string;
  inputTokens: number;
  outputTokens: number;
}

export interface JudgeClientOptions {
  apiKey?: string;
  timeoutMs: number;
  maxAttempts: number;
  concurrency: number;
  /** First backoff; doubled per attempt. */
  backoffMs?: number;
  /** Longest `Retry-After` honoured in-line; a longer one gives up so the window retries later. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** The judge endpoint could not be reached or kept failing: retry the whole window later. */
export class JudgeUnavailableError extends Error {
  override name = "JudgeUnavailableError";
}

/** Endpoints that refused `response_format`; asked with the tolerant parse only from then on. */
const noResponseFormat = new Set<string>();

export class JudgeClient {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: JudgeClientOptions) {
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Makes the call once a slot is free. `skip`, asked when the slot is taken, may give a
   * reason not to make it after all (the endpoint just failed for another call): the call
   * then throws {@link JudgeUnavailableError} without a request.
   */
  async complete(call: JudgeCall, options: { skip?: () => string | null } = {}): Promise<JudgeReply> {
    await this.acquire();
    try {
      const reason = options.skip?.();
      if (reason) throw new JudgeUnavailableError(reason);
      return await this.withRetries(call);
    } finally {
      this.release();
    }
  }

  private async withRetries(call: JudgeCall): Promise<JudgeReply> {
    const { maxAttempts, backoffMs = 500, maxRetryAfterMs = 60_000 } = this.options;
    let lastProblem = "";
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const outcome = await this.attempt(call);
      if ("reply" in outcome) return outcome.reply;
      lastProblem = outcome.problem;
      if (!outcome.retry || attempt === maxAttempts - 1) break;
      const backoff = backoffMs * 2 ** attempt;
      const wait = outcome.retryAfterMs ?? backoff;
      if (wait > maxRetryAfterMs) {
        lastProblem += ` (asked to wait ${Math.ceil(wait / 1000)} s)`;
        break;
      }
      await this.sleep(wait);
    }
    throw new JudgeUnavailableError(`judge endpoint ${call.baseUrl} unavailable: ${lastProblem}`);
  }

  private async attempt(
    call: JudgeCall,
  ): Promise<{ reply: JudgeReply } | { problem: string; retry: boolean; retryAfterMs?: number }> {
    const url = `${call.baseUrl.replace(/\/+$/, "")}/chat/completions`;
    const withFormat = !noResponseFormat.has(call.baseUrl);
    const body = {
      model: call.model,
      temperature: call.temperature,
      messages: call.messages,
      ...(withFormat
        ? { response_format: { type: "json_schema", json_schema: { name: "verdict", schema: call.answerSchema } } }
        : {}),
    };
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      return {
        problem: timedOut ? `no answer within ${this.options.timeoutMs} ms` : `connection failed (${describe(err)})`,
        retry: true,
      };
    }
    if (res.status === 400 && withFormat) {
      const text = await res.text().catch(() => "");
      if (/response_format|json_schema/i.test(text)) {
        noResponseFormat.add(call.baseUrl);
        return { problem: "endpoint refused response_format", retry: true, retryAfterMs: 0 };
      }
      return { problem: `HTTP 400: ${text.slice(0, 200)}`, retry: false };
    }
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel();
      return {
        problem: `HTTP ${res.status}`,
        retry: true,
        retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
      };
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      return { problem: `HTTP ${res.status}: ${text.slice(0, 200)}`, retry: false };
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch (err) {
      return { problem: `the response was not JSON (${describe(err)})`, retry: true };
    }
    const reply = readCompletion(json);
    return reply ? { reply } : { problem: "the response had no choices[0].message.content", retry: true };
  }

  private async acquire(): Promise<void> {
    if (this.active < Math.max(1, this.options.concurrency)) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function readCompletion(json: unknown): JudgeReply | undefined {
  const body = json as {
    choices?: { message?: { content?: unknown } }[];
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  };
  const content = body?.choices?.[0]?.message?.content;
  if (typeof content !== "string") return undefined;
  const tokens = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  return {
    text: content,
    inputTokens: tokens(body.usage?.prompt_tokens),
    outputTokens: tokens(body.usage?.completion_tokens),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
