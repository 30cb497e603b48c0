/**
 * @module Decodes an OTLP/JSON ExportTraceServiceRequest into span records.
 * OTLP/JSON is proto3 JSON with two differences that rule out a generic
 * proto3 JSON parser: trace and span ids are hex (not base64), and enums are
 * integers. Keys may be lowerCamelCase or the proto snake_case names; unknown
 * fields are ignored.
 */
import { MalformedJsonValue, isObject, jsonAttributesToJson, jsonField, jsonInt64 } from "./attributes.js";
import { OtlpDecodeError } from "./errors.js";
import { jsonIdToHex } from "./hex.js";
import { RejectionLog, spanProblem, toSpanRecord } from "./span-record.js";
import { unixNanosOf } from "./span-record.js";
import type { OtlpDecodeResult, OtlpSpanRecord, RawSpan } from "./span-record.js";

type JsonObject = Record<string, unknown>;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

export function decodeJsonTraces(body: Uint8Array): OtlpDecodeResult {
  const request = parseBody(body);
  const spans: OtlpSpanRecord[] = [];
  const rejections = new RejectionLog();
  list(request, "resourceSpans", "resource_spans", "the request").forEach((resourceSpans, r) => {
    const where = `resourceSpans[${r}]`;
    const resource = wholeOrThrow(where, () =>
      jsonAttributesToJson(attributesOf(jsonField(object(resourceSpans, where), "resource", "resource"))),
    );
    list(resourceSpans as JsonObject, "scopeSpans", "scope_spans", where).forEach((scopeSpans, s) => {
      const scopeWhere = `${where}.scopeSpans[${s}]`;
      const scopeValue = jsonField(object(scopeSpans, scopeWhere), "scope", "scope");
      const scope = {
        name: isObject(scopeValue) && typeof scopeValue.name === "string" ? scopeValue.name : "",
        version: isObject(scopeValue) && typeof scopeValue.version === "string" ? scopeValue.version : "",
      };
      list(scopeSpans as JsonObject, "spans", "spans", scopeWhere).forEach((span, i) => {
        const spanWhere = `${scopeWhere}.spans[${i}]`;
        let problem: string | null;
        let raw: RawSpan | undefined;
        try {
          raw = toRawSpan(span);
          problem = spanProblem(raw);
        } catch (error) {
          if (!(error instanceof MalformedJsonValue)) throw error;
          problem = error.message;
        }
        if (problem || !raw) rejections.reject(spanWhere, problem ?? "malformed span");
        else spans.push(toSpanRecord(raw, resource, scope));
      });
    });
  });
  return { spans, rejected: rejections.toJSON() };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function parseBody(body: Uint8Array): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError(
      `The body is not valid UTF-8 JSON (${detail}). Send an OTLP/JSON ExportTraceServiceRequest, or protobuf with Content-Type application/x-protobuf.`,
      { cause: error },
    );
  }
  if (!isObject(parsed)) {
    throw new OtlpDecodeError(
      'The body must be a JSON object like {"resourceSpans": [...]} (an OTLP ExportTraceServiceRequest).',
    );
  }
  return parsed;
}

/** A container field (resourceSpans, scopeSpans, spans) that must be an array when present. */
function list(obj: JsonObject, camel: string, snake: string, where: string): unknown[] {
  const value = jsonField(obj, camel, snake);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${camel} in ${where} must be an array.`);
  return value;
}

function object(value: unknown, where: string): JsonObject {
  if (!isObject(value)) throw new OtlpDecodeError(`${where} must be an object.`);
  return value;
}

function attributesOf(holder: unknown): unknown {
  return isObject(holder) ? holder.attributes : undefined;
}

/** A resource shared by many spans that cannot be read makes the request undecodable. */
function wholeOrThrow<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof MalformedJsonValue) throw new OtlpDecodeError(`${where}.resource: ${error.message}.`);
    throw error;
  }
}

function toRawSpan(span: unknown): RawSpan {
  if (!isObject(span)) throw new MalformedJsonValue("a span must be a JSON object");
  const status = jsonField(span, "status", "status");
  const events = jsonField(span, "events", "events") ?? [];
  if (!Array.isArray(events)) throw new MalformedJsonValue("events must be an array");
  const name = span.name ?? "";
  return {
    traceId: jsonIdToHex(jsonField(span, "traceId", "trace_id"), 16),
    spanId: jsonIdToHex(jsonField(span, "spanId", "span_id"), 8),
    parentSpanId: jsonIdToHex(jsonField(span, "parentSpanId", "parent_span_id"), 8),
    name: typeof name === "string" ? name : String(name),
    kind: enumValue(span.kind, SPAN_KINDS, "kind"),
    startTimeUnixNano: unixNanosOf(
      jsonInt64(jsonField(span, "startTimeUnixNano", "start_time_unix_nano"), "startTimeUnixNano"),
    ),
    endTimeUnixNano: unixNanosOf(
      jsonInt64(jsonField(span, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano"),
    ),
    status: {
      code: isObject(status) ? enumValue(status.code, STATUS_CODES, "status.code") : 0,
      message: isObject(status) && typeof status.message === "string" ? status.message : "",
    },
    attributes: jsonAttributesToJson(span.attributes),
    events: events.map((event) => {
      if (!isObject(event)) throw new MalformedJsonValue("each event must be a JSON object");
      return {
        name: typeof event.name === "string" ? event.name : "",
        timeUnixNano: unixNanosOf(jsonInt64(jsonField(event, "timeUnixNano", "time_unix_nano"), "event timeUnixNano")),
        attributes: jsonAttributesToJson(event.attributes),
      };
    }),
  };
}

/** OTLP/JSON enums are integers; the proto3 JSON enum names are accepted too. */
function enumValue(value: unknown, names: Record<string, number>, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && value in names) return names[value]!;
  throw new MalformedJsonValue(`${what} must be an integer enum value, got ${JSON.stringify(value)}`);
}
