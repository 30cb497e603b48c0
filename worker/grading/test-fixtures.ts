/**
 * @module Traces and grader versions for the grading tests.
 */
import type { Span, Trace } from "../domain/trace";
import type { GraderDefinitionInput, GraderVersion } from "./definitions";

let nextVersion = 1;

/** A grader version around `definition`, with a fresh id unless one is given. */
export function graderOf(
  definition: GraderDefinitionInput,
  graderId = `g${nextVersion}`,
  version = nextVersion++,
): GraderVersion {
  return { graderId, version, name: graderId, definition };
}

export function span(overrides: Partial<Span> & Pick<Span, "id" | "type" | "name">): Span {
  return { status: "ok", ...overrides } as Span;
}

/** A refund-bot trace: one LLM call, one tool call, 1.5 s long. */
export function makeTrace(overrides: Partial<Trace> = {}): Trace {
  return {
    id: "run-1",
    agent: "support-bot",
    version: "prompt-v3",
    input: "Where is my order A17?",
    output: "Your order A17 has shipped and arrives Friday.",
    startTime: "2026-11-26T10:00:00.000Z",
    endTime: "2026-11-26T10:00:01.500Z",
    status: "ok",
    error: null,
    metadata: { user: "u1", reference: "Your order A17 has shipped and arrives Friday." },
    tags: ["beta"],
    spans: [
      span({
        id: "s1",
        type: "llm",
        name: "chat gpt-4o-mini",
        model: "gpt-4o-mini",
        startTime: "2026-11-26T10:00:00.100Z",
        endTime: "2026-11-26T10:00:00.900Z",
        usage: { inputTokens: 120, outputTokens: 30, cost: 0.0004 },
      }),
      span({
        id: "s2",
        parentId: "s1",
        type: "tool",
        name: "lookup_order",
        startTime: "2026-11-26T10:00:00.950Z",
        endTime: "2026-11-26T10:00:01.200Z",
        input: { orderId: "A17", options: { express: true } },
        output: { state: "shipped" },
      }),
    ],
    ...overrides,
  } as Trace;
}
