/**
 * @module Suggested fixes from a model: for one failure mode, asks a judge endpoint (any
 * OpenAI-compatible chat completions API, through the judge's client with its timeout,
 * retries and cap on calls in flight) for one change to the agent's prompt or
 * instructions. The request is grounded in the mode's failing examples (input, output,
 * tool calls, what the grader said of each) and in the grader's definition, and the
 * answer must name the change and why. Apart from the `complete` and `examples`
 * functions it is given, this module is pure.
 */
import { z } from "zod";
import type { GraderVersion } from "../grading";
import type { JudgeCall, JudgeReply } from "../judge/judge-client";
import { extractJsonObject } from "../judge/parse-answer";
import type { ChatMessage } from "../judge/prompt";
import type { FailureMode } from "./failure-modes";
import type { FixProposer, ProposedFix } from "./fix-hints";

export const FIX_PROMPT_VERSION = "fix-prompt-1";

/** A failing trace as the model sees it. */
export interface FixExample {
  traceId: string;
  input: unknown;
  output: unknown;
  /** `name(arguments) -> result`, one per tool call. */
  toolCalls: string[];
}

export interface JudgeFixProposerOptions {
  baseUrl: string;
  model: string;
  complete: (call: JudgeCall) => Promise<JudgeReply>;
  /** The mode's example traces, read from storage; an unreadable one is left out. */
  examples: (mode: FailureMode) => Promise<FixExample[]>;
}

/** Characters of one example part (input, output, tool calls) in the prompt. */
const PART_CHARS = 1_500;

const answerSchema = {
  type: "object",
  properties: {
    title: { type: "string", description: "The change in one line" },
    change: { type: "string", description: "The instruction to add to or change in the agent's prompt, verbatim" },
    rationale: { type: "string", description: "Why it fixes the failing examples, citing them" },
  },
  required: ["title", "change", "rationale"],
  additionalProperties: false,
};

const answer = z.object({
  title: z.string().trim().min(1).max(300),
  change: z.string().trim().min(1).max(4_000),
  rationale: z.string().trim().max(4_000).default(""),
});

export type FixAnswer = z.output<typeof answer>;

/** The judge endpoint's answer, or why it is not one. */
export function parseFixAnswer(text: string): { ok: true; fix: FixAnswer } | { ok: false; error: string } {
  const object = extractJsonObject(text);
  if (!object) return { ok: false, error: "the reply holds no JSON object" };
  const parsed = answer.safeParse(object);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, error: `the reply's ${issue.path.join(".") || "object"} is invalid: ${issue.message}` };
  }
  return { ok: true, fix: parsed.data };
}

/** The request for one mode: what the grader checks, what it said, and the failing traces. */
export function renderFixPrompt(
  mode: FailureMode,
  grader: GraderVersion | undefined,
  examples: FixExample[],
): ChatMessage[] {
  const system = [
    "You improve an LLM agent. A grader checks the agent's traces, and some of them fail it in the same way.",
    "Propose ONE change to the agent's prompt or instructions that would make these traces pass",
    "without breaking traces that pass today. Ground it in the examples and the grader's reasons:",
    "name what the agent must do differently, concretely (which tool, which argument, which format).",
    'Answer with one JSON object: {"title": "...", "change": "...", "rationale": "..."}.',
    "`change` is the instruction itself, ready to paste into the prompt.",
  ].join("\n");
  const lines = [
    `Failure mode: ${mode.count} failure(s), ${(mode.share * 100).toFixed(1)}% of the agent's failures.`,
    `Grader: ${grader?.name ?? mode.graderId} (version ${mode.graderVersion})`,
    `Grader definition: ${cut(JSON.stringify(grader?.definition ?? null), PART_CHARS)}`,
    `The grader's reason, normalised: ${mode.reason}`,
    `One reason as given: ${cut(mode.exampleReason, PART_CHARS)}`,
  ];
  if (mode.tool) lines.push(`Tool involved: ${mode.tool}`);
  if (mode.errorSignature) lines.push(`Error signature: ${mode.errorSignature}`);
  if (examples.length === 0) lines.push("", "(The failing traces could not be read; work from the reasons.)");
  for (const [i, example] of examples.entries()) {
    lines.push(
      "",
      `Failing example ${i + 1} (trace ${example.traceId}):`,
      `Input: ${cut(asText(example.input), PART_CHARS)}`,
      `Output: ${cut(asText(example.output), PART_CHARS)}`,
      `Tool calls: ${example.toolCalls.length === 0 ? "(none)" : cut(example.toolCalls.join("\n"), PART_CHARS)}`,
    );
  }
  return [
    { role: "system", content: system },
    { role: "user", content: lines.join("\n") },
  ];
}

/** A proposer that asks the model once per mode it is given. */
export function judgeFixProposer(options: JudgeFixProposerOptions): FixProposer {
  return {
    source: "judge",
    async propose(mode, grader): Promise<ProposedFix[]> {
      const examples = await options.examples(mode);
      const reply = await options.complete({
        baseUrl: options.baseUrl,
        model: options.model,
        temperature: 0,
        messages: renderFixPrompt(mode, grader, examples),
        answerSchema,
      });
      const parsed = parseFixAnswer(reply.text);
      if (!parsed.ok) throw new Error(`the judge endpoint's proposal could not be read: ${parsed.error}`);
      return [
        {
          source: "judge",
          title: parsed.fix.title,
          detail: {
            kind: "prompt_change",
            change: parsed.fix.change,
            rationale: parsed.fix.rationale,
            basedOn: { traceIds: examples.map((e) => e.traceId), reason: mode.reason },
            model: options.model,
            promptVersion: FIX_PROMPT_VERSION,
            inputTokens: reply.inputTokens,
            outputTokens: reply.outputTokens,
          },
        },
      ];
    },
  };
}

/**
 * Endpoints that just failed a proposal, asked again only after `pauseMs`: someone waits
 * for the failure modes, and an endpoint that is down would make every request wait for
 * its timeout. Kept per isolate (best effort: another isolate may ask once more).
 */
export class EndpointPause {
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly pauseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why not to ask `endpoint` now, or null. */
  reason(endpoint: string): string | null {
    const at = this.failedAt.get(endpoint);
    if (at === undefined) return null;
    const left = at + this.pauseMs - this.now();
    if (left <= 0) {
      this.failedAt.delete(endpoint);
      return null;
    }
    return `the judge endpoint failed a proposal ${Math.round((this.now() - at) / 1000)} s ago; it is asked again in ${Math.ceil(left / 1000)} s`;
  }

  failed(endpoint: string): void {
    this.failedAt.set(endpoint, this.now());
  }

  succeeded(endpoint: string): void {
    this.failedAt.delete(endpoint);
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated: showing ${max} of ${text.length} characters]`;
}
