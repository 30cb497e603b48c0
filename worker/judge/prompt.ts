/**
 * @module Rendering a judge's rubric and the parts of a trace it sees into chat messages.
 * Pure and deterministic, because the rendered prompt is the cache key: the same judge
 * version and the same trace must render byte-for-byte the same prompt. Parts that do not
 * fit the size cap are cut with a visible marker, so the judge (and whoever reads the
 * prompt later) knows it saw only part of the text.
 */
import type { Trace } from "../domain/trace";
import { parsePath, toText, valueAtPath } from "../grading/text";
import type { JudgeDefinition, JudgeView } from "./judge-definition";

/** Bumped whenever the wording below changes: scores record it, and cached answers are keyed by it. */
export const JUDGE_PROMPT_VERSION = "judge-prompt-1";

export interface ChatMessage {
  role: "system" | "user";
  content: string;
}

export interface RenderedPrompt {
  messages: ChatMessage[];
  /** Names of the parts that were cut to fit `maxPromptChars`. */
  truncated: string[];
}

const TITLES: Record<JudgeView | "reference", string> = {
  input: "INPUT",
  output: "OUTPUT",
  tool_calls: "TOOL CALLS",
  retrieved_context: "RETRIEVED CONTEXT",
  reference: "REFERENCE ANSWER",
};

/** The answer format the judge is asked for; {@link parseJudgeAnswer} reads it. */
export function answerInstructions(def: Pick<JudgeDefinition, "rubric">): string {
  const scale = def.rubric.scale;
  if (!scale) {
    return 'Answer with one JSON object and nothing else: {"verdict": "pass" | "fail", "reason": "<one or two sentences>"}.';
  }
  return `Answer with one JSON object and nothing else: {"score": <integer from ${scale.min} to ${scale.max}>, "reason": "<one or two sentences>"}. A score of ${scale.passThreshold} or more means the trace meets the criteria.`;
}

export function renderJudgePrompt(def: JudgeDefinition, trace: Trace, reference?: unknown): RenderedPrompt {
  const parts: [JudgeView | "reference", string][] = def.sees.map((view) => [view, viewText(view, trace)]);
  const ref = reference !== undefined ? reference : referenceOf(def, trace);
  if (ref !== undefined && ref !== null) parts.push(["reference", toText(ref)]);

  const system = [
    "You are a strict, fair evaluator of an AI agent's run. Judge only against the criteria below.",
    `CRITERIA:\n${def.rubric.criteria}`,
    answerInstructions(def),
  ].join("\n\n");
  const budget = Math.max(0, def.maxPromptChars - system.length);
  const { texts, truncated } = fitParts(parts, budget);
  const user = texts.map(([name, text]) => `### ${TITLES[name]}\n${text}`).join("\n\n");
  return {
    messages: [
      { role: "system", content: system },
      { role: "user", content: user },
    ],
    truncated,
  };
}

function referenceOf(def: JudgeDefinition, trace: Trace): unknown {
  return def.rubric.referencePath ? valueAtPath(trace, parsePath(def.rubric.referencePath)) : undefined;
}

/** A tool call as a model is shown it: `name(arguments) -> result`. */
export function toolCallText(span: { name?: string; input?: unknown; output?: unknown }): string {
  return `${span.name}(${toText(span.input ?? null)}) -> ${toText(span.output ?? null)}`;
}

function viewText(view: JudgeView, trace: Trace): string {
  if (view === "input") return toText(trace.input ?? null);
  if (view === "output") return toText(trace.output ?? null);
  const type = view === "tool_calls" ? "tool" : "retrieval";
  const spans = (trace.spans ?? []).filter((s) => s.type === type);
  if (spans.length === 0) return view === "tool_calls" ? "(no tool calls)" : "(no retrieved context)";
  return spans
    .map((s) => (view === "tool_calls" ? `- ${toolCallText(s)}` : `- ${toText(s.output ?? null)}`))
    .join("\n");
}

/**
 * Shares the budget fairly: parts that fit their share keep all of it and leave the rest
 * to the others; longer parts are cut to what remains, with the marker counted in.
 */
function fitParts(
  parts: [JudgeView | "reference", string][],
  budget: number,
): { texts: [JudgeView | "reference", string][]; truncated: string[] } {
  const HEADER = 24;
  let remaining = Math.max(0, budget - parts.length * HEADER);
  const order = parts.map((p, i) => ({ i, len: p[1].length })).sort((a, b) => a.len - b.len);
  const allowed = new Array<number>(parts.length).fill(0);
  for (const [k, { i, len }] of order.entries()) {
    const share = Math.floor(remaining / (order.length - k));
    allowed[i] = Math.min(len, share);
    remaining -= allowed[i]!;
  }
  const truncated: string[] = [];
  const texts = parts.map(([name, text], i): [JudgeView | "reference", string] => {
    if (text.length <= allowed[i]!) return [name, text];
    truncated.push(name);
    const marker = `\n…[truncated: showing ${allowed[i]} of ${text.length} characters]`;
    return [name, text.slice(0, Math.max(0, allowed[i]! - marker.length)) + marker];
  });
  return { texts, truncated };
}
