/**
 * @module An OTLP request taken apart per trace, as its shards store it: for each
 * trace, its span ids, roots, the agent its spans suggest, and its spans (from a
 * protobuf request, per-trace requests cut out of the body; from a JSON request,
 * each span's record as JSON, its resource stored once by hash). Ingest does this on
 * the way in; a shard does it again, on the raw request read back from R2, to
 * re-assemble a trace whose stored pieces were pruned. Pure: no bindings.
 */
import type { OtlpTraceSpans } from "../../durable-objects/trace-shard/contract";
import { sha256Hex } from "../storage/hash";
import { agentOfTrace, UNKNOWN_AGENT } from "./agent";
import { groupSpansByTrace } from "./assemble-trace";
import { decodeOtlpTraces, type OtlpFormat } from "./decode";
import { RejectionLog, type OtlpSpanRecord } from "./span-record";
import { toName } from "./text-limits";
import { traceRequests } from "./trace-requests";
import { scanProtobufTraces, type ScannedGroup, type ScannedSpan } from "./wire-scan";

/** A DO SQL row is capped at 2 MB; a span record must fit in one with room to spare. */
export const MAX_SPAN_RECORD_BYTES = 1_500_000;

/** Spans of one trace are stored in pieces of about this much (plus one span at most), under the 2 MB row cap. */
const MAX_SPAN_SET_BYTES = 400_000;

export interface TracePieces {
  traces: OtlpTraceSpans[];
  /** [SHA-256 of the JSON, the JSON] of each resource that JSON records name by `resourceRef`. */
  resources: [hash: string, json: string][];
  rejected: RejectionLog;
}

/**
 * Takes a decompressed request apart per trace. A span over `maxSpanBytes` is
 * rejected; throws OtlpDecodeError when the body is not an ExportTraceServiceRequest.
 */
export async function tracePieces(content: Uint8Array, format: OtlpFormat, maxSpanBytes: number): Promise<TracePieces> {
  return format === "protobuf" ? protobufPieces(content, maxSpanBytes) : await jsonPieces(content, maxSpanBytes);
}

/**
 * The spans a request gave each of its traces, taken apart as ingest did (the same scan
 * or decode and checks; no per-span limit but the storage cap, since the caller keeps
 * only the span ids its trace counts), each trace's records decoded on demand. For
 * re-assembling a trace whose stored pieces were pruned, from the raw request in R2.
 */
export async function spansByTraceOf(
  content: Uint8Array,
  format: OtlpFormat,
): Promise<Map<string, () => OtlpSpanRecord[]>> {
  const pieces = await tracePieces(content, format, MAX_SPAN_RECORD_BYTES);
  const resources = new Map(
    pieces.resources.map(([hash, json]) => [hash, JSON.parse(json) as OtlpSpanRecord["resource"]]),
  );
  return new Map(
    pieces.traces.map((trace) => [
      trace.traceId,
      () => {
        if ("protobuf" in trace.content)
          return trace.content.protobuf.flatMap((piece) => decodeOtlpTraces(piece, "protobuf").spans);
        return trace.content.records.map((json) => {
          const { resourceRef, ...record } = JSON.parse(json) as OtlpSpanRecord & { resourceRef?: string };
          return { ...record, resource: (resourceRef === undefined ? undefined : resources.get(resourceRef)) ?? {} };
        });
      },
    ]),
  );
}

/**
 * The agent these spans alone suggest, until the trace is assembled from all its
 * spans: the root's `gen_ai.agent.name`, else any span's, else the resource's `service.name`.
 */
export function provisionalAgent(spans: ScannedSpan[], groups: ScannedGroup[]): string {
  const root = spans.find((span) => span.isRoot);
  const name =
    root?.agentName ??
    spans.find((span) => span.agentName !== undefined)?.agentName ??
    groups[(root ?? spans[0])?.group ?? -1]?.serviceName ??
    UNKNOWN_AGENT;
  return toName(name.trim() === "" ? UNKNOWN_AGENT : name, UNKNOWN_AGENT);
}

/**
 * A protobuf request is scanned, not decoded: the shard gets, per trace, the bytes of
 * its spans cut out of the body, and they are decoded once, at assembly.
 */
function protobufPieces(content: Uint8Array, maxSpanBytes: number): TracePieces {
  const scan = scanProtobufTraces(content);
  const rejected = new RejectionLog(scan.rejected);
  const byTrace = new Map<string, ScannedSpan[]>();
  for (const span of scan.spans) {
    if (span.end - span.start > maxSpanBytes) {
      rejected.reject(
        `span ${span.spanId} of trace ${span.traceId}`,
        `is ${span.end - span.start} bytes; the limit per span is ${maxSpanBytes} bytes (MAX_TRACE_BYTES)`,
      );
      continue;
    }
    const spans = byTrace.get(span.traceId);
    if (spans) spans.push(span);
    else byTrace.set(span.traceId, [span]);
  }
  const traces = [...byTrace].map(
    ([traceId, spans]): OtlpTraceSpans => ({
      traceId,
      agent: provisionalAgent(spans, scan.groups),
      spanIds: spans.map((span) => span.spanId).join(""),
      roots: spans.flatMap((span, i) => (span.isRoot ? [i] : [])),
      content: { protobuf: traceRequests(content, scan.groups, spans, MAX_SPAN_SET_BYTES) },
    }),
  );
  return { traces, resources: [], rejected };
}

/** A JSON request is decoded here; each span goes to the shard as its record's JSON, its resource stored once by hash. */
async function jsonPieces(content: Uint8Array, maxSpanChars: number): Promise<TracePieces> {
  const decoded = decodeOtlpTraces(content, "json");
  const rejected = new RejectionLog(decoded.rejected);
  const resourceRefs = new Map<object, string>();
  const resources: [string, string][] = [];
  for (const span of decoded.spans) {
    if (resourceRefs.has(span.resource)) continue;
    const json = JSON.stringify(span.resource);
    const hash = await sha256Hex(json);
    resourceRefs.set(span.resource, hash);
    resources.push([hash, json]);
  }
  const traces: OtlpTraceSpans[] = [];
  for (const [traceId, spans] of groupSpansByTrace(decoded.spans)) {
    const records: string[] = [];
    const entry: OtlpTraceSpans = { traceId, agent: agentOfTrace(spans), spanIds: "", roots: [], content: { records } };
    for (const span of spans) {
      const record = JSON.stringify({ ...span, resource: undefined, resourceRef: resourceRefs.get(span.resource) });
      // Length in UTF-16 units bounds the UTF-8 size from below; close enough for a guard this far from the cap.
      if (record.length > maxSpanChars) {
        rejected.reject(
          `span ${span.spanId} of trace ${traceId}`,
          `is ${record.length} bytes as JSON; the limit per span is ${maxSpanChars} bytes (MAX_TRACE_BYTES)`,
        );
        continue;
      }
      if (span.parentSpanId === null) entry.roots.push(records.length);
      entry.spanIds += span.spanId;
      records.push(record);
    }
    if (records.length > 0) traces.push(entry);
  }
  return { traces, resources, rejected };
}
