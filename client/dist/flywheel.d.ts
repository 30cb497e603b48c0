// Generated from client/src by `npm run build:client`. Do not edit.
/**
 * @module `Flywheel`: trace an agent with a few lines. `trace(agent, fn)` wraps an
 * agent function and records each call (input, output or thrown error, latency)
 * with the steps inside it (`llm`, `tool`, `retrieval`, `step`); traces are batched
 * and sent in the background, and Flywheel being down never blocks or breaks the
 * agent: the buffer is bounded, and what it drops is counted (`stats()`, `onDrop`).
 */
import { type DropEvent, type FlywheelStats } from "./batcher.js";
import { type AsyncLocalStorageClass } from "./context.js";
import { FlywheelClient, type FlywheelClientOptions } from "./http-client.js";
import { type RunDetails, Scope, type SpanDetails } from "./recorder.js";
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
export declare class Flywheel {
    #private;
    readonly client: FlywheelClient;
    constructor(options: FlywheelOptions);
    /**
     * Wraps an agent function: every call is recorded as one trace of `agent`, with the
     * argument as input (all arguments as an array when there are several), the
     * return value as output, a thrown error as status `error` (and rethrown), and
     * the steps recorded inside it as spans.
     */
    trace<A extends unknown[], R>(agent: string, fn: (...args: A) => R, options?: TraceOptions): (...args: A) => Promise<Awaited<R>>;
    /**
     * Runs `fn` now as one traced run of `agent` on `input`. `fn` gets the run's
     * handle, whose helpers nest spans explicitly (for runtimes without
     * AsyncLocalStorage); `run.set({ metadata, tags, version, output })` adds details.
     */
    run<R>(agent: string, input: unknown, fn: (run: Scope) => R, options?: TraceOptions): Promise<Awaited<R>>;
    /** The run or span the calling code is inside, when the runtime can tell (AsyncLocalStorage). */
    current(): Scope | undefined;
    /** Records an LLM call inside the current run; outside a run it just calls `fn`. */
    llm: Helper;
    /** Records a tool call inside the current run; outside a run it just calls `fn`. */
    tool: Helper;
    /** Records a retrieval inside the current run; outside a run it just calls `fn`. */
    retrieval: Helper;
    /** Records any other step inside the current run; outside a run it just calls `fn`. */
    step: Helper;
    /** Queues a trace built by hand (the native format); the id is derived from its content when absent. */
    send(trace: Record<string, unknown>): void;
    /** Sends everything buffered; resolves when it is stored or dropped (never rejects). */
    flush(): Promise<void>;
    /** Sends everything buffered and clears the pending send timer: call it when a process or isolate ends. */
    shutdown(): Promise<void>;
    /** Counts of what was sent, refused and dropped so far. */
    stats(): FlywheelStats;
}
export {};
