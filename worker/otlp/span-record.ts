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
 * A nanosecond timestamp as two exact integers, whole milliseconds and the
 * nanoseconds beyond them, so that no BigInt is needed on the hot path
 * (BigInt division was the largest cost of decoding). Absent or not positive is
 * `{ ms: 0, subMs: 0 }`: every check treats those alike.
 */
export interface UnixNanos {
  ms: number;
  subMs: number;
}

export const NO_TIME: UnixNanos = { ms: 0, subMs: 0 };

/** From a bigint (the generic decoders); the fast protobuf reader uses `unixNanosOfFixed64`. */
export function unixNanosOf(nanos: bigint): UnixNanos {
  if (nanos <= 0n) return NO_TIME;
  return { ms: Number(nanos / 1_000_000n), subMs: Number(nanos % 1_000_000n) };
}

/**
 * From the two little-endian halves of a fixed64. 2^32 = 4294 * 10^6 + 967296, so
 * hi * 967296 + lo stays below 2^53 and every step is exact in doubles.
 */
export function unixNanosOfFixed64(lo: number, hi: number): UnixNanos {
  if (lo === 0 && hi === 0) return NO_TIME;
  const rest = hi * 967_296 + lo;
  const restMs = Math.floor(rest / 1_000_000);
  return { ms: hi * 4294 + restMs, subMs: rest - restMs * 1_000_000 };
}

const hasTime = (t: UnixNanos): boolean => t.ms > 0 || t.subMs > 0;
const isBefore = (a: UnixNanos, b: UnixNanos): boolean => a.ms < b.ms || (a.ms === b.ms && a.subMs < b.subMs);

/** The decimal string of the nanoseconds, as `bigint.toString()` would give it. */
export function unixNanosDecimal(t: UnixNanos): string {
  if (t.ms === 0) return String(t.subMs);
  const sub = String(t.subMs);
  return `${t.ms}${"000000".slice(sub.length)}${sub}`;
}

// Spans of one batch mostly share their second, so its ISO prefix is formatted once.
let isoSecond = Number.NaN;
let isoPrefix = "";

/** ISO time with millisecond precision, as `new Date(ms).toISOString()` gives it (and throws like it out of range). */
export function unixNanosToIso(t: UnixNanos): string {
  const second = Math.floor(t.ms / 1000);
  if (second !== isoSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Years beyond 9999 have another shape; those are rare enough to format whole.
    if (iso.length !== 24) return new Date(t.ms).toISOString();
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const millis = t.ms - second * 1000;
  return `${isoPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

/**
 * What a wire decoder hands over for one span: ids already as lowercase hex
 * (possibly invalid), times as UnixNanos (`NO_TIME` when absent).
 */
export interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: UnixNanos;
  endTimeUnixNano: UnixNanos;
  status: { code: number; message: string };
  attributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: UnixNanos; attributes: Record<string, unknown> }[];
}

/** A RawSpan with no field read yet, as a wire reader starts one. */
export function emptyRawSpan(): RawSpan {
  return {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    name: "",
    kind: 0,
    startTimeUnixNano: NO_TIME,
    endTimeUnixNano: NO_TIME,
    status: { code: 0, message: "" },
    attributes: {},
    events: [],
  };
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

  /** Starts from rejections already made (by a decoder), to add more to. */
  constructor(from?: OtlpRejections) {
    if (!from) return;
    this.count = from.count;
    this.reasons.push(...from.reasons);
  }

  reject(where: string, reason: string, spans = 1): void {
    this.count += spans;
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
  const idProblem = checkId("traceId", raw.traceId, TRACE_ID, 16) ?? checkId("spanId", raw.spanId, SPAN_ID, 8);
  if (idProblem) return idProblem;
  if (raw.parentSpanId !== "" && !ALL_ZERO.test(raw.parentSpanId) && !SPAN_ID.test(raw.parentSpanId)) {
    return `parentSpanId must be empty or 8 bytes (16 hex characters), got ${quote(raw.parentSpanId)}`;
  }
  if (raw.name === "") return "name is required and must not be empty";
  if (!hasTime(raw.startTimeUnixNano)) return "startTimeUnixNano is required";
  if (hasTime(raw.endTimeUnixNano) && isBefore(raw.endTimeUnixNano, raw.startTimeUnixNano)) {
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

/** The parent span id as records hold it: null when absent (empty or all zeroes). */
export function parentSpanIdOf(parentSpanId: string): string | null {
  return parentSpanId === "" || ALL_ZERO.test(parentSpanId) ? null : parentSpanId;
}

/** A valid raw span as a record; call only after `spanProblem` returned null. */
export function toSpanRecord(raw: RawSpan, resource: Record<string, unknown>, scope: OtlpScope): OtlpSpanRecord {
  const hasEnd = hasTime(raw.endTimeUnixNano);
  return {
    traceId: raw.traceId,
    spanId: raw.spanId,
    parentSpanId: parentSpanIdOf(raw.parentSpanId),
    name: raw.name,
    kind: raw.kind,
    startTime: unixNanosToIso(raw.startTimeUnixNano),
    endTime: hasEnd ? unixNanosToIso(raw.endTimeUnixNano) : null,
    startTimeUnixNano: unixNanosDecimal(raw.startTimeUnixNano),
    endTimeUnixNano: hasEnd ? unixNanosDecimal(raw.endTimeUnixNano) : null,
    status: raw.status,
    attributes: raw.attributes,
    resource,
    scope,
    events: raw.events.map((event) => ({
      name: event.name,
      time: hasTime(event.timeUnixNano) ? unixNanosToIso(event.timeUnixNano) : null,
      attributes: event.attributes,
    })),
  };
}
