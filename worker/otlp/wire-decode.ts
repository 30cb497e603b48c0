/**
 * @module A direct protobuf reader for ExportTraceServiceRequest, what decode.ts runs
 * for protobuf. It reads the wire format straight into the raw spans that span-record.ts
 * validates and maps, skipping the generic, reflection-driven message objects of
 * `fromBinary`, which cost about as much as everything else a request does. Its output
 * is the same as the generated `decodeProtobufTraces` (wire-decode.test.ts checks that
 * on the same payloads). The scan (wire-scan.ts) shares its span header and scalar reads.
 */
import { base64Encode, WireType } from "@bufbuild/protobuf/wire";
import { int64ToJson, setKey } from "./attributes";
import { undecodableProtobuf } from "./errors";
import {
  emptyRawSpan,
  NO_TIME,
  type OtlpDecodeResult,
  type OtlpScope,
  type OtlpSpanRecord,
  type RawSpan,
  RejectionLog,
  spanProblem,
  toSpanRecord,
  type UnixNanos,
  unixNanosOfFixed64,
} from "./span-record";
import { OtlpReader } from "./wire-reader";

/** Nesting of AnyValue arrays/kvlists accepted before the body is called malformed (as protobuf-es limits recursion). */
export const MAX_DEPTH = 100;

export function decodeProtobufTracesFast(body: Uint8Array): OtlpDecodeResult {
  const spans: OtlpSpanRecord[] = [];
  const rejections = new RejectionLog();
  try {
    const reader = new OtlpReader(body);
    let r = 0;
    reader.eachMessage(reader.len, (stop) => readResourceSpans(reader, stop, r++, spans, rejections));
  } catch (error) {
    throw undecodableProtobuf(error);
  }
  return { spans, rejected: rejections.toJSON() };
}

function readResourceSpans(
  reader: OtlpReader,
  stop: number,
  r: number,
  out: OtlpSpanRecord[],
  log: RejectionLog,
): void {
  // Spans may come before the resource on the wire, so they are kept raw until the message ends.
  const resource: Record<string, unknown> = {};
  const scopes: { scope: OtlpScope; spans: RawSpan[] }[] = [];
  while (reader.pos < stop) {
    const field = reader.nextField();
    if (field === 1) readResource(reader, reader.message(field), resource);
    else if (field === 2) scopes.push(readScopeSpans(reader, reader.message(field)));
    else reader.skipValue(field);
  }
  scopes.forEach(({ scope, spans }, s) => {
    spans.forEach((raw, i) => {
      const problem = spanProblem(raw);
      if (problem) log.reject(`resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, problem);
      else out.push(toSpanRecord(raw, resource, scope));
    });
  });
}

export function readResource(reader: OtlpReader, stop: number, into: Record<string, unknown>): void {
  reader.eachMessage(stop, (end) => readKeyValue(reader, end, into, 0));
}

function readScopeSpans(reader: OtlpReader, stop: number): { scope: OtlpScope; spans: RawSpan[] } {
  const scope: OtlpScope = { name: "", version: "" };
  const spans: RawSpan[] = [];
  while (reader.pos < stop) {
    const field = reader.nextField();
    if (field === 1) readScope(reader, reader.message(field), scope);
    else if (field === 2) spans.push(readSpan(reader, reader.message(field)));
    else reader.skipValue(field);
  }
  return { scope, spans };
}

export function readScope(reader: OtlpReader, stop: number, scope: OtlpScope): void {
  while (reader.pos < stop) {
    const field = reader.nextField();
    const wire = reader.wire;
    if (field === 1 && wire === WireType.LengthDelimited) scope.name = reader.string(true);
    else if (field === 2 && wire === WireType.LengthDelimited) scope.version = reader.string(true);
    else reader.skipValue(field);
  }
}

const toBigInt = (value: bigint | string): bigint => (typeof value === "bigint" ? value : BigInt(value));

/** A fixed64 timestamp read as its two little-endian 32-bit halves: no BigInt. */
export function readUnixNanos(reader: OtlpReader): UnixNanos {
  const lo = reader.fixed32();
  return unixNanosOfFixed64(lo, reader.fixed32());
}

/**
 * Reads `field` of a Span when it is one of those `spanProblem` checks (ids, kind,
 * times) into `span`, as the decoder and the scan both read them; false for any other.
 */
export function readSpanHeaderField(reader: OtlpReader, field: number, span: RawSpan): boolean {
  switch (field) {
    case 1:
      reader.expect(WireType.LengthDelimited, field);
      span.traceId = reader.repeatedHex();
      return true;
    case 2:
      reader.expect(WireType.LengthDelimited, field);
      span.spanId = reader.hex();
      return true;
    case 4:
      reader.expect(WireType.LengthDelimited, field);
      span.parentSpanId = reader.hex();
      return true;
    case 6:
      reader.expect(WireType.Varint, field);
      span.kind = reader.int32();
      return true;
    case 7:
    case 8: {
      reader.expect(WireType.Bit64, field);
      const time = readUnixNanos(reader);
      if (field === 7) span.startTimeUnixNano = time;
      else span.endTimeUnixNano = time;
      return true;
    }
    default:
      return false;
  }
}

function readSpan(reader: OtlpReader, stop: number): RawSpan {
  const span: RawSpan = emptyRawSpan();
  while (reader.pos < stop) {
    const field = reader.nextField();
    if (readSpanHeaderField(reader, field, span)) continue;
    if (field === 5) {
      reader.expect(WireType.LengthDelimited, field);
      span.name = reader.string(true);
    } else if (field === 9) readKeyValue(reader, reader.message(field), span.attributes, 0);
    else if (field === 11) span.events.push(readEvent(reader, reader.message(field)));
    else if (field === 15) readStatus(reader, reader.message(field), span.status);
    else reader.skipValue(field);
  }
  return span;
}

function readEvent(reader: OtlpReader, stop: number): RawSpan["events"][number] {
  const event: RawSpan["events"][number] = { name: "", timeUnixNano: NO_TIME, attributes: {} };
  while (reader.pos < stop) {
    const field = reader.nextField();
    const wire = reader.wire;
    if (field === 1 && wire === WireType.Bit64) event.timeUnixNano = readUnixNanos(reader);
    else if (field === 2 && wire === WireType.LengthDelimited) event.name = reader.string(true);
    else if (field === 3 && wire === WireType.LengthDelimited) readKeyValue(reader, reader.end(), event.attributes, 0);
    else reader.skipValue(field);
  }
  return event;
}

function readStatus(reader: OtlpReader, stop: number, status: RawSpan["status"]): void {
  while (reader.pos < stop) {
    const field = reader.nextField();
    const wire = reader.wire;
    if (field === 2 && wire === WireType.LengthDelimited) status.message = reader.string(true);
    else if (field === 3 && wire === WireType.Varint) status.code = reader.int32();
    else reader.skipValue(field);
  }
}

/** One KeyValue into `into`; a later duplicate key wins, as with the generic decoder. */
function readKeyValue(reader: OtlpReader, stop: number, into: Record<string, unknown>, depth: number): void {
  let key = "";
  let value: unknown = null;
  while (reader.pos < stop) {
    const field = reader.nextField();
    const wire = reader.wire;
    if (field === 1 && wire === WireType.LengthDelimited) key = reader.key();
    else if (field === 2 && wire === WireType.LengthDelimited) value = readAnyValue(reader, reader.end(), depth + 1);
    else reader.skipValue(field);
  }
  setKey(into, key, value);
}

/**
 * AnyValue's bool (2), int (3), double (4) and bytes (7), checked and read as the
 * generated decoder reads them; converted to their JSON form only when `keep`.
 */
export function readAnyScalar(reader: OtlpReader, field: 2 | 3 | 4 | 7, keep: boolean): unknown {
  switch (field) {
    case 2:
      reader.expect(WireType.Varint, field);
      return reader.bool();
    case 3: {
      reader.expect(WireType.Varint, field);
      const int = reader.int64();
      return keep ? int64ToJson(toBigInt(int)) : undefined;
    }
    case 4: {
      reader.expect(WireType.Bit64, field);
      const double = reader.double();
      return Number.isFinite(double) ? double : String(double);
    }
    case 7:
      reader.expect(WireType.LengthDelimited, field);
      if (!keep) return void reader.skipField();
      return base64Encode(reader.bytes());
  }
}

function readAnyValue(reader: OtlpReader, stop: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error("attribute values are nested too deeply");
  let value: unknown = null;
  // In a oneof, the last member on the wire wins.
  while (reader.pos < stop) {
    const field = reader.nextField();
    switch (field) {
      case 1:
        reader.expect(WireType.LengthDelimited, field);
        value = reader.string(true);
        break;
      case 2:
      case 3:
      case 4:
      case 7:
        value = readAnyScalar(reader, field, true);
        break;
      case 5: {
        const values: unknown[] = [];
        reader.eachMessage(reader.message(field), (end) => values.push(readAnyValue(reader, end, depth + 1)));
        value = values;
        break;
      }
      case 6: {
        const object: Record<string, unknown> = {};
        reader.eachMessage(reader.message(field), (end) => readKeyValue(reader, end, object, depth));
        value = object;
        break;
      }
      default:
        reader.skipValue(field);
    }
  }
  return value;
}
