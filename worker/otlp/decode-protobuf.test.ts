import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { decodeOtlpTraces } from "./decode.js";
import { OtlpDecodeError } from "./errors.js";
import { ExportTraceServiceRequestSchema } from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import { MAX_REJECTION_REASONS } from "./span-record.js";
import { T0, TRACE_ID, jsonBody, jsonRequest, protobufRequest } from "../../test/fixtures/otlp";
import type { ResourceSpec } from "../../test/fixtures/otlp";

const sample: ResourceSpec[] = [
  {
    resource: { "service.name": "support-bot", "service.version": "1.2.3" },
    scope: { name: "ai", version: "6.0.0" },
    spans: [
      {
        spanId: "00f067aa0ba902b7",
        name: "invoke_agent support",
        kind: 2,
        start: 0,
        end: 1500,
        attributes: {
          str: "hello",
          flag: true,
          count: 42,
          big: 9007199254740993n,
          ratio: 0.25,
          notANumber: Number.NaN,
          list: ["a", 1, false],
          nested: { inner: { deep: "x" }, arr: [1.5] },
          raw: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
        },
        events: [{ name: "exception", at: 700, attributes: { "exception.message": "boom" } }],
        status: { code: 2, message: "failed" },
      },
      { spanId: "1111111111111111", parentSpanId: "00f067aa0ba902b7", name: "chat", kind: 3, start: 10 },
    ],
  },
  {
    resource: { "service.name": "other" },
    spans: [{ spanId: "2222222222222222", name: "other span", start: 20, end: 30 }],
  },
];

describe("decodeOtlpTraces (protobuf)", () => {
  it("round-trips a request encoded with the generated code", () => {
    const { spans, rejected } = decodeOtlpTraces(protobufRequest(sample), "protobuf");
    expect(rejected).toEqual({ count: 0, reasons: [] });
    expect(spans).toHaveLength(3);
    const [agent, chat, other] = spans;
    expect(agent).toEqual({
      traceId: TRACE_ID,
      spanId: "00f067aa0ba902b7",
      parentSpanId: null,
      name: "invoke_agent support",
      kind: 2,
      startTime: "2026-11-26T10:00:00.000Z",
      endTime: "2026-11-26T10:00:01.500Z",
      startTimeUnixNano: (BigInt(T0) * 1_000_000n).toString(),
      endTimeUnixNano: (BigInt(T0 + 1500) * 1_000_000n).toString(),
      status: { code: 2, message: "failed" },
      attributes: {
        str: "hello",
        flag: true,
        count: 42,
        big: "9007199254740993",
        ratio: 0.25,
        notANumber: "NaN",
        list: ["a", 1, false],
        nested: { inner: { deep: "x" }, arr: [1.5] },
        raw: "3q2+7w==",
      },
      resource: { "service.name": "support-bot", "service.version": "1.2.3" },
      scope: { name: "ai", version: "6.0.0" },
      events: [{ name: "exception", time: "2026-11-26T10:00:00.700Z", attributes: { "exception.message": "boom" } }],
    });
    expect(chat).toMatchObject({ parentSpanId: "00f067aa0ba902b7", kind: 3, endTime: null, endTimeUnixNano: null });
    expect(other).toMatchObject({
      resource: { "service.name": "other" },
      scope: { name: "test-scope", version: "1.0.0" },
    });
  });

  it("keeps nanosecond precision in startTimeUnixNano", () => {
    const message = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: new Uint8Array(16).fill(0xab),
                  spanId: new Uint8Array(8).fill(0xcd),
                  name: "precise",
                  startTimeUnixNano: 1764151200123456789n,
                  endTimeUnixNano: 1764151200123456790n,
                },
              ],
            },
          ],
        },
      ],
    });
    const [span] = decodeOtlpTraces(toBinary(ExportTraceServiceRequestSchema, message), "protobuf").spans;
    expect(span).toMatchObject({
      traceId: "ab".repeat(16),
      spanId: "cd".repeat(8),
      startTimeUnixNano: "1764151200123456789",
      startTime: "2025-11-26T10:00:00.123Z",
      resource: {},
      scope: { name: "", version: "" },
    });
  });

  it("decodes the same spans from protobuf and from JSON", () => {
    const fromProto = decodeOtlpTraces(protobufRequest(sample), "protobuf");
    const fromJson = decodeOtlpTraces(jsonBody(jsonRequest(sample)), "json");
    expect(fromJson).toEqual(fromProto);
  });

  it("rejects invalid spans with reasons and keeps the others", () => {
    const bad: ResourceSpec[] = [
      {
        spans: [
          { spanId: "1111111111111111", name: "good", start: 0 },
          { traceId: "0".repeat(32), spanId: "2222222222222222", name: "zero trace", start: 0 },
          { traceId: "abcd", spanId: "3333333333333333", name: "short trace", start: 0 },
          { spanId: "0000000000000000", name: "zero span", start: 0 },
          { spanId: "4444444444444444", name: "", start: 0 },
          { spanId: "5555555555555555", name: "ends early", start: 10, end: 5 },
          { spanId: "6666666666666666", parentSpanId: "abcdef", name: "bad parent", start: 0 },
          { spanId: "7777777777777777", parentSpanId: "0000000000000000", name: "zero parent is root", start: 0 },
        ],
      },
    ];
    const { spans, rejected } = decodeOtlpTraces(protobufRequest(bad), "protobuf");
    expect(spans.map((s) => s.name)).toEqual(["good", "zero parent is root"]);
    expect(spans[1]!.parentSpanId).toBeNull();
    expect(rejected.count).toBe(6);
    expect(rejected.reasons).toEqual([
      "resourceSpans[0].scopeSpans[0].spans[1]: traceId must not be all zeroes",
      'resourceSpans[0].scopeSpans[0].spans[2]: traceId must be 16 bytes (32 hex characters), got "abcd"',
      "resourceSpans[0].scopeSpans[0].spans[3]: spanId must not be all zeroes",
      "resourceSpans[0].scopeSpans[0].spans[4]: name is required and must not be empty",
      "resourceSpans[0].scopeSpans[0].spans[5]: endTimeUnixNano must not be before startTimeUnixNano",
      'resourceSpans[0].scopeSpans[0].spans[6]: parentSpanId must be empty or 8 bytes (16 hex characters), got "abcdef"',
    ]);
  });

  it("rejects a span without ids or start time", () => {
    const message = create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { name: "no ids" },
                { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(1), name: "no start" },
              ],
            },
          ],
        },
      ],
    });
    const { spans, rejected } = decodeOtlpTraces(toBinary(ExportTraceServiceRequestSchema, message), "protobuf");
    expect(spans).toEqual([]);
    expect(rejected.reasons).toEqual([
      "resourceSpans[0].scopeSpans[0].spans[0]: traceId is required",
      "resourceSpans[0].scopeSpans[0].spans[1]: startTimeUnixNano is required",
    ]);
  });

  it("counts every rejected span but caps the reasons", () => {
    const spans = Array.from({ length: 30 }, (_, i) => ({ spanId: "0".repeat(16), name: `s${i}`, start: 0 }));
    const { rejected } = decodeOtlpTraces(protobufRequest([{ spans }]), "protobuf");
    expect(rejected.count).toBe(30);
    expect(rejected.reasons).toHaveLength(MAX_REJECTION_REASONS);
  });

  it("decodes an empty body as a request without spans", () => {
    expect(decodeOtlpTraces(new Uint8Array(0), "protobuf")).toEqual({ spans: [], rejected: { count: 0, reasons: [] } });
  });

  it("throws OtlpDecodeError for bytes that are not protobuf", () => {
    const attempt = () => decodeOtlpTraces(new TextEncoder().encode('{"resourceSpans": []}'), "protobuf");
    expect(attempt).toThrow(OtlpDecodeError);
    expect(attempt).toThrow(/not a valid protobuf ExportTraceServiceRequest/);
  });

  it("throws OtlpDecodeError for a truncated message", () => {
    const bytes = protobufRequest(sample);
    expect(() => decodeOtlpTraces(bytes.subarray(0, bytes.length - 7), "protobuf")).toThrow(OtlpDecodeError);
  });
});
