/**
 * @module A JSON Schema subset, checked at definition time and compiled once into
 * plain closures. Workers forbid `eval` and `new Function`, which rules out the
 * usual code-generating validators, so this interprets a pre-digested tree.
 *
 * Supported: type, properties, required, additionalProperties, items,
 * minItems/maxItems, enum, const, minimum/maximum, exclusiveMinimum/
 * exclusiveMaximum, minLength/maxLength, pattern, anyOf/oneOf/allOf, `true` /
 * `false` schemas. Annotations ($schema, $id, title, description, default,
 * examples, $comment) are ignored. Anything else is refused, so a schema never
 * silently checks less than its author thinks.
 */
import { regexProblem } from "./regex-safety";
import { jsonEquals } from "./text";

export const JSON_SCHEMA_TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"] as const;
type JsonType = (typeof JSON_SCHEMA_TYPES)[number];

const VALIDATION_KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "enum",
  "const",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "anyOf",
  "oneOf",
  "allOf",
]);
const ANNOTATION_KEYWORDS = new Set(["$schema", "$id", "title", "description", "default", "examples", "$comment"]);

/** Deeper schemas are not written by hand; the limit bounds recursion on both sides. */
export const MAX_SCHEMA_DEPTH = 32;
/** A failing value reports at most this many problems. */
const MAX_ERRORS = 5;

/** One problem with a schema definition, with a JSON-pointer-like location. */
export interface SchemaProblem {
  path: string;
  message: string;
}

/** Every reason `schema` is not a schema of the supported subset (empty when it is). */
export function jsonSchemaProblems(schema: unknown, path = "#", depth = 0): SchemaProblem[] {
  if (typeof schema === "boolean") return [];
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    return [{ path, message: "a schema must be an object or a boolean" }];
  }
  if (depth > MAX_SCHEMA_DEPTH) return [{ path, message: `schemas may nest at most ${MAX_SCHEMA_DEPTH} levels` }];
  const s = schema as Record<string, unknown>;
  const problems: SchemaProblem[] = [];
  const at = (key: string) => `${path}/${key}`;
  const add = (key: string, message: string) => problems.push({ path: at(key), message });
  for (const key of Object.keys(s)) {
    if (!VALIDATION_KEYWORDS.has(key) && !ANNOTATION_KEYWORDS.has(key)) {
      add(key, `keyword \`${key}\` is not supported; supported keywords: ${[...VALIDATION_KEYWORDS].join(", ")}`);
    }
  }
  if ("type" in s) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0 || !types.every((t) => (JSON_SCHEMA_TYPES as readonly unknown[]).includes(t))) {
      add("type", `must be one of ${JSON_SCHEMA_TYPES.join(", ")} (or an array of them)`);
    }
  }
  for (const key of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
    if (key in s && (typeof s[key] !== "number" || !Number.isFinite(s[key]))) add(key, "must be a number");
  }
  for (const key of ["minLength", "maxLength", "minItems", "maxItems"]) {
    if (key in s && !(Number.isInteger(s[key]) && (s[key] as number) >= 0)) add(key, "must be a non-negative integer");
  }
  if ("pattern" in s) {
    const problem = typeof s.pattern === "string" ? regexProblem(s.pattern, "u") : "must be a string";
    if (problem) add("pattern", problem);
  }
  if ("enum" in s && (!Array.isArray(s.enum) || s.enum.length === 0)) add("enum", "must be a non-empty array");
  if ("required" in s && !(Array.isArray(s.required) && s.required.every((r) => typeof r === "string"))) {
    add("required", "must be an array of property names");
  }
  if ("properties" in s) {
    const props = s.properties;
    if (props === null || typeof props !== "object" || Array.isArray(props)) add("properties", "must be an object");
    else
      for (const [name, sub] of Object.entries(props))
        problems.push(...jsonSchemaProblems(sub, `${at("properties")}/${name}`, depth + 1));
  }
  if ("additionalProperties" in s)
    problems.push(...jsonSchemaProblems(s.additionalProperties, at("additionalProperties"), depth + 1));
  if ("items" in s) {
    if (Array.isArray(s.items))
      add("items", "tuple form (an array of schemas) is not supported; give one schema for every item");
    else problems.push(...jsonSchemaProblems(s.items, at("items"), depth + 1));
  }
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    if (!(key in s)) continue;
    const list = s[key];
    if (!Array.isArray(list) || list.length === 0) add(key, "must be a non-empty array of schemas");
    else for (const [i, sub] of list.entries()) problems.push(...jsonSchemaProblems(sub, `${at(key)}/${i}`, depth + 1));
  }
  return problems;
}

/** Validates a value; returns its problems (empty when valid). */
export type JsonSchemaValidator = (value: unknown) => string[];

/**
 * Compiles a schema that passed {@link jsonSchemaProblems}. Patterns become
 * `RegExp`s here, once, rather than on every trace.
 */
export function compileJsonSchema(schema: unknown): JsonSchemaValidator {
  const check = compileNode(schema);
  return (value) => {
    const errors: string[] = [];
    check(value, "$", errors);
    return errors.slice(0, MAX_ERRORS);
  };
}

type Check = (value: unknown, path: string, errors: string[]) => void;

function compileNode(schema: unknown): Check {
  if (schema === true) return () => {};
  if (schema === false) return (_value, path, errors) => void errors.push(`${path} is not allowed`);
  const s = schema as Record<string, unknown>;
  const checks: Check[] = [];
  if ("type" in s) checks.push(typeCheck(Array.isArray(s.type) ? (s.type as JsonType[]) : [s.type as JsonType]));
  if ("enum" in s) {
    const options = s.enum as unknown[];
    checks.push((v, p, e) => {
      if (!options.some((o) => jsonEquals(o, v))) e.push(`${p} must be one of ${JSON.stringify(options)}`);
    });
  }
  if ("const" in s) {
    const expected = s.const;
    checks.push((v, p, e) => {
      if (!jsonEquals(expected, v)) e.push(`${p} must equal ${JSON.stringify(expected)}`);
    });
  }
  checks.push(...numberChecks(s), ...stringChecks(s), ...arrayChecks(s), ...objectChecks(s), ...combinatorChecks(s));
  return (value, path, errors) => {
    for (const check of checks) {
      check(value, path, errors);
      if (errors.length >= MAX_ERRORS) return;
    }
  };
}

function typeOf(value: unknown): JsonType | "other" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const t = typeof value;
  if (t === "number") return Number.isInteger(value) ? "integer" : "number";
  if (t === "string" || t === "boolean" || t === "object") return t;
  return "other";
}

function typeCheck(types: JsonType[]): Check {
  return (value, path, errors) => {
    const actual = typeOf(value);
    const ok = types.includes(actual as JsonType) || (actual === "integer" && types.includes("number"));
    if (!ok) errors.push(`${path} must be ${types.join(" or ")}, got ${actual}`);
  };
}

function numberChecks(s: Record<string, unknown>): Check[] {
  const bounds: Array<[string, (v: number, b: number) => boolean, string]> = [
    ["minimum", (v, b) => v >= b, ">="],
    ["maximum", (v, b) => v <= b, "<="],
    ["exclusiveMinimum", (v, b) => v > b, ">"],
    ["exclusiveMaximum", (v, b) => v < b, "<"],
  ];
  return bounds
    .filter(([key]) => key in s)
    .map(([key, ok, symbol]) => {
      const bound = s[key] as number;
      return (v: unknown, p: string, e: string[]) => {
        if (typeof v === "number" && !ok(v, bound)) e.push(`${p} must be ${symbol} ${bound}, got ${v}`);
      };
    });
}

/**
 * String length in code points, as JSON Schema defines it (an emoji is one).
 * A string of n UTF-16 units has between n/2 and n code points, so most
 * bounds are decided without walking a 2 KB answer character by character.
 */
function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function hasAtLeastCodePoints(text: string, min: number): boolean {
  if (text.length < min) return false;
  if (text.length / 2 >= min) return true;
  return codePointLength(text) >= min;
}

function hasAtMostCodePoints(text: string, max: number): boolean {
  if (text.length <= max) return true;
  if (text.length / 2 > max) return false;
  return codePointLength(text) <= max;
}

function stringChecks(s: Record<string, unknown>): Check[] {
  const checks: Check[] = [];
  if ("minLength" in s) {
    const min = s.minLength as number;
    checks.push((v, p, e) => {
      if (typeof v === "string" && !hasAtLeastCodePoints(v, min))
        e.push(`${p} must be at least ${min} characters long`);
    });
  }
  if ("maxLength" in s) {
    const max = s.maxLength as number;
    checks.push((v, p, e) => {
      if (typeof v === "string" && !hasAtMostCodePoints(v, max)) e.push(`${p} must be at most ${max} characters long`);
    });
  }
  if ("pattern" in s) {
    const source = s.pattern as string;
    const regex = new RegExp(source, "u");
    checks.push((v, p, e) => {
      if (typeof v === "string" && !regex.test(v)) e.push(`${p} must match /${source}/`);
    });
  }
  return checks;
}

function arrayChecks(s: Record<string, unknown>): Check[] {
  const checks: Check[] = [];
  if ("minItems" in s) {
    const min = s.minItems as number;
    checks.push((v, p, e) => {
      if (Array.isArray(v) && v.length < min) e.push(`${p} must have at least ${min} items`);
    });
  }
  if ("maxItems" in s) {
    const max = s.maxItems as number;
    checks.push((v, p, e) => {
      if (Array.isArray(v) && v.length > max) e.push(`${p} must have at most ${max} items`);
    });
  }
  if ("items" in s) {
    const item = compileNode(s.items);
    checks.push((v, p, e) => {
      if (!Array.isArray(v)) return;
      for (let i = 0; i < v.length && e.length < MAX_ERRORS; i++) item(v[i], `${p}[${i}]`, e);
    });
  }
  return checks;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function objectChecks(s: Record<string, unknown>): Check[] {
  const checks: Check[] = [];
  if ("required" in s) {
    const required = s.required as string[];
    checks.push((v, p, e) => {
      if (!isPlainObject(v)) return;
      for (const name of required) if (!Object.hasOwn(v, name)) e.push(`${p}.${name} is required`);
    });
  }
  const properties = new Map<string, Check>();
  if (isPlainObject(s.properties)) {
    for (const [name, sub] of Object.entries(s.properties)) properties.set(name, compileNode(sub));
  }
  if (properties.size > 0) {
    checks.push((v, p, e) => {
      if (!isPlainObject(v)) return;
      for (const [name, check] of properties) {
        if (Object.hasOwn(v, name)) check(v[name], `${p}.${name}`, e);
      }
    });
  }
  if ("additionalProperties" in s) {
    const extra = compileNode(s.additionalProperties);
    checks.push((v, p, e) => {
      if (!isPlainObject(v)) return;
      for (const name of Object.keys(v)) if (!properties.has(name)) extra(v[name], `${p}.${name}`, e);
    });
  }
  return checks;
}

function combinatorChecks(s: Record<string, unknown>): Check[] {
  const checks: Check[] = [];
  if (Array.isArray(s.allOf)) {
    const all = s.allOf.map(compileNode);
    checks.push((v, p, e) => {
      for (const check of all) check(v, p, e);
    });
  }
  if (Array.isArray(s.anyOf)) {
    const any = s.anyOf.map(compileNode);
    checks.push((v, p, e) => {
      if (countMatches(any, v, p) === 0) e.push(`${p} must match at least one schema of anyOf`);
    });
  }
  if (Array.isArray(s.oneOf)) {
    const one = s.oneOf.map(compileNode);
    checks.push((v, p, e) => {
      const n = countMatches(one, v, p);
      if (n !== 1) e.push(`${p} must match exactly one schema of oneOf, matched ${n}`);
    });
  }
  return checks;
}

function countMatches(checks: Check[], value: unknown, path: string): number {
  let matches = 0;
  for (const check of checks) {
    const errors: string[] = [];
    check(value, path, errors);
    if (errors.length === 0) matches++;
  }
  return matches;
}
