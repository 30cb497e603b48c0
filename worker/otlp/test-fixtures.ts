/**
 * @module Test-only builders of OTLP export requests, in OTLP/JSON and in
 * protobuf (encoded with the generated code), from a compact description.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { ExportTraceServiceRequestSchema } from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import type { AnyValueSchema, KeyValueSchema } from "./gen/opentelemetry/proto/common/v1/common_pb.js";
import { traceSchema } from "../domain/trace.js";
import type { Span, Trace } from "../domain/trace.js";
import { assembleTrace } from "./assemble-trace.js";
import { decodeOtlpTraces } from "./decode.js";
import type { OtlpSpanRecord } from "./span-record.js";

export const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
/** 2026-11-26T10:00:00.000Z in milliseconds. */
export const T0 = Date.parse("2026-11-26T10:00:00.000Z");

export interface SpanSpec {
  traceId?: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  /** Milliseconds after T0. */
  start: number;
  end?: number;
  attributes?: Record<string, unknown>;
  events?: { name: string; at?: number; attributes?: Record<string, unknown> }[];
  status?: { code: number; message?: string };
}

export interface ResourceSpec {
  resource?: Record<string, unknown>;
  scope?: { name: string; version?: string };
  spans: SpanSpec[];
}

const nanos = (ms: number): bigint => BigInt(T0 + ms) * 1_000_000n;

/** A JS value as an OTLP/JSON AnyValue (integers as int64 strings, as the OTel JS exporter does not). */
export function jsonAnyValue(value: unknown): unknown {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "bigint") return { intValue: value.toString() };
  if (typeof value === "number") {
    // proto3 JSON spells non-finite doubles as strings.
    if (!Number.isFinite(value)) return { doubleValue: String(value) };
    return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  if (value instanceof Uint8Array) return { bytesValue: base64Encode(value) };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(jsonAnyValue) } };
  if (value && typeof value === "object")
    return { kvlistValue: { values: jsonKeyValues(value as Record<string, unknown>) } };
  return {};
}

const jsonKeyValues = (attrs: Record<string, unknown> = {}) =>
  Object.entries(attrs).map(([key, value]) => ({ key, value: jsonAnyValue(value) }));

export function jsonRequest(resources: ResourceSpec[]): Record<string, unknown> {
  return {
    resourceSpans: resources.map((r) => ({
      resource: { attributes: jsonKeyValues(r.resource) },
      scopeSpans: [
        {
          scope: r.scope ?? { name: "test-scope", version: "1.0.0" },
          spans: r.spans.map((span) => ({
            traceId: span.traceId ?? TRACE_ID,
            spanId: span.spanId,
            ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
            name: span.name,
            kind: span.kind ?? 1,
            startTimeUnixNano: nanos(span.start).toString(),
            ...(span.end !== undefined ? { endTimeUnixNano: nanos(span.end).toString() } : {}),
            attributes: jsonKeyValues(span.attributes),
            events: (span.events ?? []).map((event) => ({
              name: event.name,
              timeUnixNano: nanos(event.at ?? span.start).toString(),
              attributes: jsonKeyValues(event.attributes),
            })),
            ...(span.status ? { status: span.status } : {}),
          })),
        },
      ],
    })),
  };
}

export const jsonBody = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

type AnyValueInit = MessageInitShape<typeof AnyValueSchema>;
type KeyValueInit = MessageInitShape<typeof KeyValueSchema>;

function protoAnyValue(value: unknown): AnyValueInit {
  if (typeof value === "string") return { value: { case: "stringValue", value } };
  if (typeof value === "boolean") return { value: { case: "boolValue", value } };
  if (typeof value === "bigint") return { value: { case: "intValue", value } };
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? { value: { case: "intValue", value: BigInt(value) } }
      : { value: { case: "doubleValue", value } };
  }
  if (value instanceof Uint8Array) return { value: { case: "bytesValue", value } };
  if (Array.isArray(value)) return { value: { case: "arrayValue", value: { values: value.map(protoAnyValue) } } };
  if (value && typeof value === "object") {
    return { value: { case: "kvlistValue", value: { values: protoKeyValues(value as Record<string, unknown>) } } };
  }
  return {};
}

const protoKeyValues = (attrs: Record<string, unknown> = {}): KeyValueInit[] =>
  Object.entries(attrs).map(([key, value]) => ({ key, value: protoAnyValue(value) }));

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));

export function protobufRequest(resources: ResourceSpec[]): Uint8Array {
  const message = create(ExportTraceServiceRequestSchema, {
    resourceSpans: resources.map((r) => ({
      resource: { attributes: protoKeyValues(r.resource) },
      scopeSpans: [
        {
          scope: r.scope ?? { name: "test-scope", version: "1.0.0" },
          spans: r.spans.map((span) => ({
            traceId: hexBytes(span.traceId ?? TRACE_ID),
            spanId: hexBytes(span.spanId),
            parentSpanId: span.parentSpanId ? hexBytes(span.parentSpanId) : new Uint8Array(0),
            name: span.name,
            kind: span.kind ?? 1,
            startTimeUnixNano: nanos(span.start),
            endTimeUnixNano: span.end !== undefined ? nanos(span.end) : 0n,
            attributes: protoKeyValues(span.attributes),
            events: (span.events ?? []).map((event) => ({
              name: event.name,
              timeUnixNano: nanos(event.at ?? span.start),
              attributes: protoKeyValues(event.attributes),
            })),
            status: span.status ? { code: span.status.code, message: span.status.message ?? "" } : undefined,
          })),
        },
      ],
    })),
  });
  return toBinary(ExportTraceServiceRequestSchema, message);
}

/** Spans of a described request, decoded from OTLP/JSON. */
export function decodedSpans(resources: ResourceSpec[]): OtlpSpanRecord[] {
  const { spans, rejected } = decodeOtlpTraces(jsonBody(jsonRequest(resources)), "json");
  if (rejected.count > 0) throw new Error(`fixture spans rejected: ${rejected.reasons.join("; ")}`);
  return spans;
}

/** The trace assembled from a described request, checked against the native trace schema. */
export function traceFrom(resources: ResourceSpec[]): Trace {
  const trace = assembleTrace(decodedSpans(resources));
  const check = traceSchema.safeParse(trace);
  if (!check.success) throw new Error(`assembled trace fails traceSchema: ${JSON.stringify(check.error.issues)}`);
  return trace;
}

export const spanNamed = (trace: Trace, name: string): Span => {
  const span = trace.spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name} in ${trace.spans.map((s) => s.name).join(", ")}`);
  return span;
};
