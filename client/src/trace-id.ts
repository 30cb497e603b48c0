/**
 * @module Content-derived trace ids, computed exactly as the server computes them
 * (`worker/ingest/native.ts`): `t-` and the first 32 hex digits of the SHA-256 of the
 * trace as the server's schema parses it, serialised with `JSON.stringify`. A trace
 * sent without an id gets this id before the first attempt, so a retried identical
 * send is a duplicate of the first, never a second trace.
 */

/** Field order of the server's trace schema; its parser emits known fields in this order, then the others. */
const TRACE_FIELDS = [
  "id",
  "agent",
  "version",
  "input",
  "output",
  "startTime",
  "endTime",
  "status",
  "error",
  "metadata",
  "tags",
  "spans",
] as const;
const SPAN_FIELDS = [
  "id",
  "parentId",
  "type",
  "name",
  "startTime",
  "endTime",
  "status",
  "error",
  "model",
  "provider",
  "usage",
  "input",
  "output",
  "metadata",
] as const;
const USAGE_FIELDS = ["inputTokens", "outputTokens", "totalTokens", "cost"] as const;
const TIME_FIELDS = new Set(["startTime", "endTime"]);

type Json = Record<string, unknown>;

/**
 * Turns any value into plain JSON data, as the server will receive it: `toJSON` is
 * applied, `undefined` dropped, a bigint becomes a string and a cycle becomes
 * "[Circular]", so recording an odd value never throws inside the agent.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    const text = JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v));
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    const seen = new WeakSet<object>();
    const text = JSON.stringify(value, (_key, v) => {
      if (typeof v === "bigint") return v.toString();
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[Circular]";
        seen.add(v);
      }
      return v;
    });
    return text === undefined ? undefined : JSON.parse(text);
  }
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** ISO 8601 or epoch milliseconds, normalised as the server does; anything else is left for the server to refuse. */
function normaliseTime(value: unknown): unknown {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return new Date(value).toISOString();
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return value;
}

function ordered(source: Json, fields: readonly string[], fill: (key: string, value: unknown) => unknown): Json {
  const out: Json = {};
  const known = new Set(fields);
  for (const key of fields) {
    if (!(key in source)) continue;
    const value = fill(key, source[key]);
    if (value !== undefined) out[key] = value;
  }
  for (const [key, value] of Object.entries(source)) {
    if (!known.has(key) && value !== undefined) out[key] = value;
  }
  return out;
}

function canonicalSpan(span: unknown): unknown {
  if (!isPlainObject(span)) return span;
  // The server's span schema defaults a missing status to "ok" at its place in the field order.
  const withStatus = "status" in span && span.status !== undefined ? span : { ...span, status: "ok" };
  return ordered(withStatus, SPAN_FIELDS, (key, value) => {
    if (TIME_FIELDS.has(key)) return normaliseTime(value);
    if (key === "usage" && isPlainObject(value)) return ordered(value, USAGE_FIELDS, (_k, v) => v);
    return value;
  });
}

/**
 * The trace in the form the server parses it into: known fields in schema order,
 * then the rest in their own order, times as ISO strings, span status defaulted.
 * Takes JSON data (see `toJsonValue`).
 */
export function canonicalTrace(trace: Json): Json {
  return ordered(trace, TRACE_FIELDS, (key, value) => {
    if (TIME_FIELDS.has(key)) return normaliseTime(value);
    if (key === "spans" && Array.isArray(value)) return value.map(canonicalSpan);
    return value;
  });
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** The id the server would give this trace (JSON data, no `id`). */
export async function deriveTraceId(trace: Json): Promise<string> {
  const { id: _ignored, ...content } = canonicalTrace(trace);
  const digest = await sha256(new TextEncoder().encode(JSON.stringify(content)));
  let hex = "";
  for (const byte of digest.subarray(0, 16)) hex += HEX[byte];
  return `t-${hex}`;
}

/**
 * Plain JSON data of the trace with its id: the caller's when given, else the
 * content-derived one. This is exactly what goes on the wire.
 */
export async function withTraceId(trace: object): Promise<Json> {
  const plain = toJsonValue(trace);
  if (!isPlainObject(plain)) throw new TypeError("A trace must be an object.");
  const canonical = canonicalTrace(plain);
  if (typeof canonical.id === "string") return canonical;
  return { id: await deriveTraceId(canonical), ...canonical };
}
