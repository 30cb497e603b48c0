/**
 * @module The agent an OTLP trace belongs to: `gen_ai.agent.name`, else the
 * resource's `service.name` (as DESIGN.md fixes), else "unknown_service".
 */
import { byStartTime, findRoot } from "./span-tree.js";
import type { OtlpSpanRecord } from "./span-record.js";
import { spanTypeOf } from "./span-type.js";
import { toName } from "./text-limits.js";

export const UNKNOWN_AGENT = "unknown_service";

const agentAttribute = (span: OtlpSpanRecord): string | undefined => nonEmpty(span.attributes["gen_ai.agent.name"]);
const serviceName = (span: OtlpSpanRecord): string | undefined => nonEmpty(span.resource["service.name"]);

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** The agent of one span on its own (when the rest of its trace is not at hand). */
export function agentOfSpan(span: OtlpSpanRecord): string {
  return toName(agentAttribute(span) ?? serviceName(span) ?? UNKNOWN_AGENT, UNKNOWN_AGENT);
}

/**
 * The agent of a trace. `gen_ai.agent.name` is looked for on the root span
 * first, then on agent spans, then on any span (earliest first), because a
 * nested sub-agent names itself too and the trace belongs to the outer one.
 * `tree`, when given, is `spans` ordered by start time and their root.
 */
export function agentOfTrace(
  spans: OtlpSpanRecord[],
  tree: { ordered: OtlpSpanRecord[]; root: OtlpSpanRecord | undefined } = {
    ordered: byStartTime(spans),
    root: findRoot(spans),
  },
): string {
  // Assembly has already ordered the spans and found the root; it passes them in rather than paying for both again.
  const { ordered, root } = tree;
  const candidates = [
    ...(root ? [root] : []),
    ...ordered.filter((span) => span !== root && spanTypeOf(span, false) === "agent"),
    ...ordered,
  ];
  const name =
    firstOf(candidates, agentAttribute) ?? firstOf(root ? [root, ...ordered] : ordered, serviceName) ?? UNKNOWN_AGENT;
  return toName(name, UNKNOWN_AGENT);
}

function firstOf(spans: OtlpSpanRecord[], read: (span: OtlpSpanRecord) => string | undefined): string | undefined {
  for (const span of spans) {
    const value = read(span);
    if (value !== undefined) return value;
  }
  return undefined;
}
