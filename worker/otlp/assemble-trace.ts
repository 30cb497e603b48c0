/**
 * @module The spans of one OTLP trace assembled into Flywheel's normalised
 * `Trace`: agent, spans with resolved parents, trace input/output from the
 * root (or top agent span, or the LLM calls), status from the root span.
 */
import type { Span, Trace } from "../domain/trace.js";
import { agentOfTrace } from "./agent.js";
import { parseJsonish, pick } from "./attribute-lookup.js";
import { mapSpan } from "./map-span.js";
import type { OtlpSpanRecord } from "./span-record.js";
import { byStartTime, findRoot, resolveParents } from "./span-tree.js";
import { metadataOf, tagsOf, versionOf } from "./trace-fields.js";

/** Splits decoded spans by trace id, in order of first appearance. */
export function groupSpansByTrace(spans: OtlpSpanRecord[]): Map<string, OtlpSpanRecord[]> {
  const groups = new Map<string, OtlpSpanRecord[]>();
  for (const span of spans) {
    const group = groups.get(span.traceId);
    if (group) group.push(span);
    else groups.set(span.traceId, [span]);
  }
  return groups;
}

/**
 * Builds the trace from all the spans of one trace id known so far (a trace
 * may be partial; spans arrive in several export batches). A span id seen
 * twice (an exporter retry) counts once, the later copy winning. The result
 * satisfies `traceSchema`.
 */
export function assembleTrace(records: OtlpSpanRecord[]): Trace {
  const first = records[0];
  if (!first) throw new RangeError("assembleTrace needs at least one span");
  if (records.some((record) => record.traceId !== first.traceId)) {
    throw new RangeError("assembleTrace got spans of several traces; group them with groupSpansByTrace first");
  }
  const unique = byStartTime([...new Map(records.map((record) => [record.spanId, record])).values()]);
  // `unique` is already in start order: neither call sorts it again.
  const parents = resolveParents(unique, unique);
  const root = findRoot(unique, unique, parents)!;
  const spans = unique.map((record) =>
    mapSpan(record, { parentId: parents.get(record.spanId) ?? null, isRoot: record === root }),
  );
  const mappedRoot = spans[unique.indexOf(root)]!;
  const agentSpans = spans.filter((span) => span.type === "agent" && span !== mappedRoot);
  const llmSpans = spans.filter((span) => span.type === "llm");
  // Trace-level attributes are looked for on the root first, then agent spans, then the rest.
  const isAgent = (i: number): boolean => spans[i]!.type === "agent";
  const byPriority = [
    root,
    ...unique.filter((record, i) => record !== root && isAgent(i)),
    ...unique.filter((record, i) => record !== root && !isAgent(i)),
  ];

  const trace: Trace = {
    id: first.traceId,
    agent: agentOfTrace(unique, { ordered: unique, root }),
    status: mappedRoot.status,
    metadata: metadataOf(byPriority),
    tags: tagsOf(byPriority),
    spans,
    startTime: unique[0]!.startTime,
  };
  const endTime = latestEnd(spans);
  if (endTime) trace.endTime = endTime;
  const version = versionOf(byPriority);
  if (version) trace.version = version;
  if (mappedRoot.status === "error") trace.error = mappedRoot.error ?? `root span '${mappedRoot.name}' failed`;

  const input =
    traceLevel(byPriority, "langfuse.trace.input") ?? firstDefined([mappedRoot, ...agentSpans, ...llmSpans], "input");
  const output =
    traceLevel(byPriority, "langfuse.trace.output") ??
    firstDefined([mappedRoot, ...agentSpans, ...byEnd(llmSpans).reverse()], "output");
  if (input !== undefined) trace.input = input.value;
  if (output !== undefined) trace.output = output.value;
  return trace;
}

/** Langfuse's explicit trace input/output, set by `updateTrace` on whichever span was current. */
function traceLevel(spans: OtlpSpanRecord[], key: string): { value: unknown } | undefined {
  for (const span of spans) {
    const picked = pick(span.attributes, [key]);
    if (picked) return { value: parseJsonish(picked.value) };
  }
  return undefined;
}

function firstDefined(spans: Span[], field: "input" | "output"): { value: unknown } | undefined {
  for (const span of spans) if (span[field] !== undefined) return { value: span[field] };
  return undefined;
}

function byEnd(spans: Span[]): Span[] {
  const endOf = (span: Span): string => span.endTime ?? span.startTime ?? "";
  return [...spans].sort((a, b) => (endOf(a) < endOf(b) ? -1 : endOf(a) > endOf(b) ? 1 : 0));
}

function latestEnd(spans: Span[]): string | undefined {
  let latest: string | undefined;
  for (const span of spans) {
    const end = span.endTime ?? span.startTime;
    if (end && (!latest || end > latest)) latest = end;
  }
  return latest;
}
