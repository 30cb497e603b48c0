/**
 * @module OTLP AnyValue / KeyValue lists (protobuf messages or their JSON form)
 * flattened to plain JSON values: arrays stay arrays, kvlists become objects,
 * bytes become base64 strings, int64 becomes a number when it is exact.
 */
import { base64Encode } from "@bufbuild/protobuf/wire";
import type { AnyValue, KeyValue } from "./gen/opentelemetry/proto/common/v1/common_pb.js";

/** Assigns without letting a `__proto__` key replace the object's prototype. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * int64 to a JSON value: a number when exactly representable, otherwise the
 * decimal string, so no digit is silently lost.
 */
export function int64ToJson(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** NaN and Infinity are not JSON; keep them as their names rather than turning into null. */
function doubleToJson(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

export function protoAnyValueToJson(any: AnyValue | undefined): unknown {
  const value = any?.value;
  switch (value?.case) {
    case "stringValue":
    case "boolValue":
      return value.value;
    case "intValue":
      return int64ToJson(value.value);
    case "doubleValue":
      return doubleToJson(value.value);
    case "bytesValue":
      return base64Encode(value.value);
    case "arrayValue":
      return value.value.values.map(protoAnyValueToJson);
    case "kvlistValue":
      return protoAttributesToJson(value.value.values);
    default:
      return null;
  }
}

export function protoAttributesToJson(list: KeyValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) setKey(out, kv.key, protoAnyValueToJson(kv.value));
  return out;
}

/** Thrown for a JSON AnyValue or attribute list that is not shaped as OTLP says. */
export class MalformedJsonValue extends Error {}

type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Reads a field under its lowerCamelCase name or, failing that, its proto snake_case name. */
export function jsonField(obj: JsonObject, camel: string, snake: string): unknown {
  const value = obj[camel];
  return value === undefined ? obj[snake] : value;
}

/** A JSON int64: a decimal string or a number; anything else is malformed. */
export function jsonInt64(value: unknown, what: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isFinite(value)) return BigInt(Math.trunc(value));
  throw new MalformedJsonValue(`${what} must be an integer or a decimal string, got ${JSON.stringify(value)}`);
}

export function jsonAnyValueToJson(any: unknown): unknown {
  if (any === undefined || any === null) return null;
  if (!isObject(any)) throw new MalformedJsonValue(`an AnyValue must be an object, got ${JSON.stringify(any)}`);
  for (const key in any) {
    const value = any[key];
    switch (key) {
      case "stringValue":
      case "string_value":
      case "boolValue":
      case "bool_value":
        return value;
      case "intValue":
      case "int_value":
        return int64ToJson(jsonInt64(value, "intValue"));
      case "doubleValue":
      case "double_value":
        // proto3 JSON writes non-finite doubles as the strings "NaN", "Infinity", "-Infinity".
        return typeof value === "string" ? doubleToJson(Number(value)) : value;
      case "bytesValue":
      case "bytes_value":
        return value;
      case "arrayValue":
      case "array_value":
        return jsonList(value, "arrayValue").map(jsonAnyValueToJson);
      case "kvlistValue":
      case "kvlist_value":
        return jsonAttributesToJson(jsonList(value, "kvlistValue"));
    }
  }
  return null;
}

function jsonList(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) throw new MalformedJsonValue(`${what} must be an object with a values array`);
  const values = value.values ?? [];
  if (!Array.isArray(values)) throw new MalformedJsonValue(`${what}.values must be an array`);
  return values;
}

export function jsonAttributesToJson(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new MalformedJsonValue("attributes must be an array of {key, value}");
  for (const kv of list) {
    if (!isObject(kv) || typeof kv.key !== "string") {
      throw new MalformedJsonValue("each attribute must be an object with a string key");
    }
    setKey(out, kv.key, jsonAnyValueToJson(kv.value));
  }
  return out;
}
