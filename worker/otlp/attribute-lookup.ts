/**
 * @module Reading semantic-convention attributes out of a flattened attribute
 * map: the first present key of a list, counts, JSON-in-a-string values and
 * flattened `prefix.0.field` keys rebuilt into arrays and objects.
 */
import { isObject, setKey } from "./attributes.js";

export type Attributes = Record<string, unknown>;

/** A value and the attribute keys it was read from (so they are not kept twice). */
export interface Picked {
  value: unknown;
  keys: string[];
}

const present = (value: unknown): boolean => value !== undefined && value !== null && value !== "";

/** The first key of `keys` whose value is present (not null, undefined or ""). */
export function pick(attrs: Attributes, keys: readonly string[]): Picked | undefined {
  for (const key of keys) {
    const value = attrs[key];
    if (present(value)) return { value, keys: [key] };
  }
  return undefined;
}

export function pickString(attrs: Attributes, keys: readonly string[]): string | undefined {
  const value = pick(attrs, keys)?.value;
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A token count: a non-negative integer, given as a number or a numeric string. */
export function asCount(value: unknown): number | undefined {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

export function pickCount(attrs: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const count = asCount(attrs[key]);
    if (count !== undefined) return count;
  }
  return undefined;
}

/**
 * Conventions put structured values (messages, tool arguments) into string
 * attributes as JSON. A string that parses as a JSON object or array is
 * returned parsed; anything else is returned unchanged.
 */
export function parseJsonish(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const start = value.trimStart()[0];
  if (start !== "{" && start !== "[") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Like `parseJsonish`, but also parses JSON strings and scalars (for values declared JSON by a mime type). */
export function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Attribute keys starting with `prefix`, in attribute order. */
export function keysWithPrefix(attrs: Attributes, prefix: string): string[] {
  const keys: string[] = [];
  for (const key in attrs) if (key.startsWith(prefix)) keys.push(key);
  return keys;
}

/** `prefix.a` = 1, `prefix.b` = 2 as `{a: 1, b: 2}`; undefined when there is none. */
export function collectPrefixed(attrs: Attributes, prefix: string): Record<string, unknown> | undefined {
  const keys = keysWithPrefix(attrs, prefix);
  if (keys.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) setKey(out, key.slice(prefix.length), attrs[key]);
  return out;
}

/**
 * Rebuilds flattened keys such as `llm.input_messages.0.message.role` into
 * nested values (`[{message: {role}}]`): segments become object keys, and an
 * object whose keys are all indices becomes an array in index order.
 */
export function unflatten(attrs: Attributes, prefix: string): Picked | undefined {
  const keys = keysWithPrefix(attrs, prefix);
  if (keys.length === 0) return undefined;
  const root: Record<string, unknown> = {};
  for (const key of keys) {
    const path = key.slice(prefix.length).split(".");
    let node = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        setKey(node, segment, attrs[key]);
        return;
      }
      const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
      if (isObject(next)) {
        node = next;
      } else {
        const child: Record<string, unknown> = {};
        setKey(node, segment, child);
        node = child;
      }
    });
  }
  return { value: indexedToArrays(root), keys };
}

const INDEX = /^\d+$/;

function indexedToArrays(value: unknown): unknown {
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((key) => INDEX.test(key))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => indexedToArrays(value[key]));
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) setKey(out, key, indexedToArrays(value[key]));
  return out;
}
