/**
 * @module Rule graders over the text of one target value: contains,
 * not_contains, regex, json_valid and json_schema. Each definition compiles
 * once into a closure (regexes and schemas are built here, not per trace).
 */
import { compileJsonSchema } from "./json-schema";
import { failed, passed, type Outcome } from "./outcome";
import type { RuleDefinition } from "./rule-definitions";
import { excerpt, tryParseJson } from "./text";
import type { TraceView } from "./trace-view";

export type TraceEvaluator = (view: TraceView) => Outcome;
type RuleOf<C extends RuleDefinition["check"]> = Extract<RuleDefinition, { check: C }>;

const missingNote = (view: TraceView, target: string) =>
  view.value(target) === undefined ? ` (\`${target}\` is missing)` : "";

export function compileContains(rule: RuleOf<"contains"> | RuleOf<"not_contains">): TraceEvaluator {
  const { target, text, caseSensitive } = rule;
  const needle = caseSensitive ? text : text.toLowerCase();
  const quoted = `\`${excerpt(text)}\`${caseSensitive ? "" : " (ignoring case)"}`;
  const wantPresent = rule.check === "contains";
  return (view) => {
    const haystack = caseSensitive ? view.text(target) : view.lowerText(target);
    const present = haystack.includes(needle);
    if (present === wantPresent) return passed(`${target} ${present ? "contains" : "does not contain"} ${quoted}`);
    return failed(
      present
        ? `${target} contains ${quoted}, which it must not`
        : `${target} does not contain ${quoted}${missingNote(view, target)}`,
    );
  };
}

export function compileRegex(rule: RuleOf<"regex">): TraceEvaluator {
  const { target, pattern, flags, maxInputChars } = rule;
  // Compiled once per grader version; flags never include g or y, so `test`
  // keeps no state between traces.
  const regex = new RegExp(pattern, flags);
  const shown = `/${excerpt(pattern, 80)}/${flags}`;
  return (view) => {
    const text = view.text(target);
    const truncated = text.length > maxInputChars;
    const matched = regex.test(truncated ? text.slice(0, maxInputChars) : text);
    const note = truncated ? ` (only the first ${maxInputChars} of ${text.length} characters were scanned)` : "";
    return matched
      ? passed(`${target} matches ${shown}${note}`)
      : failed(`${target} does not match ${shown}${note}${missingNote(view, target)}`);
  };
}

/** The body of a Markdown code fence, or the text unchanged when it is not fenced. */
export function stripCodeFence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith("```") || !trimmed.endsWith("```") || trimmed.length < 6) return text;
  const firstLineEnd = trimmed.indexOf("\n");
  if (firstLineEnd === -1) return trimmed.slice(3, -3);
  return trimmed.slice(firstLineEnd + 1, -3);
}

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

function parseTargetJson(view: TraceView, target: string, allowCodeFence: boolean): Parsed {
  const value = view.value(target);
  if (value === undefined) return { ok: false, reason: `\`${target}\` is missing` };
  // A structured value (object, array, number…) already is JSON.
  if (typeof value !== "string") return { ok: true, value };
  const result = tryParseJson(allowCodeFence ? stripCodeFence(value) : value);
  if (result.ok) return result;
  const hint =
    !allowCodeFence && value.trim().startsWith("```") ? "; it is wrapped in a code fence (set allowCodeFence)" : "";
  return { ok: false, reason: `${target} is not valid JSON: ${result.error}${hint}` };
}

export function compileJsonValid(rule: RuleOf<"json_valid">): TraceEvaluator {
  const { target, allowCodeFence } = rule;
  return (view) => {
    const parsed = parseTargetJson(view, target, allowCodeFence);
    return parsed.ok ? passed(`${target} is valid JSON`) : failed(parsed.reason);
  };
}

export function compileJsonSchemaRule(rule: RuleOf<"json_schema">): TraceEvaluator {
  const { target, allowCodeFence } = rule;
  const validate = compileJsonSchema(rule.schema);
  return (view) => {
    const parsed = parseTargetJson(view, target, allowCodeFence);
    if (!parsed.ok) return failed(parsed.reason);
    const problems = validate(parsed.value);
    return problems.length === 0
      ? passed(`${target} satisfies the schema`)
      : failed(`${target} does not satisfy the schema: ${problems.join("; ")}`);
  };
}
