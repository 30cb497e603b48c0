/**
 * @module Suggested fixes for failure modes. Without a model, a grader's definition
 * already says what to change: which tool, which argument, which budget, which schema
 * field. `graderHints` derives that deterministically. Other sources (a judge model
 * proposing a prompt change from the failing examples) implement `FixProposer` and sit
 * beside it; the route stores whatever proposers return under the mode's key.
 */
import type { GraderVersion } from "../grading";
import type { FailureMode } from "./failure-modes";

export interface ProposedFix {
  /** Who proposed it: `grader_hint` here; e.g. `judge` for a model-backed proposer. */
  source: string;
  title: string;
  detail: Record<string, unknown>;
}

/** One way to propose fixes for a mode; async so a model-backed proposer fits the same slot. */
export interface FixProposer {
  readonly source: string;
  propose(mode: FailureMode, grader: GraderVersion | undefined): Promise<ProposedFix[]>;
}

type Definition = Record<string, unknown> & { kind?: string; check?: string; metric?: string };

/** The deterministic hint for one mode from its grader's definition. */
export function graderHint(mode: FailureMode, grader: GraderVersion | undefined): ProposedFix {
  const definition = (grader?.definition ?? {}) as Definition;
  const hint = (title: string, detail: Record<string, unknown>): ProposedFix => ({
    source: "grader_hint",
    title,
    detail: { graderId: mode.graderId, graderVersion: mode.graderVersion, ...detail },
  });
  const tool = (definition.tool as string | undefined) ?? mode.tool;
  switch (definition.check) {
    case "tool_called": {
      const args = definition.args as { path: string }[] | undefined;
      if (args?.length && /but never with/.test(mode.exampleReason)) {
        return hint(`Call \`${tool}\` with the right arguments: ${args.map((a) => a.path).join(", ")}`, {
          kind: "tool_argument",
          tool,
          arguments: args,
        });
      }
      return hint(`Make the agent call \`${tool}\` (instruct it when to, or expose the tool to it)`, {
        kind: "tool_missing",
        tool,
      });
    }
    case "tool_not_called":
      return hint(`Stop the agent calling \`${tool}\` here (tighten the instruction or remove the tool)`, {
        kind: "tool_forbidden",
        tool,
      });
    case "max_tool_calls":
      return hint(`Keep ${tool ? `\`${tool}\` calls` : "tool calls"} within the budget of ${definition.n}`, {
        kind: "budget",
        budget: "tool_calls",
        limit: definition.n,
        tool: tool ?? null,
      });
    case "max_llm_calls":
      return hint(`Keep LLM calls within the budget of ${definition.n}`, {
        kind: "budget",
        budget: "llm_calls",
        limit: definition.n,
      });
    case "latency_budget":
      return hint(`Answer within ${definition.ms} ms (fewer steps, a faster model, or parallel tool calls)`, {
        kind: "budget",
        budget: "latency_ms",
        limit: definition.ms,
      });
    case "token_budget":
      return hint("Keep token usage within budget (shorter context, trimmed history)", {
        kind: "budget",
        budget: "tokens",
        limit: { total: definition.total ?? null, input: definition.input ?? null, output: definition.output ?? null },
      });
    case "cost_budget":
      return hint(`Keep the cost within $${definition.usd} a run`, {
        kind: "budget",
        budget: "usd",
        limit: definition.usd,
      });
    case "no_error_spans":
      return hint(
        `Handle the error${mode.tool ? ` of \`${mode.tool}\`` : ""}: ${mode.errorSignature ?? "see the example traces"}`,
        {
          kind: "error_handling",
          tool: mode.tool,
          errorSignature: mode.errorSignature,
        },
      );
    case "json_valid":
      return hint(`Return valid JSON in \`${definition.target ?? "output"}\``, {
        kind: "schema",
        field: definition.target ?? "output",
      });
    case "json_schema": {
      const field = /^(\$?[\w.[\]/-]*)\s*:/.exec(mode.exampleReason.replace(/^.*?(?:schema[^:]*: )/i, ""))?.[1] ?? null;
      return hint(`Make \`${definition.target ?? "output"}\` satisfy the schema${field ? ` (field ${field})` : ""}`, {
        kind: "schema",
        field: field ?? definition.target ?? "output",
        reason: mode.exampleReason,
      });
    }
    case "contains":
    case "not_contains":
    case "regex":
      return hint(
        `${definition.check === "not_contains" ? "Keep out of" : "Include in"} \`${definition.target ?? "output"}\`: ${JSON.stringify(definition.text ?? definition.pattern)}`,
        {
          kind: "content",
          check: definition.check,
          target: definition.target ?? "output",
          text: definition.text ?? definition.pattern,
        },
      );
  }
  if (definition.kind === "metric") {
    return hint("Answer like the reference of the failing cases (compare the example cases' expected output)", {
      kind: "reference",
      metric: definition.metric,
    });
  }
  return hint(`Look at the example traces: ${mode.exampleReason.slice(0, 200)}`, { kind: "other" });
}

/** The proposer that needs no model: one hint per mode. */
export const graderHintProposer: FixProposer = {
  source: "grader_hint",
  propose: async (mode, grader) => [graderHint(mode, grader)],
};
