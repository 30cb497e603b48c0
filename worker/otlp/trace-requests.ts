/**
 * @module The per-trace cutter: the spans of one trace, found by the scan
 * (wire-scan.ts), copied out of the request that carried them into small
 * ExportTraceServiceRequests of their own, which the trace's shard stores and
 * decodes once, at assembly.
 */
import type { ScannedGroup, ScannedSpan } from "./wire-scan";

/**
 * The spans of one trace as ExportTraceServiceRequests of their own, each holding
 * its spans' resources and scopes as the body had them, and at most about `maxBytes`
 * of spans (a Durable Object's SQL value is capped at 2 MB). Bytes are copied, never
 * re-encoded, so decoding one gives exactly the records decoding the body gives for these spans.
 * Each request is written into one buffer of its exact size: every length is known
 * before a byte is written, so no writer grows, forks or joins.
 */
export function traceRequests(
  body: Uint8Array,
  groups: ScannedGroup[],
  spans: ScannedSpan[],
  maxBytes: number,
): Uint8Array[] {
  const requests: Uint8Array[] = [];
  let first = 0;
  let size = 0;
  spans.forEach((span, i) => {
    const length = span.end - span.start;
    if (size > 0 && size + length > maxBytes) {
      requests.push(writeRequest(body, groups, spans, first, i));
      first = i;
      size = 0;
    }
    size += length;
  });
  if (spans.length > first) requests.push(writeRequest(body, groups, spans, first, spans.length));
  return requests;
}

/** Bytes of a length-delimited field with a one-byte tag (fields 1 and 2 here) holding `length` bytes. */
const fieldBytes = (length: number): number => 1 + varintBytes(length) + length;

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

/**
 * spans[from..to) as one ExportTraceServiceRequest: each run of spans of the same
 * group is one ResourceSpans (field 1: the resource; field 2: one ScopeSpans with
 * field 1, the scope, and field 2, each span).
 */
function writeRequest(
  body: Uint8Array,
  groups: ScannedGroup[],
  spans: ScannedSpan[],
  from: number,
  to: number,
): Uint8Array {
  const runs: { group: ScannedGroup; from: number; to: number; scopeSpans: number; resourceSpans: number }[] = [];
  let total = 0;
  for (let i = from; i < to; ) {
    const group = groups[spans[i]!.group]!;
    let j = i;
    let scopeSpans = 0;
    for (const [start, stop] of group.scopes) scopeSpans += fieldBytes(stop - start);
    for (; j < to && spans[j]!.group === spans[i]!.group; j++)
      scopeSpans += fieldBytes(spans[j]!.end - spans[j]!.start);
    let resourceSpans = fieldBytes(scopeSpans);
    for (const [start, stop] of group.resources) resourceSpans += fieldBytes(stop - start);
    runs.push({ group, from: i, to: j, scopeSpans, resourceSpans });
    total += fieldBytes(resourceSpans);
    i = j;
  }
  const out = new Uint8Array(total);
  let at = 0;
  const field = (tag: number, length: number): void => {
    out[at++] = tag;
    for (; length >= 0x80; length = Math.floor(length / 128)) out[at++] = (length % 128) | 0x80;
    out[at++] = length;
  };
  /** body[start..stop) as a field with `tag`. */
  const copy = (tag: number, start: number, stop: number): void => {
    field(tag, stop - start);
    out.set(body.subarray(start, stop), at);
    at += stop - start;
  };
  for (const run of runs) {
    field(0x0a, run.resourceSpans);
    for (const [start, stop] of run.group.resources) copy(0x0a, start, stop);
    field(0x12, run.scopeSpans);
    for (const [start, stop] of run.group.scopes) copy(0x0a, start, stop);
    for (let i = run.from; i < run.to; i++) copy(0x12, spans[i]!.start, spans[i]!.end);
  }
  return out;
}
