// Generated from client/src by `npm run build:client`. Do not edit.
/**
 * @module Recording one run of an agent: the run and its spans as the native trace
 * format has them. Span ids are `s1`, `s2`, ... in start order, so identical runs
 * give identical traces (and so the same content-derived id).
 */
import type { ContextStorage } from "./context.js";
export type SpanType = "llm" | "tool" | "retrieval" | "step" | "agent";
export interface Usage {
    inputTokens?: number;
    outputTokens?: number;
    totalTokens?: number;
    /** US dollars. */
    cost?: number;
}
/** What a span can carry besides its name, input and output. */
export interface SpanDetails {
    model?: string;
    provider?: string;
    usage?: Usage;
    metadata?: Record<string, unknown>;
    /** Replaces the recorded output (by default the callback's return value). */
    output?: unknown;
}
export interface SpanRecord extends Omit<SpanDetails, "output"> {
    id: string;
    parentId: string | null;
    type: SpanType;
    name: string;
    startTime: string;
    endTime?: string;
    status: "ok" | "error";
    error?: string;
    input?: unknown;
    output?: unknown;
}
/** What a run can carry besides input and output. */
export interface RunDetails {
    version?: string;
    metadata?: Record<string, unknown>;
    tags?: string[];
    /** Replaces the recorded output (by default the agent's return value). */
    output?: unknown;
}
interface RunState {
    spans: SpanRecord[];
    details: RunDetails;
}
export declare const nowIso: () => string;
export declare function errorMessage(error: unknown): string;
/**
 * A place to record steps: the run itself or a span inside it. Each helper runs
 * `fn`, records its input, output (or thrown error) and timing, and returns (or
 * rethrows) what `fn` did, so wrapping a call never changes what the agent sees.
 */
export declare class Scope {
    #private;
    constructor(state: RunState, span: SpanRecord | null, storage: ContextStorage<Scope>);
    /** The span id, or null for the run itself. */
    get spanId(): string | null;
    /** Adds details to this span (model, usage, metadata, output) or, on the run, version, metadata, tags, output. */
    set(details: SpanDetails & RunDetails): void;
    llm<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>>;
    tool<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>>;
    retrieval<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>>;
    step<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>>;
    record<R>(type: SpanType, name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>>;
}
export interface RecordedRun {
    scope: Scope;
    /** The native trace of the run, once it ended. */
    finish(outcome: {
        output?: unknown;
        error?: unknown;
    }): Record<string, unknown>;
}
/** Starts recording a run of `agent` on `input` now. */
export declare function startRun(agent: string, input: unknown, details: RunDetails & {
    id?: string;
}, storage: ContextStorage<Scope>): RecordedRun;
export {};
