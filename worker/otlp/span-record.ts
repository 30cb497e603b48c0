/**
 * @module The normalised OTLP span record both wire decoders produce, and the
 * per-span validation that decides whether a span is kept or rejected.
 */

export interface OtlpEventRecord {
  name: string;
  /** ISO time, or null when the event carried no timestamp. */
  time: string | null;
  attributes: Record<string, unknown>;
}

export interface OtlpScope {
  name: string;
  version: string;
}

/** One valid OTLP span, with AnyValues flattened to plain JSON values. */
export interface OtlpSpanRecord {
  /** 32 lowercase hex characters, never all zeroes. */
  traceId: string;
  /** 16 lowercase hex characters, never all zeroes. */
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP SpanKind (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind: number;
  startTime: string;
  /** Null when the span had no end time. */
  endTime: string | null;
  /** Full-precision start, as the decimal string of the fixed64 nanoseconds. */
  startTimeUnixNano: string;
  endTimeUnixNano: string | null;
  /** OTLP StatusCode (0 unset, 1 ok, 2 error) and its message. */
  status: { code: number; message: string };
  attributes: Record<string, unknown>;
  /** Attributes of the span's resource; shared (not copied) by spans of one resource. */
  resource: Record<string, unknown>;
  scope: OtlpScope;
  events: OtlpEventRecord[];
}

export interface OtlpRejections {
  count: number;
  /** One sentence per rejected span, capped at MAX_REJECTION_REASONS. */
  reasons: string[];
}

export interface OtlpDecodeResult {
  spans: OtlpSpanRecord[];
  rejected: OtlpRejections;
}

/**
 * What a wire decoder hands over for one span: ids already as lowercase hex
 * (possibly invalid), times as nanosecond bigints (0n when absent).
 */
export interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  status: { code: number; message: string };
  attributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: bigint; attributes: Record<string, unknown> }[];
}

/** Reasons are echoed in the OTLP partial-success message, so their number is bounded. */
export const MAX_REJECTION_REASONS = 20;

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ALL_ZERO = /^0+$/;

/** Collects rejected spans: every one is counted, the first few are explained. */
export class RejectionLog {
  count = 0;
  readonly reasons: string[] = [];

  reject(where: string, reason: string): void {
    this.count++;
    if (this.reasons.length < MAX_REJECTION_REASONS) this.reasons.push(`${where}: ${reason}`);
  }

  toJSON(): OtlpRejections {
    return { count: this.count, reasons: [...this.reasons] };
  }
}

/** Nanoseconds since the epoch to an ISO string (millisecond precision, as `Date` allows). */
export function nanosToIso(nanos: bigint): string {
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}

/** Why the span is invalid, or null when it can be kept. */
export function spanProblem(raw: RawSpan): string | null {
  const idProblem =
    checkId("traceId", raw.traceId, TRACE_ID, 16) ?? checkId("spanId", raw.spanId, SPAN_ID, 8);
  if (idProblem) return idProblem;
  if (raw.parentSpanId !== "" && !ALL_ZERO.test(raw.parentSpanId) && !SPAN_ID.test(raw.parentSpanId)) {
    return `parentSpanId must be empty or 8 bytes (16 hex characters), got ${quote(raw.parentSpanId)}`;
  }
  if (raw.name === "") return "name is required and must not be empty";
  if (raw.startTimeUnixNano <= 0n) return "startTimeUnixNano is required";
  if (raw.endTimeUnixNano > 0n && raw.endTimeUnixNano < raw.startTimeUnixNano) {
    return "endTimeUnixNano must not be before startTimeUnixNano";
  }
  return null;
}

function checkId(field: string, value: string, pattern: RegExp, bytes: number): string | null {
  if (value === "") return `${field} is required`;
  if (!pattern.test(value)) {
    return `${field} must be ${bytes} bytes (${bytes * 2} hex characters), got ${quote(value)}`;
  }
  if (ALL_ZERO.test(value)) return `${field} must not be all zeroes`;
  return null;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** A valid raw span as a record; call only after `spanProblem` returned null. */
export function toSpanRecord(raw: RawSpan, resource: Record<string, unknown>, scope: OtlpScope): OtlpSpanRecord {
  const hasEnd = raw.endTimeUnixNano > 0n;
  return {
    traceId: raw.traceId,
    spanId: raw.spanId,
    parentSpanId: raw.parentSpanId === "" || ALL_ZERO.test(raw.parentSpanId) ? null : raw.parentSpanId,
    name: raw.name,
    kind: raw.kind,
    startTime: nanosToIso(raw.startTimeUnixNano),
    endTime: hasEnd ? nanosToIso(raw.endTimeUnixNano) : null,
    startTimeUnixNano: raw.startTimeUnixNano.toString(),
    endTimeUnixNano: hasEnd ? raw.endTimeUnixNano.toString() : null,
    status: raw.status,
    attributes: raw.attributes,
    resource,
    scope,
    events: raw.events.map((event) => ({
      name: event.name,
      time: event.timeUnixNano > 0n ? nanosToIso(event.timeUnixNano) : null,
      attributes: event.attributes,
    })),
  };
}
