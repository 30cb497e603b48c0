import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OtlpSpanRecord } from ".";
import { decodeProtobufTraces } from "./decode-protobuf";
import { traceRequests } from "./trace-requests";
import { decodeProtobufTracesFast } from "./wire-decode";
import { scanProtobufTraces } from "./wire-scan";

/**
 * Protobuf lets an encoder write a message's fields in any order, and a repeated
 * embedded message (a ResourceSpans with several `resource` fields) merges. Encoders
 * write fields in field-number order, so these messages are built by hand, each field
 * a function that writes itself, then shuffled.
 */
type Field = (writer: BinaryWriter) => void;

const message =
  (no: number, fields: Field[]): Field =>
  (writer) => {
    const inner = new BinaryWriter();
    for (const field of fields) field(inner);
    writer.tag(no, WireType.LengthDelimited).bytes(inner.finish());
  };
const text =
  (no: number, value: string): Field =>
  (writer) =>
    writer.tag(no, WireType.LengthDelimited).string(value);
const bytes =
  (no: number, hex: string): Field =>
  (writer) =>
    writer.tag(no, WireType.LengthDelimited).bytes(Uint8Array.from(hex.match(/../g)!, (b) => Number.parseInt(b, 16)));
const fixed64 =
  (no: number, value: bigint): Field =>
  (writer) =>
    writer.tag(no, WireType.Bit64).fixed64(value);
const varint =
  (no: number, value: number): Field =>
  (writer) =>
    writer.tag(no, WireType.Varint).int32(value);

const TRACE_IDS = ["0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"];
const T0 = 1_790_000_000_000_000_000n;

/** A KeyValue whose value is a string or an int; keys from a small set, so duplicates (later wins) occur. */
const keyValue = fc
  .tuple(fc.constantFrom("service.name", "gen_ai.agent.name", "region", "tokens"), fc.oneof(fc.string(), fc.integer()))
  .map(([key, value]) =>
    message(1, [text(1, key), message(2, [typeof value === "string" ? text(1, value) : varint(3, value)])]),
  );

/** The message's fields, shuffled: the order an unusual encoder may write them in. */
const shuffled = (fields: Field[]) =>
  fc.shuffledSubarray(fields, { minLength: fields.length, maxLength: fields.length });

const span = fc
  .record({
    trace: fc.constantFrom(...TRACE_IDS),
    spanId: fc.stringMatching(/^[0-9a-f]{15}[1-9a-f]$/),
    parent: fc.option(fc.stringMatching(/^[0-9a-f]{15}[1-9a-f]$/), { nil: undefined }),
    name: fc.string({ minLength: 1, maxLength: 8 }),
    kind: fc.integer({ min: 0, max: 5 }),
    start: fc.bigInt({ min: 0n, max: 10_000_000n }),
    attributes: fc.array(keyValue, { maxLength: 3 }),
  })
  .chain((s) =>
    shuffled([
      bytes(1, s.trace),
      bytes(2, s.spanId),
      ...(s.parent ? [bytes(4, s.parent)] : []),
      text(5, s.name),
      varint(6, s.kind),
      fixed64(7, T0 + s.start),
      fixed64(8, T0 + s.start + 1_000n),
      ...s.attributes.map((attribute) => (writer: BinaryWriter) => {
        // An attribute is field 9 of a Span: re-tag the KeyValue written as field 1.
        const inner = new BinaryWriter();
        attribute(inner);
        const written = inner.finish();
        writer.raw(Uint8Array.of(0x4a)).raw(written.subarray(1));
      }),
    ]).map((fields) => message(2, fields)),
  );

const scopeSpans = fc
  .record({
    scopes: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
    spans: fc.array(span, { minLength: 1, maxLength: 4 }),
  })
  .chain(({ scopes, spans }) =>
    shuffled([...scopes.map((name) => message(1, [text(1, name)])), ...spans]).map((fields) => message(2, fields)),
  );

/** A ResourceSpans with 0 to 3 `resource` fields, interleaved with its ScopeSpans. */
const resourceSpans = fc
  .record({
    resources: fc.array(fc.array(keyValue, { maxLength: 3 }), { maxLength: 3 }),
    scopeSpans: fc.array(scopeSpans, { minLength: 1, maxLength: 3 }),
  })
  .chain(({ resources, scopeSpans }) =>
    shuffled([...resources.map((attributes) => message(1, attributes)), ...scopeSpans]).map((fields) =>
      message(1, fields),
    ),
  );

const request = fc.array(resourceSpans, { minLength: 1, maxLength: 3 }).map((fields) => {
  const writer = new BinaryWriter();
  for (const field of fields) field(writer);
  return writer.finish();
});

function byTrace(records: OtlpSpanRecord[]): Map<string, OtlpSpanRecord[]> {
  const out = new Map<string, OtlpSpanRecord[]>();
  for (const record of records) out.set(record.traceId, [...(out.get(record.traceId) ?? []), record]);
  return out;
}

describe("wire readers on fields out of order and repeated resources", () => {
  it("decode exactly as the generated decoder", () => {
    fc.assert(
      fc.property(request, (body) => {
        expect(decodeProtobufTracesFast(body)).toEqual(decodeProtobufTraces(body));
      }),
      { numRuns: 300 },
    );
  });

  it("scan and cut per-trace requests that decode to the generated decoder's records", () => {
    fc.assert(
      fc.property(request, fc.integer({ min: 1, max: 400 }), (body, maxBytes) => {
        const expected = decodeProtobufTraces(body);
        const scan = scanProtobufTraces(body);
        expect(scan.rejected).toEqual(expected.rejected);
        const cut = new Map<string, OtlpSpanRecord[]>();
        for (const traceId of new Set(scan.spans.map((s) => s.traceId))) {
          const spans = scan.spans.filter((s) => s.traceId === traceId);
          cut.set(
            traceId,
            traceRequests(body, scan.groups, spans, maxBytes).flatMap((piece) => decodeProtobufTraces(piece).spans),
          );
        }
        expect(cut).toEqual(byTrace(expected.spans));
      }),
      { numRuns: 300 },
    );
  });
});
