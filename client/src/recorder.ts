/**
 * @module Recording one run of an agent: the run and its spans as the native trace
 * format has them. Span ids are `s1`, `s2`, ... in start order, so identical runs
 * give identical traces (and so the same content-derived id).
 */
import type { ContextStorage } from "./context.js";
import { toJsonValue } from "./trace-id.js";

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

export const nowIso = (): string => new Date().toISOString();

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === "string" ? error : String(toJsonValue(error) ?? error);
}

/**
 * A place to record steps: the run itself or a span inside it. Each helper runs
 * `fn`, records its input, output (or thrown error) and timing, and returns (or
 * rethrows) what `fn` did, so wrapping a call never changes what the agent sees.
 */
export class Scope {
  readonly #state: RunState;
  readonly #span: SpanRecord | null;
  readonly #storage: ContextStorage<Scope>;

  constructor(state: RunState, span: SpanRecord | null, storage: ContextStorage<Scope>) {
    this.#state = state;
    this.#span = span;
    this.#storage = storage;
  }

  /** The span id, or null for the run itself. */
  get spanId(): string | null {
    return this.#span?.id ?? null;
  }

  /** Adds details to this span (model, usage, metadata, output) or, on the run, version, metadata, tags, output. */
  set(details: SpanDetails & RunDetails): void {
    const target = this.#span ?? this.#state.details;
    const { metadata, ...rest } = details;
    Object.assign(target, rest);
    if (metadata) target.metadata = { ...target.metadata, ...metadata };
  }

  llm<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>> {
    return this.record("llm", name, input, fn, details);
  }

  tool<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>> {
    return this.record("tool", name, input, fn, details);
  }

  retrieval<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>> {
    return this.record("retrieval", name, input, fn, details);
  }

  step<R>(name: string, input: unknown, fn: (span: Scope) => R, details?: SpanDetails): Promise<Awaited<R>> {
    return this.record("step", name, input, fn, details);
  }

  async record<R>(
    type: SpanType,
    name: string,
    input: unknown,
    fn: (span: Scope) => R,
    details: SpanDetails = {},
  ): Promise<Awaited<R>> {
    const span: SpanRecord = {
      id: `s${this.#state.spans.length + 1}`,
      parentId: this.spanId,
      type,
      name,
      startTime: nowIso(),
      status: "ok",
      input: toJsonValue(input),
    };
    this.#state.spans.push(span);
    const scope = new Scope(this.#state, span, this.#storage);
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
}

export interface RecordedRun {
  scope: Scope;
  /** The native trace of the run, once it ended. */
  finish(outcome: { output?: unknown; error?: unknown }): Record<string, unknown>;
}

/** Starts recording a run of `agent` on `input` now. */
export function startRun(
  agent: string,
  input: unknown,
  details: RunDetails & { id?: string },
  storage: ContextStorage<Scope>,
): RecordedRun {
  const { id, ...runDetails } = details;
  const state: RunState = { spans: [], details: { ...runDetails } };
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
        error: failed ? errorMessage(error) : undefined,
        metadata,
        tags,
        spans: state.spans.map((span) => ({ ...span })),
      };
    },
  };
}
