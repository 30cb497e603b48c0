/**
 * @module `Flywheel`: trace an agent with a few lines. `trace(agent, fn)` wraps an
 * agent function and records each call (input, output or thrown error, latency)
 * with the steps inside it (`llm`, `tool`, `retrieval`, `step`); traces are batched
 * and sent in the background, and Flywheel being down never blocks or breaks the
 * agent: the buffer is bounded, and what it drops is counted (`stats()`, `onDrop`).
 */
import { Batcher, type DropEvent, type FlywheelStats } from "./batcher.js";
import { type AsyncLocalStorageClass, type ContextStorage, createContextStorage } from "./context.js";
import { FlywheelClient, type FlywheelClientOptions } from "./http-client.js";
import { type RunDetails, Scope, type SpanDetails, startRun } from "./recorder.js";

export interface FlywheelOptions extends FlywheelClientOptions {
  /** Traces per request. Default 50 (the server takes up to 500). */
  batchSize?: number;
  /** Longest a trace waits in the buffer before a send starts. Default 1 s. */
  flushIntervalMs?: number;
  /** Traces held at most while Flywheel is slow or down; more are dropped. Default 1000. */
  maxBufferedTraces?: number;
  /** Told about every trace lost or refused. Default: one warning a minute on the console. */
  onDrop?: (event: DropEvent) => void;
  /** Send what is buffered when Node is about to exit (`beforeExit`). Default true. */
  flushOnExit?: boolean;
  /** `AsyncLocalStorage` to use where it is not found on its own (Workers: import it from `node:async_hooks`). */
  AsyncLocalStorage?: AsyncLocalStorageClass;
}

/** Options of one traced run. */
export interface TraceOptions extends Omit<RunDetails, "output"> {
  /** The trace id; by default derived from the trace's content, as the server does. */
  id?: string;
}

type Helper = <R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails) => Promise<Awaited<R>>;

export class Flywheel {
  readonly client: FlywheelClient;
  readonly #batcher: Batcher;
  readonly #storage: ContextStorage<Scope>;

  constructor(options: FlywheelOptions) {
    this.client = new FlywheelClient({
      maxRetries: 5,
      ...options,
      onRetry: (error, attempt) => {
        this.#batcher.countRetry();
        options.onRetry?.(error, attempt);
      },
    });
    this.#batcher = new Batcher(this.client, {
      batchSize: options.batchSize ?? 50,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxBufferedTraces: options.maxBufferedTraces ?? 1000,
      onDrop: options.onDrop ?? warnAtMostEveryMinute(),
    });
    this.#storage = createContextStorage<Scope>(options.AsyncLocalStorage);
    if (options.flushOnExit ?? true) flushBeforeExit(this.#batcher);
  }

  /**
   * Wraps an agent function: every call is recorded as one trace of `agent`, with the
   * argument as input (all arguments as an array when there are several), the
   * return value as output, a thrown error as status `error` (and rethrown), and
   * the steps recorded inside it as spans.
   */
  trace<A extends unknown[], R>(
    agent: string,
    fn: (...args: A) => R,
    options: TraceOptions = {},
  ): (...args: A) => Promise<Awaited<R>> {
    return (...args: A) => this.run(agent, args.length === 1 ? args[0] : args, () => fn(...args), options);
  }

  /**
   * Runs `fn` now as one traced run of `agent` on `input`. `fn` gets the run's
   * handle, whose helpers nest spans explicitly (for runtimes without
   * AsyncLocalStorage); `run.set({ metadata, tags, version, output })` adds details.
   */
  async run<R>(agent: string, input: unknown, fn: (run: Scope) => R, options: TraceOptions = {}): Promise<Awaited<R>> {
    const recording = startRun(agent, input, options, this.#storage);
    let output: Awaited<R>;
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
  current(): Scope | undefined {
    return this.#storage.getStore();
  }

  /** Records an LLM call inside the current run; outside a run it just calls `fn`. */
  llm: Helper = (name, input, fn, details) => this.#inCurrent("llm", name, input, fn, details);
  /** Records a tool call inside the current run; outside a run it just calls `fn`. */
  tool: Helper = (name, input, fn, details) => this.#inCurrent("tool", name, input, fn, details);
  /** Records a retrieval inside the current run; outside a run it just calls `fn`. */
  retrieval: Helper = (name, input, fn, details) => this.#inCurrent("retrieval", name, input, fn, details);
  /** Records any other step inside the current run; outside a run it just calls `fn`. */
  step: Helper = (name, input, fn, details) => this.#inCurrent("step", name, input, fn, details);

  /** Queues a trace built by hand (the native format); the id is derived from its content when absent. */
  send(trace: Record<string, unknown>): void {
    this.#enqueue(() => trace);
  }

  /** Sends everything buffered; resolves when it is stored or dropped (never rejects). */
  flush(): Promise<void> {
    return this.#batcher.flush().catch(() => undefined);
  }

  /** Sends everything buffered and clears the pending send timer: call it when a process or isolate ends. */
  async shutdown(): Promise<void> {
    await this.flush();
    this.#batcher.stop();
  }

  /** Counts of what was sent, refused and dropped so far. */
  stats(): FlywheelStats {
    return this.#batcher.stats();
  }

  #inCurrent<R>(
    type: "llm" | "tool" | "retrieval" | "step",
    name: string,
    input: unknown,
    fn: (span: Scope) => R,
    details?: SpanDetails,
  ): Promise<Awaited<R>> {
    const scope = this.#storage.getStore();
    if (scope) return scope.record(type, name, input, fn, details);
    // No run to record into: behave exactly as the plain call would.
    return Promise.resolve().then(() => fn(new Scope({ spans: [], details: {} }, null, this.#storage))) as Promise<
      Awaited<R>
    >;
  }

  /** Recording must never break the agent: a trace that cannot be built is dropped and counted. */
  #enqueue(build: () => Record<string, unknown>): void {
    try {
      this.#batcher.add(build());
    } catch (error) {
      this.#batcher.drop({ reason: "unrecordable", count: 1, error });
    }
  }
}

/**
 * Node fires `beforeExit` when the event loop is empty, and again after any work a
 * listener starts, so flushing there sends what is buffered and then exits. One
 * listener serves every instance; weak references let unused instances go.
 */
const exitFlushes = new Set<WeakRef<Batcher>>();
function flushBeforeExit(batcher: Batcher): void {
  const proc = (globalThis as { process?: { on?: (event: string, fn: () => void) => void } }).process;
  if (typeof proc?.on !== "function" || typeof WeakRef !== "function") return;
  if (exitFlushes.size === 0) {
    proc.on("beforeExit", () => {
      for (const ref of exitFlushes) {
        const live = ref.deref();
        if (!live) exitFlushes.delete(ref);
        else if (!live.idle) void live.flush().catch(() => undefined);
      }
    });
  }
  exitFlushes.add(new WeakRef(batcher));
}

function warnAtMostEveryMinute(): (event: DropEvent) => void {
  let last = 0;
  return (event) => {
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    const why = event.error instanceof Error ? `: ${event.error.message}` : "";
    console.warn(`flywheel: ${event.count} trace(s) not stored (${event.reason})${why}. See flywheel.stats().`);
  };
}
