// Generated from client/src by `npm run build:client`. Do not edit.

// client/src/batcher.ts
var Batcher = class {
  #client;
  #options;
  #queue = [];
  #stats = { buffered: 0, sent: 0, duplicates: 0, rejected: 0, dropped: 0, retries: 0 };
  #inFlight = 0;
  #draining;
  #timer;
  constructor(client, options) {
    this.#client = client;
    this.#options = options;
  }
  stats() {
    return { ...this.#stats, buffered: this.#queue.length + this.#inFlight };
  }
  countRetry() {
    this.#stats.retries++;
  }
  get idle() {
    return this.#queue.length === 0 && !this.#draining;
  }
  add(trace) {
    if (this.#queue.length + this.#inFlight >= this.#options.maxBufferedTraces) {
      this.drop({ reason: "buffer_full", count: 1 });
      return;
    }
    this.#queue.push(trace);
    if (this.#queue.length >= this.#options.batchSize) this.#startDrain();
    else this.#schedule();
  }
  /** Resolves once everything queued before the call was sent or dropped. */
  async flush() {
    while (this.#queue.length > 0 || this.#draining) {
      this.#startDrain();
      await this.#draining;
    }
  }
  stop() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = void 0;
  }
  #schedule() {
    if (this.#timer || this.#draining) return;
    this.#timer = setTimeout(() => {
      this.#timer = void 0;
      this.#startDrain();
    }, this.#options.flushIntervalMs);
    this.#timer.unref?.();
  }
  #startDrain() {
    this.stop();
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = void 0;
      if (this.#queue.length > 0) this.#schedule();
    });
  }
  async #drain() {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.batchSize);
      this.#inFlight = batch.length;
      try {
        this.#count(await this.#client.sendTraces(batch), batch.length);
      } catch (error) {
        this.drop({ reason: "send_failed", count: batch.length, error });
      } finally {
        this.#inFlight = 0;
      }
    }
  }
  #count(result, size) {
    if (!result?.results) {
      this.#stats.sent += result?.accepted ?? size;
      this.#stats.duplicates += result?.duplicates ?? 0;
      return;
    }
    const rejected = result.results.filter((r) => r.status === "rejected");
    this.#stats.sent += result.accepted;
    this.#stats.duplicates += result.duplicates;
    if (rejected.length > 0) {
      this.#stats.rejected += rejected.length;
      this.#safely({ reason: "rejected", count: rejected.length, error: rejected });
    }
  }
  drop(event) {
    this.#stats.dropped += event.count;
    this.#safely(event);
  }
  /** A throwing callback must not break the buffer. */
  #safely(event) {
    try {
      this.#options.onDrop(event);
    } catch {
    }
  }
};

// client/src/context.ts
function findAsyncLocalStorage() {
  const g = globalThis;
  if (g.AsyncLocalStorage) return g.AsyncLocalStorage;
  try {
    return g.process?.getBuiltinModule?.("node:async_hooks")?.AsyncLocalStorage;
  } catch {
    return void 0;
  }
}
function createContextStorage(given) {
  const Als = given ?? findAsyncLocalStorage();
  if (Als) {
    const als = new Als();
    return { getStore: () => als.getStore(), run: (store, fn) => als.run(store, fn), followsAwait: true };
  }
  let current;
  return {
    getStore: () => current,
    run(store, fn) {
      const previous = current;
      current = store;
      try {
        return fn();
      } finally {
        current = previous;
      }
    },
    followsAwait: false
  };
}

// client/src/trace-id.ts
var TRACE_FIELDS = [
  "id",
  "agent",
  "version",
  "input",
  "output",
  "startTime",
  "endTime",
  "status",
  "error",
  "metadata",
  "tags",
  "spans"
];
var SPAN_FIELDS = [
  "id",
  "parentId",
  "type",
  "name",
  "startTime",
  "endTime",
  "status",
  "error",
  "model",
  "provider",
  "usage",
  "input",
  "output",
  "metadata"
];
var USAGE_FIELDS = ["inputTokens", "outputTokens", "totalTokens", "cost"];
var TIME_FIELDS = /* @__PURE__ */ new Set(["startTime", "endTime"]);
function toJsonValue(value) {
  if (value === void 0) return void 0;
  try {
    const text = JSON.stringify(value, (_key, v) => typeof v === "bigint" ? v.toString() : v);
    return text === void 0 ? void 0 : JSON.parse(text);
  } catch {
    const seen = /* @__PURE__ */ new WeakSet();
    const text = JSON.stringify(value, (_key, v) => {
      if (typeof v === "bigint") return v.toString();
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[Circular]";
        seen.add(v);
      }
      return v;
    });
    return text === void 0 ? void 0 : JSON.parse(text);
  }
}
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function normaliseTime(value) {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return new Date(value).toISOString();
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return value;
}
function ordered(source, fields, fill) {
  const out = {};
  const known = new Set(fields);
  for (const key of fields) {
    if (!(key in source)) continue;
    const value = fill(key, source[key]);
    if (value !== void 0) out[key] = value;
  }
  for (const [key, value] of Object.entries(source)) {
    if (!known.has(key) && value !== void 0) out[key] = value;
  }
  return out;
}
function canonicalSpan(span) {
  if (!isPlainObject(span)) return span;
  const withStatus = "status" in span && span.status !== void 0 ? span : { ...span, status: "ok" };
  return ordered(withStatus, SPAN_FIELDS, (key, value) => {
    if (TIME_FIELDS.has(key)) return normaliseTime(value);
    if (key === "usage" && isPlainObject(value)) return ordered(value, USAGE_FIELDS, (_k, v) => v);
    return value;
  });
}
function canonicalTrace(trace) {
  return ordered(trace, TRACE_FIELDS, (key, value) => {
    if (TIME_FIELDS.has(key)) return normaliseTime(value);
    if (key === "spans" && Array.isArray(value)) return value.map(canonicalSpan);
    return value;
  });
}
var HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
async function deriveTraceId(trace) {
  const { id: _ignored, ...content } = canonicalTrace(trace);
  const digest = await sha256(new TextEncoder().encode(JSON.stringify(content)));
  let hex = "";
  for (const byte of digest.subarray(0, 16)) hex += HEX[byte];
  return `t-${hex}`;
}
async function withTraceId(trace) {
  const plain = toJsonValue(trace);
  if (!isPlainObject(plain)) throw new TypeError("A trace must be an object.");
  const canonical = canonicalTrace(plain);
  if (typeof canonical.id === "string") return canonical;
  return { id: await deriveTraceId(canonical), ...canonical };
}

// client/src/http-client.ts
var FlywheelError = class extends Error {
  status;
  code;
  details;
  /** The `Retry-After` header of the answer, when it had one. */
  retryAfter;
  constructor(status, code, message, details) {
    super(`${status} ${code}: ${message}`);
    this.name = "FlywheelError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
};
var RETRYABLE = /* @__PURE__ */ new Set([408, 429, 500, 502, 503, 504]);
var GZIP_MIN_BYTES = 1024;
var FlywheelClient = class {
  baseUrl;
  #apiKey;
  #maxRetries;
  #timeoutMs;
  #backoffMs;
  #maxRetryDelayMs;
  #gzip;
  #fetch;
  #onRetry;
  constructor(options) {
    const baseUrl = options.baseUrl ?? options.url;
    if (!baseUrl) throw new TypeError("Flywheel needs a baseUrl, e.g. http://127.0.0.1:8787");
    if (!options.apiKey) throw new TypeError("Flywheel needs the project's apiKey (create a project to get one).");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#maxRetries = options.maxRetries ?? 8;
    this.#timeoutMs = options.timeoutMs ?? 1e4;
    this.#backoffMs = options.backoffMs ?? 200;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 3e4;
    this.#gzip = options.gzip ?? true;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#onRetry = options.onRetry;
  }
  /**
   * Sends one trace or an array. Resolves with the server's answer once the traces are
   * acknowledged (stored durably); rejects with FlywheelError for input the server
   * refuses (4xx), or after `maxRetries` failed attempts.
   */
  async sendTraces(traces) {
    const payload = Array.isArray(traces) ? await Promise.all(traces.map((t) => withTraceId(t))) : await withTraceId(traces);
    const content = new TextEncoder().encode(JSON.stringify(payload));
    const gzipped = this.#gzip && content.byteLength >= GZIP_MIN_BYTES ? await gzip(content) : void 0;
    const wire = gzipped ?? content;
    const headers = {
      authorization: `Bearer ${this.#apiKey}`,
      "content-type": "application/json",
      // RFC 9530: the digest covers the content as sent, i.e. after gzip.
      "content-digest": `sha-256=:${base64(await sha256(wire))}:`
    };
    if (gzipped) headers["content-encoding"] = "gzip";
    return this.#withRetries(() => this.#request("POST", "/api/traces", headers, wire));
  }
  /** The trace as stored, with its spans and state. */
  async getTrace(id) {
    return this.#withRetries(
      () => this.#request("GET", `/api/traces/${encodeURIComponent(id)}`, { authorization: `Bearer ${this.#apiKey}` })
    );
  }
  async #withRetries(attempt) {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        const retryable = !(err instanceof FlywheelError) || RETRYABLE.has(err.status);
        if (!retryable || i >= this.#maxRetries) throw err;
        this.#onRetry?.(err, i + 1);
        const backoff = this.#backoffMs * 2 ** i * (0.5 + Math.random());
        const asked = err instanceof FlywheelError ? retryAfterMs(err.retryAfter) : void 0;
        const delay = Math.min(this.#maxRetryDelayMs, asked === void 0 ? backoff : Math.max(asked, backoff));
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
  async #request(method, path, headers, body) {
    const res = await this.#fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.#timeoutMs)
    });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : void 0;
    } catch {
      parsed = void 0;
    }
    if (res.ok) return parsed;
    const error = new FlywheelError(
      res.status,
      parsed?.error?.code ?? "http_error",
      parsed?.error?.message ?? (text.slice(0, 200) || res.statusText),
      parsed?.error?.details
    );
    error.retryAfter = res.headers.get("retry-after");
    throw error;
  }
};
function retryAfterMs(header, now = Date.now()) {
  if (!header) return void 0;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1e3;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : void 0;
}
async function gzip(bytes) {
  const Compression = globalThis.CompressionStream;
  if (!Compression) return void 0;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new Compression("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return void 0;
  }
}
function base64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// client/src/recorder.ts
var nowIso = () => (/* @__PURE__ */ new Date()).toISOString();
function errorMessage(error) {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === "string" ? error : String(toJsonValue(error) ?? error);
}
var Scope = class _Scope {
  #state;
  #span;
  #storage;
  constructor(state, span, storage) {
    this.#state = state;
    this.#span = span;
    this.#storage = storage;
  }
  /** The span id, or null for the run itself. */
  get spanId() {
    return this.#span?.id ?? null;
  }
  /** Adds details to this span (model, usage, metadata, output) or, on the run, version, metadata, tags, output. */
  set(details) {
    const target = this.#span ?? this.#state.details;
    const { metadata, ...rest } = details;
    Object.assign(target, rest);
    if (metadata) target.metadata = { ...target.metadata, ...metadata };
  }
  llm(name, input, fn, details) {
    return this.record("llm", name, input, fn, details);
  }
  tool(name, input, fn, details) {
    return this.record("tool", name, input, fn, details);
  }
  retrieval(name, input, fn, details) {
    return this.record("retrieval", name, input, fn, details);
  }
  step(name, input, fn, details) {
    return this.record("step", name, input, fn, details);
  }
  async record(type, name, input, fn, details = {}) {
    const span = {
      id: `s${this.#state.spans.length + 1}`,
      parentId: this.spanId,
      type,
      name,
      startTime: nowIso(),
      status: "ok",
      input: toJsonValue(input)
    };
    this.#state.spans.push(span);
    const scope = new _Scope(this.#state, span, this.#storage);
    scope.set(details);
    try {
      const output = await this.#storage.run(scope, () => fn(scope));
      if (!("output" in span)) span.output = toJsonValue(output);
      return output;
    } catch (error) {
      span.status = "error";
      span.error = errorMessage(error);
      throw error;
    } finally {
      span.endTime = nowIso();
    }
  }
};
function startRun(agent, input, details, storage) {
  const { id, ...runDetails } = details;
  const state = { spans: [], details: { ...runDetails } };
  const startTime = nowIso();
  const recordedInput = toJsonValue(input);
  return {
    scope: new Scope(state, null, storage),
    finish(outcome) {
      const { version, metadata, tags } = state.details;
      const failed = "error" in outcome;
      const { output, error } = outcome;
      return {
        id,
        agent,
        version,
        input: recordedInput,
        output: "output" in state.details ? toJsonValue(state.details.output) : toJsonValue(output),
        startTime,
        endTime: nowIso(),
        status: failed ? "error" : "ok",
        error: failed ? errorMessage(error) : void 0,
        metadata,
        tags,
        spans: state.spans.map((span) => ({ ...span }))
      };
    }
  };
}

// client/src/flywheel.ts
var Flywheel = class {
  client;
  #batcher;
  #storage;
  constructor(options) {
    this.client = new FlywheelClient({
      maxRetries: 5,
      ...options,
      onRetry: (error, attempt) => {
        this.#batcher.countRetry();
        options.onRetry?.(error, attempt);
      }
    });
    this.#batcher = new Batcher(this.client, {
      batchSize: options.batchSize ?? 50,
      flushIntervalMs: options.flushIntervalMs ?? 1e3,
      maxBufferedTraces: options.maxBufferedTraces ?? 1e3,
      onDrop: options.onDrop ?? warnAtMostEveryMinute()
    });
    this.#storage = createContextStorage(options.AsyncLocalStorage);
    if (options.flushOnExit ?? true) flushBeforeExit(this.#batcher);
  }
  /**
   * Wraps an agent function: every call is recorded as one trace of `agent`, with the
   * argument as input (all arguments as an array when there are several), the
   * return value as output, a thrown error as status `error` (and rethrown), and
   * the steps recorded inside it as spans.
   */
  trace(agent, fn, options = {}) {
    return (...args) => this.run(agent, args.length === 1 ? args[0] : args, () => fn(...args), options);
  }
  /**
   * Runs `fn` now as one traced run of `agent` on `input`. `fn` gets the run's
   * handle, whose helpers nest spans explicitly (for runtimes without
   * AsyncLocalStorage); `run.set({ metadata, tags, version, output })` adds details.
   */
  async run(agent, input, fn, options = {}) {
    const recording = startRun(agent, input, options, this.#storage);
    let output;
    try {
      output = await this.#storage.run(recording.scope, () => fn(recording.scope));
    } catch (error) {
      this.#enqueue(() => recording.finish({ error }));
      throw error;
    }
    this.#enqueue(() => recording.finish({ output }));
    return output;
  }
  /** The run or span the calling code is inside, when the runtime can tell (AsyncLocalStorage). */
  current() {
    return this.#storage.getStore();
  }
  /** Records an LLM call inside the current run; outside a run it just calls `fn`. */
  llm = (name, input, fn, details) => this.#inCurrent("llm", name, input, fn, details);
  /** Records a tool call inside the current run; outside a run it just calls `fn`. */
  tool = (name, input, fn, details) => this.#inCurrent("tool", name, input, fn, details);
  /** Records a retrieval inside the current run; outside a run it just calls `fn`. */
  retrieval = (name, input, fn, details) => this.#inCurrent("retrieval", name, input, fn, details);
  /** Records any other step inside the current run; outside a run it just calls `fn`. */
  step = (name, input, fn, details) => this.#inCurrent("step", name, input, fn, details);
  /** Queues a trace built by hand (the native format); the id is derived from its content when absent. */
  send(trace) {
    this.#enqueue(() => trace);
  }
  /** Sends everything buffered; resolves when it is stored or dropped (never rejects). */
  flush() {
    return this.#batcher.flush().catch(() => void 0);
  }
  /** Sends everything buffered and clears the pending send timer: call it when a process or isolate ends. */
  async shutdown() {
    await this.flush();
    this.#batcher.stop();
  }
  /** Counts of what was sent, refused and dropped so far. */
  stats() {
    return this.#batcher.stats();
  }
  #inCurrent(type, name, input, fn, details) {
    const scope = this.#storage.getStore();
    if (scope) return scope.record(type, name, input, fn, details);
    return Promise.resolve().then(() => fn(new Scope({ spans: [], details: {} }, null, this.#storage)));
  }
  /** Recording must never break the agent: a trace that cannot be built is dropped and counted. */
  #enqueue(build) {
    try {
      this.#batcher.add(build());
    } catch (error) {
      this.#batcher.drop({ reason: "unrecordable", count: 1, error });
    }
  }
};
var exitFlushes = /* @__PURE__ */ new Set();
function flushBeforeExit(batcher) {
  const proc = globalThis.process;
  if (typeof proc?.on !== "function" || typeof WeakRef !== "function") return;
  if (exitFlushes.size === 0) {
    proc.on("beforeExit", () => {
      for (const ref of exitFlushes) {
        const live = ref.deref();
        if (!live) exitFlushes.delete(ref);
        else if (!live.idle) void live.flush().catch(() => void 0);
      }
    });
  }
  exitFlushes.add(new WeakRef(batcher));
}
function warnAtMostEveryMinute() {
  let last = 0;
  return (event) => {
    const now = Date.now();
    if (now - last < 6e4) return;
    last = now;
    const why = event.error instanceof Error ? `: ${event.error.message}` : "";
    console.warn(`flywheel: ${event.count} trace(s) not stored (${event.reason})${why}. See flywheel.stats().`);
  };
}
export {
  Flywheel,
  FlywheelClient,
  FlywheelError,
  canonicalTrace,
  deriveTraceId
};
