/**
 * @module A direct protobuf reader for ExportTraceServiceRequest on the ingest hot
 * path. It reads the wire format straight into the raw spans that `otlp/` validates
 * and maps, skipping the generic, reflection-driven message objects of `fromBinary`,
 * which cost about as much as everything else a request does. Its output is the same
 * as `decodeProtobufTraces` (wire-decode.test.ts checks that on the same payloads).
 */
import { WireType, base64Encode } from "@bufbuild/protobuf/wire";
import { int64ToJson, setKey } from "./attributes";
import { undecodableProtobuf } from "./errors";
import {
  emptyRawSpan,
  NO_TIME,
  RejectionLog,
  spanProblem,
  toSpanRecord,
  unixNanosOfFixed64,
  type OtlpScope,
  type RawSpan,
  type UnixNanos,
  type OtlpDecodeResult,
  type OtlpSpanRecord,
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
    while (reader.pos < reader.len) {
      const tag = reader.tagNumber();
      const field = tag >>> 3;
      const wire: WireType = tag & 7;
      if (field === 1 && wire === WireType.LengthDelimited)
        readResourceSpans(reader, end(reader), r++, spans, rejections);
      else reader.skip(wire, field);
    }
  } catch (error) {
    throw undecodableProtobuf(error);
  }
  return { spans, rejected: rejections.toJSON() };
}

/** Reads a length prefix and returns where the embedded message ends. */
export function end(reader: OtlpReader): number {
  const length = reader.uint32();
  const at = reader.pos + length;
  if (at > reader.len) throw new RangeError("premature EOF");
  return at;
}

export function expectWire(actual: WireType, expected: WireType, field: number): void {
  if (actual !== expected) throw new Error(`field ${field} has wire type ${actual}, expected ${expected}`);
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
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 1) {
      expectWire(wire, WireType.LengthDelimited, field);
      readResource(reader, end(reader), resource);
    } else if (field === 2) {
      expectWire(wire, WireType.LengthDelimited, field);
      scopes.push(readScopeSpans(reader, end(reader)));
    } else {
      reader.skip(wire, field);
    }
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
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 1 && wire === WireType.LengthDelimited) readKeyValue(reader, end(reader), into, 0);
    else reader.skip(wire, field);
  }
}

function readScopeSpans(reader: OtlpReader, stop: number): { scope: OtlpScope; spans: RawSpan[] } {
  const scope: OtlpScope = { name: "", version: "" };
  const spans: RawSpan[] = [];
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 1) {
      expectWire(wire, WireType.LengthDelimited, field);
      readScope(reader, end(reader), scope);
    } else if (field === 2) {
      expectWire(wire, WireType.LengthDelimited, field);
      spans.push(readSpan(reader, end(reader)));
    } else {
      reader.skip(wire, field);
    }
  }
  return { scope, spans };
}

export function readScope(reader: OtlpReader, stop: number, scope: OtlpScope): void {
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 1 && wire === WireType.LengthDelimited) scope.name = reader.string();
    else if (field === 2 && wire === WireType.LengthDelimited) scope.version = reader.string();
    else reader.skip(wire, field);
  }
}

const toBigInt = (value: bigint | string): bigint => (typeof value === "bigint" ? value : BigInt(value));

/** A fixed64 timestamp read as its two little-endian 32-bit halves: no BigInt. */
export function readUnixNanos(reader: OtlpReader): UnixNanos {
  const lo = reader.fixed32();
  return unixNanosOfFixed64(lo, reader.fixed32());
}

function readSpan(reader: OtlpReader, stop: number): RawSpan {
  const span: RawSpan = emptyRawSpan();
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    switch (field) {
      case 1:
        expectWire(wire, WireType.LengthDelimited, field);
        span.traceId = reader.repeatedHex();
        break;
      case 2:
        expectWire(wire, WireType.LengthDelimited, field);
        span.spanId = reader.hex();
        break;
      case 4:
        expectWire(wire, WireType.LengthDelimited, field);
        span.parentSpanId = reader.hex();
        break;
      case 5:
        expectWire(wire, WireType.LengthDelimited, field);
        span.name = reader.string();
        break;
      case 6:
        expectWire(wire, WireType.Varint, field);
        span.kind = reader.int32();
        break;
      case 7:
        expectWire(wire, WireType.Bit64, field);
        span.startTimeUnixNano = readUnixNanos(reader);
        break;
      case 8:
        expectWire(wire, WireType.Bit64, field);
        span.endTimeUnixNano = readUnixNanos(reader);
        break;
      case 9:
        expectWire(wire, WireType.LengthDelimited, field);
        readKeyValue(reader, end(reader), span.attributes, 0);
        break;
      case 11:
        expectWire(wire, WireType.LengthDelimited, field);
        span.events.push(readEvent(reader, end(reader)));
        break;
      case 15:
        expectWire(wire, WireType.LengthDelimited, field);
        readStatus(reader, end(reader), span.status);
        break;
      default:
        reader.skip(wire, field);
    }
  }
  return span;
}

function readEvent(reader: OtlpReader, stop: number): RawSpan["events"][number] {
  const event: RawSpan["events"][number] = { name: "", timeUnixNano: NO_TIME, attributes: {} };
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 1 && wire === WireType.Bit64) event.timeUnixNano = readUnixNanos(reader);
    else if (field === 2 && wire === WireType.LengthDelimited) event.name = reader.string();
    else if (field === 3 && wire === WireType.LengthDelimited) readKeyValue(reader, end(reader), event.attributes, 0);
    else reader.skip(wire, field);
  }
  return event;
}

function readStatus(reader: OtlpReader, stop: number, status: RawSpan["status"]): void {
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 2 && wire === WireType.LengthDelimited) status.message = reader.string();
    else if (field === 3 && wire === WireType.Varint) status.code = reader.int32();
    else reader.skip(wire, field);
  }
}

/** One KeyValue into `into`; a later duplicate key wins, as with the generic decoder. */
function readKeyValue(reader: OtlpReader, stop: number, into: Record<string, unknown>, depth: number): void {
  let key = "";
  let value: unknown = null;
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 1 && wire === WireType.LengthDelimited) key = reader.key();
    else if (field === 2 && wire === WireType.LengthDelimited) value = readAnyValue(reader, end(reader), depth + 1);
    else reader.skip(wire, field);
  }
  setKey(into, key, value);
}

function readAnyValue(reader: OtlpReader, stop: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error("attribute values are nested too deeply");
  let value: unknown = null;
  // In a oneof, the last member on the wire wins.
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    switch (field) {
      case 1:
        expectWire(wire, WireType.LengthDelimited, field);
        value = reader.string();
        break;
      case 2:
        expectWire(wire, WireType.Varint, field);
        value = reader.bool();
        break;
      case 3:
        expectWire(wire, WireType.Varint, field);
        value = int64ToJson(toBigInt(reader.int64()));
        break;
      case 4: {
        expectWire(wire, WireType.Bit64, field);
        const double = reader.double();
        value = Number.isFinite(double) ? double : String(double);
        break;
      }
      case 5:
        expectWire(wire, WireType.LengthDelimited, field);
        value = readArray(reader, end(reader), depth);
        break;
      case 6: {
        expectWire(wire, WireType.LengthDelimited, field);
        const object: Record<string, unknown> = {};
        const listEnd = end(reader);
        while (reader.pos < listEnd) {
          const t = reader.tagNumber();
          const f = t >>> 3;
          const w: WireType = t & 7;
          if (f === 1 && w === WireType.LengthDelimited) readKeyValue(reader, end(reader), object, depth);
          else reader.skip(w, f);
        }
        value = object;
        break;
      }
      case 7:
        expectWire(wire, WireType.LengthDelimited, field);
        value = base64Encode(reader.bytes());
        break;
      default:
        reader.skip(wire, field);
    }
  }
  return value;
}

function readArray(reader: OtlpReader, stop: number, depth: number): unknown[] {
  const values: unknown[] = [];
  while (reader.pos < stop) {
    const tag = reader.tagNumber();
    const field = tag >>> 3;
    const wire: WireType = tag & 7;
    if (field === 1 && wire === WireType.LengthDelimited) values.push(readAnyValue(reader, end(reader), depth + 1));
    else reader.skip(wire, field);
  }
  return values;
}
