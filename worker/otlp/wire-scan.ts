/**
 * @module The ingest-time pass over an OTLP protobuf request. It finds every span's
 * trace id, span id, parent and byte range, and validates the span exactly as the full
 * decoder (wire-decode.ts) would: the same wire checks on every field, the same
 * rejections. It decodes no attribute string and builds no object, so a request costs
 * a fraction of a full decode. Spans are decoded once, when their trace is assembled,
 * from the small per-trace requests `traceRequests` (trace-requests.ts) cuts out of the body.
 */
import { WireType } from "@bufbuild/protobuf/wire";
import { undecodableProtobuf } from "./errors";
import {
  emptyRawSpan,
  type OtlpRejections,
  parentSpanIdOf,
  RejectionLog,
  spanProblem,
  type RawSpan,
} from "./span-record";
import { MAX_DEPTH, readAnyScalar, readResource, readScope, readSpanHeaderField, readUnixNanos } from "./wire-decode";
import { OtlpReader } from "./wire-reader";

export interface ScannedSpan {
  traceId: string;
  spanId: string;
  /** No parent span id (empty or all zeroes). */
  isRoot: boolean;
  /** Where the Span message's bytes are in the body (without its tag and length). */
  start: number;
  end: number;
  /** Its ResourceSpans and ScopeSpans, as an index into `OtlpScan.groups`. */
  group: number;
  /** The span's own `gen_ai.agent.name`, when it is a string. */
  agentName: string | undefined;
}

/** One ScopeSpans: where its resource and scope messages are (a repeated field merges, so there may be several). */
export interface ScannedGroup {
  resources: [start: number, end: number][];
  scopes: [start: number, end: number][];
  /** The resource's `service.name`, when it is a string. */
  serviceName: string | undefined;
}

export interface OtlpScan {
  /** Valid spans, in wire order. */
  spans: ScannedSpan[];
  groups: ScannedGroup[];
  rejected: OtlpRejections;
}

const AGENT_KEY = new TextEncoder().encode("gen_ai.agent.name");

/** Throws OtlpDecodeError when the body is not an ExportTraceServiceRequest. */
export function scanProtobufTraces(body: Uint8Array): OtlpScan {
  const scan: OtlpScan = { spans: [], groups: [], rejected: { count: 0, reasons: [] } };
  const rejections = new RejectionLog();
  try {
    const reader = new OtlpReader(body);
    let r = 0;
    reader.eachMessage(reader.len, (stop) => scanResourceSpans(reader, stop, r++, scan, rejections));
  } catch (error) {
    throw undecodableProtobuf(error);
  }
  scan.rejected = rejections.toJSON();
  return scan;
}

/**
 * The decoders read a nested message up to its declared end and then go on from
 * wherever its last field stopped. A message whose fields run past its end would
 * decode differently once cut out on its own, so it is refused as malformed.
 */
function expectEnd(reader: OtlpReader, stop: number): void {
  if (reader.pos !== stop) throw new Error("a nested message's fields run past its declared length");
}

/**
 * The embedded message of the field just read, its place kept in `places`, read in
 * full by the decoder's own `read` (resources and scopes are small and once per group).
 */
function readKeepingPlace<T>(
  reader: OtlpReader,
  field: number,
  places: [number, number][],
  read: (reader: OtlpReader, stop: number, into: T) => void,
  into: T,
): void {
  const stop = reader.message(field);
  places.push([reader.pos, stop]);
  read(reader, stop, into);
  expectEnd(reader, stop);
}

function scanResourceSpans(reader: OtlpReader, stop: number, r: number, scan: OtlpScan, log: RejectionLog): void {
  const resources: [number, number][] = [];
  const resource: Record<string, unknown> = {};
  const scopes: { group: ScannedGroup; spans: { raw: RawSpan; span: ScannedSpan }[] }[] = [];
  while (reader.pos < stop) {
    const field = reader.nextField();
    if (field === 1) readKeepingPlace(reader, field, resources, readResource, resource);
    else if (field === 2) scopes.push(scanScopeSpans(reader, reader.message(field)));
    else reader.skipValue(field);
  }
  const serviceName = typeof resource["service.name"] === "string" ? resource["service.name"] : undefined;
  scopes.forEach(({ group, spans }, s) => {
    // Spans may come before the resource on the wire, so the group is completed only now.
    group.resources = resources;
    group.serviceName = serviceName;
    const index = scan.groups.push(group) - 1;
    spans.forEach(({ raw, span }, i) => {
      const problem = spanProblem(raw);
      if (problem) {
        log.reject(`resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, problem);
        return;
      }
      span.group = index;
      scan.spans.push(span);
    });
  });
}

function scanScopeSpans(
  reader: OtlpReader,
  stop: number,
): { group: ScannedGroup; spans: { raw: RawSpan; span: ScannedSpan }[] } {
  const group: ScannedGroup = { resources: [], scopes: [], serviceName: undefined };
  const spans: { raw: RawSpan; span: ScannedSpan }[] = [];
  while (reader.pos < stop) {
    const field = reader.nextField();
    if (field === 1) readKeepingPlace(reader, field, group.scopes, readScope, { name: "", version: "" });
    else if (field === 2) spans.push(scanSpan(reader, reader.message(field)));
    else reader.skipValue(field);
  }
  return { group, spans };
}

/** Stands in for a name that is present but not decoded: `spanProblem` only asks whether it is empty. */
const SOME_NAME = "(not decoded)";

function scanSpan(reader: OtlpReader, stop: number): { raw: RawSpan; span: ScannedSpan } {
  const start = reader.pos;
  // The fields `spanProblem` checks, read as the decoder reads them; the rest is walked, not kept.
  const raw: RawSpan = emptyRawSpan();
  let agentName: string | undefined;
  while (reader.pos < stop) {
    const field = reader.nextField();
    if (readSpanHeaderField(reader, field, raw)) continue;
    if (field === 5) {
      reader.expect(WireType.LengthDelimited, field);
      // Checked as the decoder reads it (UTF-8 or refused); only whether it is empty matters here.
      raw.name = reader.skipString("a span name") > 0 ? SOME_NAME : "";
    } else if (field === 9) {
      const agent = scanKeyValue(reader, reader.message(field), 0);
      if (agent !== undefined) agentName = agent;
    } else if (field === 11) scanEvent(reader, reader.message(field));
    else if (field === 15) scanStatus(reader, reader.message(field));
    else reader.skipValue(field);
  }
  expectEnd(reader, stop);
  const span: ScannedSpan = {
    traceId: raw.traceId,
    spanId: raw.spanId,
    isRoot: parentSpanIdOf(raw.parentSpanId) === null,
    start,
    end: stop,
    group: -1,
    agentName,
  };
  return { raw, span };
}

function scanEvent(reader: OtlpReader, stop: number): void {
  while (reader.pos < stop) {
    const field = reader.nextField();
    const wire = reader.wire;
    if (field === 1 && wire === WireType.Bit64) readUnixNanos(reader);
    else if (field === 2 && wire === WireType.LengthDelimited) reader.skipString("an event name");
    else if (field === 3 && wire === WireType.LengthDelimited) scanKeyValue(reader, reader.end(), 0);
    else reader.skipValue(field);
  }
}

function scanStatus(reader: OtlpReader, stop: number): void {
  while (reader.pos < stop) {
    const field = reader.nextField();
    const wire = reader.wire;
    if (field === 2 && wire === WireType.LengthDelimited) reader.skipString("a status message");
    else if (field === 3 && wire === WireType.Varint) reader.int32();
    else reader.skipValue(field);
  }
}

/**
 * Walks one KeyValue. At depth 0 it returns the value of `gen_ai.agent.name` when that
 * is a string and its key came first on the wire (as encoders write it); strings are
 * not decoded otherwise.
 */
function scanKeyValue(reader: OtlpReader, stop: number, depth: number): string | undefined {
  let isAgent = false;
  let agent: string | undefined;
  while (reader.pos < stop) {
    const field = reader.nextField();
    const wire = reader.wire;
    if (field === 1 && wire === WireType.LengthDelimited)
      isAgent = reader.matchesString(AGENT_KEY, "an attribute key") && depth === 0;
    else if (field === 2 && wire === WireType.LengthDelimited)
      agent = scanAnyValue(reader, reader.end(), depth + 1, isAgent);
    else reader.skipValue(field);
  }
  return isAgent ? agent : undefined;
}

/** Walks one AnyValue as `readAnyValue` reads it (the last oneof member wins); with `wantText`, returns it when it is a string. */
function scanAnyValue(reader: OtlpReader, stop: number, depth: number, wantText = false): string | undefined {
  if (depth > MAX_DEPTH) throw new Error("attribute values are nested too deeply");
  let text: string | undefined;
  while (reader.pos < stop) {
    const field = reader.nextField();
    switch (field) {
      case 1:
        reader.expect(WireType.LengthDelimited, field);
        if (wantText) text = reader.string(true);
        else reader.skipString("an attribute value");
        break;
      case 2:
      case 3:
      case 4:
      case 7:
        readAnyScalar(reader, field, false);
        text = undefined;
        break;
      case 5:
        reader.eachMessage(reader.message(field), (end) => scanAnyValue(reader, end, depth + 1));
        text = undefined;
        break;
      case 6:
        reader.eachMessage(reader.message(field), (end) => scanKeyValue(reader, end, depth));
        text = undefined;
        break;
      default:
        reader.skipValue(field);
    }
  }
  return text;
}
