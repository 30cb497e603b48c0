import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OtlpDecodeError, type OtlpSpanRecord } from ".";
import { sdkAgentRuns } from "../../test/fixtures/otlp-sdk";
import { EVERY_VALUE_KIND, protobufRequest } from "../../test/fixtures/otlp";
import { provisionalAgent } from "./trace-pieces";
import { traceRequests } from "./trace-requests";
import { scanProtobufTraces } from "./wire-scan";
import { decodeProtobufTracesFast } from "./wire-decode";

/** Two agent runs (two traces) from the real SDK, with events, an error status and every attribute kind. */
const sdkPayload = (): Uint8Array => sdkAgentRuns(["planner", "writer"], 3);

/** Two resources, two scopes, spans of one trace spread over them, and spans the decoder rejects. */
const fixture = protobufRequest([
  EVERY_VALUE_KIND,
  {
    resource: { "service.name": "other-svc" },
    scope: { name: "t", version: "1" },
    spans: [
      {
        spanId: "00f067aa0ba902ba",
        parentSpanId: "00f067aa0ba902b7",
        name: "late child",
        start: 2,
        attributes: { "gen_ai.agent.name": "helper" },
      },
    ],
  },
]);

/** Decodes the per-trace requests and returns their records, as the shard will at assembly. */
function recordsFromTraceRequests(body: Uint8Array, maxBytes = 1_000_000): Map<string, OtlpSpanRecord[]> {
  const scan = scanProtobufTraces(body);
  const out = new Map<string, OtlpSpanRecord[]>();
  for (const traceId of new Set(scan.spans.map((span) => span.traceId))) {
    const spans = scan.spans.filter((span) => span.traceId === traceId);
    out.set(
      traceId,
      traceRequests(body, scan.groups, spans, maxBytes).flatMap((request) => decodeProtobufTracesFast(request).spans),
    );
  }
  return out;
}

function byTrace(records: OtlpSpanRecord[]): Map<string, OtlpSpanRecord[]> {
  const out = new Map<string, OtlpSpanRecord[]>();
  for (const record of records) out.set(record.traceId, [...(out.get(record.traceId) ?? []), record]);
  return out;
}

describe("scanProtobufTraces", () => {
  it.each([
    ["the real SDK exporter's payload", sdkPayload()],
    ["a payload with two resources, every AnyValue kind and rejected spans", fixture],
    ["an empty request", new Uint8Array(0)],
  ])("finds the spans and rejections the full decoder finds in %s", (_name, body) => {
    const scan = scanProtobufTraces(body);
    const decoded = decodeProtobufTracesFast(body);
    expect(scan.spans.map((s) => [s.traceId, s.spanId, s.isRoot])).toEqual(
      decoded.spans.map((s) => [s.traceId, s.spanId, s.parentSpanId === null]),
    );
    expect(scan.rejected).toEqual(decoded.rejected);
  });

  it.each([
    ["the real SDK exporter's payload", sdkPayload()],
    ["a payload with two resources and scopes", fixture],
  ])("cuts per-trace requests out of %s that decode to exactly the body's records", (_name, body) => {
    const expected = byTrace(decodeProtobufTracesFast(body).spans);
    expect(recordsFromTraceRequests(body)).toEqual(expected);
    // Split at every span, each piece still carries its resource and scope.
    expect(recordsFromTraceRequests(body, 1)).toEqual(expected);
  });

  it("keeps each per-trace request under the size it is given, one span always fitting", () => {
    const body = sdkPayload();
    const scan = scanProtobufTraces(body);
    const spans = scan.spans.filter((span) => span.traceId === scan.spans[0]!.traceId);
    const largest = Math.max(...spans.map((span) => span.end - span.start));
    const requests = traceRequests(body, scan.groups, spans, largest * 2);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.flatMap((r) => decodeProtobufTracesFast(r).spans.map((s) => s.spanId))).toEqual(
      spans.map((s) => s.spanId),
    );
  });

  it("suggests the root's gen_ai.agent.name, then any span's, then the resource's service.name", () => {
    const scan = scanProtobufTraces(fixture);
    expect(provisionalAgent(scan.spans, scan.groups)).toBe("helper");
    const sdk = scanProtobufTraces(sdkPayload());
    const agents = new Set(
      [...new Set(sdk.spans.map((s) => s.traceId))].map((id) =>
        provisionalAgent(
          sdk.spans.filter((s) => s.traceId === id),
          sdk.groups,
        ),
      ),
    );
    expect(agents).toEqual(new Set(["planner", "writer"]));
    const plain = scanProtobufTraces(
      protobufRequest([
        { resource: { "service.name": "svc-only" }, spans: [{ spanId: "00f067aa0ba902b7", name: "root", start: 0 }] },
      ]),
    );
    expect(provisionalAgent(plain.spans, plain.groups)).toBe("svc-only");
  });

  it("refuses a span whose fields run past its declared length", () => {
    // ResourceSpans { ScopeSpans { Span (length 2) { name (length 3) "abc" } } }: the name overruns the span.
    const body = new Uint8Array([0x0a, 0x09, 0x12, 0x07, 0x12, 0x02, 0x2a, 0x03, 0x61, 0x62, 0x63]);
    expect(() => scanProtobufTraces(body)).toThrow(OtlpDecodeError);
  });

  it("accepts only what the full decoder accepts, and then agrees with it span for span", () => {
    const base = sdkPayload();
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(base.length), (at, byte, cut) => {
        const body = base.slice(0, Math.max(cut, at + 1));
        body[at] = byte;
        let decoded: ReturnType<typeof decodeProtobufTracesFast> | null = null;
        try {
          decoded = decodeProtobufTracesFast(body);
        } catch (error) {
          expect(error).toBeInstanceOf(OtlpDecodeError);
        }
        let scan: ReturnType<typeof scanProtobufTraces>;
        try {
          scan = scanProtobufTraces(body);
        } catch (error) {
          // The scan may be stricter (a message overrunning its length), never more lenient.
          expect(error).toBeInstanceOf(OtlpDecodeError);
          return;
        }
        expect(decoded).not.toBeNull();
        expect(scan.rejected).toEqual(decoded!.rejected);
        expect(recordsFromTraceRequests(body)).toEqual(byTrace(decoded!.spans));
      }),
      { numRuns: 500 },
    );
  });
});
