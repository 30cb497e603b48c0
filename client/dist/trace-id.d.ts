// Generated from client/src by `npm run build:client`. Do not edit.
/**
 * @module Content-derived trace ids, computed exactly as the server computes them
 * (`worker/ingest/native.ts`): `t-` and the first 32 hex digits of the SHA-256 of the
 * trace as the server's schema parses it, serialised with `JSON.stringify`. A trace
 * sent without an id gets this id before the first attempt, so a retried identical
 * send is a duplicate of the first, never a second trace.
 */
type Json = Record<string, unknown>;
/**
 * Turns any value into plain JSON data, as the server will receive it: `toJSON` is
 * applied, `undefined` dropped, a bigint becomes a string and a cycle becomes
 * "[Circular]", so recording an odd value never throws inside the agent.
 */
export declare function toJsonValue(value: unknown): unknown;
/**
 * The trace in the form the server parses it into: known fields in schema order,
 * then the rest in their own order, times as ISO strings, span status defaulted.
 * Takes JSON data (see `toJsonValue`).
 */
export declare function canonicalTrace(trace: Json): Json;
export declare function sha256(bytes: Uint8Array): Promise<Uint8Array>;
/** The id the server would give this trace (JSON data, no `id`). */
export declare function deriveTraceId(trace: Json): Promise<string>;
/**
 * Plain JSON data of the trace with its id: the caller's when given, else the
 * content-derived one. This is exactly what goes on the wire.
 */
export declare function withTraceId(trace: object): Promise<Json>;
export {};
