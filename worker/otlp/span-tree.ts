/**
 * @module Parent links of a (possibly partial) set of spans from one trace:
 * links to absent spans are dropped, loops are cut, and the root is found.
 */
import type { OtlpSpanRecord } from "./span-record.js";

/** A decimal without leading zeros: such strings order as numbers by length, then by characters. */
const CANONICAL_DECIMAL = /^(?:0|[1-9]\d*)$/;

/** Orders by start time (full nanosecond precision), keeping input order on ties. */
export function byStartTime(spans: OtlpSpanRecord[]): OtlpSpanRecord[] {
  // Assembly sorts the same spans several times; comparing the decoders' canonical strings avoids a BigInt per span each time.
  if (spans.every((span) => CANONICAL_DECIMAL.test(span.startTimeUnixNano))) {
    return [...spans].sort((a, b) => {
      const x = a.startTimeUnixNano;
      const y = b.startTimeUnixNano;
      return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
    });
  }
  const starts = new Map(spans.map((span) => [span, BigInt(span.startTimeUnixNano)]));
  return [...spans].sort((a, b) => {
    const delta = starts.get(a)! - starts.get(b)!;
    return delta < 0n ? -1 : delta > 0n ? 1 : 0;
  });
}

/**
 * The parent of every span, by span id, as Flywheel's `parentId`: null when
 * the span has none, when its parent is not in the set (the trace arrives in
 * pieces, or the parent lives in another service), or where a (malformed)
 * chain of parents loops back on itself, so the result is always a forest.
 * `ordered` is `spans` in `byStartTime` order, when the caller has it already.
 */
export function resolveParents(spans: OtlpSpanRecord[], ordered = byStartTime(spans)): Map<string, string | null> {
  const parents = new Map<string, string | null>();
  for (const span of spans) parents.set(span.spanId, span.parentSpanId);
  for (const [id, parent] of parents) {
    if (parent !== null && (parent === id || !parents.has(parent))) parents.set(id, null);
  }
  const reachesRoot = new Set<string>();
  for (const span of ordered) {
    const path = new Set<string>();
    let current: string | null = span.spanId;
    while (current !== null && !reachesRoot.has(current)) {
      if (path.has(current)) {
        parents.set(current, null);
        break;
      }
      path.add(current);
      current = parents.get(current) ?? null;
    }
    for (const id of path) reachesRoot.add(id);
  }
  return parents;
}

/**
 * The root: a span without a (present) parent, the earliest if several. Callers that
 * already hold the spans in `byStartTime` order pass it, so they are not sorted again.
 */
export function findRoot(
  spans: OtlpSpanRecord[],
  ordered = byStartTime(spans),
  parents = resolveParents(spans, ordered),
): OtlpSpanRecord | undefined {
  return ordered.find((span) => parents.get(span.spanId) === null);
}
