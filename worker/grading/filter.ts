/**
 * @module Whether a grader applies to a trace, from its `filter`.
 */
import type { Trace } from "../domain/trace";
import type { GraderFilter } from "./definition-common";
import { jsonEquals, parsePath, valueAtPath } from "./text";

export type TraceFilter = (trace: Trace) => boolean;

const everyTrace: TraceFilter = () => true;

/** Compiles a filter into a predicate; no filter (or an empty one) matches every trace. */
export function compileFilter(filter: GraderFilter | undefined): TraceFilter {
  if (!filter) return everyTrace;
  const conditions: TraceFilter[] = [];
  const { versionEquals, versionIn, hasTag, metadataEquals } = filter;
  if (versionEquals !== undefined) conditions.push((trace) => trace.version === versionEquals);
  if (versionIn !== undefined) {
    const versions = new Set(versionIn);
    conditions.push((trace) => typeof trace.version === "string" && versions.has(trace.version));
  }
  if (hasTag !== undefined) conditions.push((trace) => trace.tags.includes(hasTag));
  if (metadataEquals !== undefined) {
    const segments = parsePath(metadataEquals.path);
    const expected = metadataEquals.value;
    conditions.push((trace) => jsonEquals(valueAtPath(trace.metadata, segments), expected));
  }
  if (conditions.length === 0) return everyTrace;
  return (trace) => conditions.every((condition) => condition(trace));
}
