/**
 * @module JSON Schema for the `json_schema` rule, validated by @cfworker/json-schema
 * (made for Workers: no `eval`, drafts 4 to 2020-12; schemas here are read as 2020-12).
 * This module adds what a grader needs around it: a check of the schema when the
 * grader is created, so a mistake is a 400 then and not a failing trace later, and
 * failure reasons in one short form (`$.answer must be string, got integer`).
 *
 * Refused when a grader is created, so a schema never silently checks less than its
 * author thinks, or hangs a grader:
 * - keywords that are not JSON Schema 2020-12 (a typo would check nothing);
 * - `$ref` / `$dynamicRef` that do not point into the schema itself (`#/...`): nothing
 *   is fetched, and a reference that resolves to nothing would fail every trace;
 * - `items` as an array (the pre-2020 tuple form; use `prefixItems`);
 * - a `pattern` or `patternProperties` key that could backtrack catastrophically;
 * - nesting deeper than MAX_SCHEMA_DEPTH.
 */
import { type OutputUnit, Validator } from "@cfworker/json-schema";
import { regexProblem } from "./regex-safety";

export const JSON_SCHEMA_TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"] as const;

/** Deeper schemas are not written by hand; the limit bounds recursion on both sides. */
export const MAX_SCHEMA_DEPTH = 32;
/** A failing value reports at most this many problems. */
const MAX_ERRORS = 5;

/** Keywords whose value is one schema, a map of schemas, or a list of schemas. */
const SCHEMA_KEYWORDS = [
  "additionalProperties",
  "items",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "unevaluatedItems",
  "unevaluatedProperties",
];
const SCHEMA_MAP_KEYWORDS = ["properties", "patternProperties", "$defs", "dependentSchemas"];
const SCHEMA_LIST_KEYWORDS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const OTHER_KEYWORDS = [
  "type",
  "enum",
  "const",
  "multipleOf",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minContains",
  "maxContains",
  "minProperties",
  "maxProperties",
  "required",
  "dependentRequired",
  "$ref",
  "$dynamicRef",
  "$anchor",
  "$dynamicAnchor",
  "$schema",
  "$id",
  "$vocabulary",
  "$comment",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
  "contentEncoding",
  "contentMediaType",
  "contentSchema",
];
const KNOWN_KEYWORDS = new Set([
  ...SCHEMA_KEYWORDS,
  ...SCHEMA_MAP_KEYWORDS,
  ...SCHEMA_LIST_KEYWORDS,
  ...OTHER_KEYWORDS,
]);

/** One problem with a schema definition, with a JSON-pointer-like location. */
export interface SchemaProblem {
  path: string;
  message: string;
}

/** Every reason `schema` is refused (empty when it is accepted). */
export function jsonSchemaProblems(schema: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  checkSchema(schema, schema, "#", 0, problems);
  return problems;
}

function checkSchema(root: unknown, schema: unknown, path: string, depth: number, problems: SchemaProblem[]): void {
  if (typeof schema === "boolean") return;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    problems.push({ path, message: "a schema must be an object or a boolean" });
    return;
  }
  if (depth > MAX_SCHEMA_DEPTH) {
    problems.push({ path, message: `schemas may nest at most ${MAX_SCHEMA_DEPTH} levels` });
    return;
  }
  const s = schema as Record<string, unknown>;
  const at = (key: string) => `${path}/${key}`;
  const add = (key: string, message: string) => problems.push({ path: at(key), message });
  for (const key of Object.keys(s)) {
    if (!KNOWN_KEYWORDS.has(key))
      add(key, `keyword \`${key}\` is not supported: it is not a JSON Schema 2020-12 keyword`);
  }
  if ("type" in s) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0 || !types.every((t) => (JSON_SCHEMA_TYPES as readonly unknown[]).includes(t))) {
      add("type", `must be one of ${JSON_SCHEMA_TYPES.join(", ")} (or an array of them)`);
    }
  }
  for (const key of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]) {
    if (key in s && (typeof s[key] !== "number" || !Number.isFinite(s[key]))) add(key, "must be a number");
  }
  for (const key of ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]) {
    if (key in s && !(Number.isInteger(s[key]) && (s[key] as number) >= 0)) add(key, "must be a non-negative integer");
  }
  if ("pattern" in s) {
    const problem = typeof s.pattern === "string" ? regexProblem(s.pattern, "u") : "must be a string";
    if (problem) add("pattern", problem);
  }
  if (isObject(s.patternProperties)) {
    for (const pattern of Object.keys(s.patternProperties)) {
      const problem = regexProblem(pattern, "u");
      if (problem) problems.push({ path: `${at("patternProperties")}/${pattern}`, message: problem });
    }
  }
  for (const key of ["$ref", "$dynamicRef"]) {
    if (key in s && !(typeof s[key] === "string" && resolvesLocally(root, s[key]))) {
      add(
        key,
        `keyword \`${key}\` is not supported except as a JSON pointer into this schema (\`#/...\`) that names a part of it`,
      );
    }
  }
  if ("enum" in s && (!Array.isArray(s.enum) || s.enum.length === 0)) add("enum", "must be a non-empty array");
  if ("required" in s && !(Array.isArray(s.required) && s.required.every((r) => typeof r === "string"))) {
    add("required", "must be an array of property names");
  }
  if (Array.isArray(s.items)) {
    add(
      "items",
      "tuple form (an array of schemas) is not supported; give one schema for every item, or use prefixItems",
    );
  }
  for (const key of SCHEMA_KEYWORDS) {
    if (key in s && !(key === "items" && Array.isArray(s.items)))
      checkSchema(root, s[key], at(key), depth + 1, problems);
  }
  for (const key of SCHEMA_MAP_KEYWORDS) {
    if (!(key in s)) continue;
    const map = s[key];
    if (!isObject(map)) add(key, "must be an object");
    else
      for (const [name, sub] of Object.entries(map)) checkSchema(root, sub, `${at(key)}/${name}`, depth + 1, problems);
  }
  for (const key of SCHEMA_LIST_KEYWORDS) {
    if (!(key in s)) continue;
    const list = s[key];
    if (!Array.isArray(list) || list.length === 0) add(key, "must be a non-empty array of schemas");
    else for (const [i, sub] of list.entries()) checkSchema(root, sub, `${at(key)}/${i}`, depth + 1, problems);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Whether `ref` is `#` or a JSON pointer `#/...` naming a part of `root`. */
function resolvesLocally(root: unknown, ref: string): boolean {
  return ref === "#" || (ref.startsWith("#/") && pointerTarget(root, ref) !== undefined);
}

/**
 * The value a `#/...` JSON pointer (URI-encoded, as validators write them) names in
 * `root`, or undefined. With `refsOf`, a `$ref` segment steps to the schema the
 * reference names in `refsOf`, as an error's keyword location does.
 */
function pointerTarget(root: unknown, pointer: string, refsOf?: unknown): unknown {
  if (pointer === "#") return root;
  let node = root;
  for (const raw of pointer.slice(2).split("/")) {
    const segment = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, segment)) return undefined;
    const next = (node as Record<string, unknown>)[segment];
    node = refsOf !== undefined && segment === "$ref" && typeof next === "string" ? pointerTarget(refsOf, next) : next;
  }
  return node;
}

/** Validates a value; returns its problems (empty when valid). */
export type JsonSchemaValidator = (value: unknown) => string[];

/** Compiles a schema that passed {@link jsonSchemaProblems}, once per grader rather than per trace. */
export function compileJsonSchema(schema: unknown): JsonSchemaValidator {
  const validator = new Validator(schema as object | boolean, "2020-12", false);
  return (value) => {
    const { valid, errors } = validator.validate(value);
    if (valid) return [];
    const reasons: string[] = [];
    for (const error of errors) {
      if (reasons.length >= MAX_ERRORS) break;
      for (const reason of reasonsOf(error, schema, value)) if (!reasons.includes(reason)) reasons.push(reason);
    }
    return reasons.slice(0, MAX_ERRORS);
  };
}

/**
 * Keywords that only say a part failed (the part's own errors follow), and the
 * branches of anyOf/oneOf/not/if, whose failures are expected: the keyword's own
 * error says what matters.
 */
const CONTAINER_KEYWORDS = new Set([
  "properties",
  "patternProperties",
  "additionalProperties",
  "items",
  "prefixItems",
  "allOf",
  "$ref",
  "$dynamicRef",
  "dependentSchemas",
  "unevaluatedProperties",
  "unevaluatedItems",
  "if",
  "then",
  "else",
  "propertyNames",
]);
const EXPECTED_BRANCH = /\/(anyOf|oneOf)\/\d+(\/|$)|\/(not|if)(\/|$)/;

function reasonsOf(error: OutputUnit, schema: unknown, value: unknown): string[] {
  if (CONTAINER_KEYWORDS.has(error.keyword)) return [];
  const keywordPath = error.keywordLocation.slice(0, -error.keyword.length - 1);
  if (EXPECTED_BRANCH.test(keywordPath)) return [];
  const p = instancePath(error.instanceLocation);
  const v = pointerTarget(value, error.instanceLocation);
  const k = pointerTarget(schema, error.keywordLocation, schema);
  switch (error.keyword) {
    case "false":
      return [`${p} is not allowed`];
    case "type": {
      const types = (Array.isArray(k) ? k : [k]) as string[];
      return [`${p} must be ${types.join(" or ")}, got ${jsonTypeOf(v)}`];
    }
    case "required": {
      const missing = (k as string[]).filter((name) => !(isObject(v) && Object.hasOwn(v, name)));
      return missing.map((name) => `${p}.${name} is required`);
    }
    case "enum":
      return [`${p} must be one of ${JSON.stringify(k)}`];
    case "const":
      return [`${p} must equal ${JSON.stringify(k)}`];
    case "minimum":
      return [`${p} must be >= ${k}, got ${v}`];
    case "maximum":
      return [`${p} must be <= ${k}, got ${v}`];
    case "exclusiveMinimum":
      return [`${p} must be > ${k}, got ${v}`];
    case "exclusiveMaximum":
      return [`${p} must be < ${k}, got ${v}`];
    case "minLength":
      return [`${p} must be at least ${k} characters long`];
    case "maxLength":
      return [`${p} must be at most ${k} characters long`];
    case "pattern":
      return [`${p} must match /${k}/`];
    case "minItems":
      return [`${p} must have at least ${k} items`];
    case "maxItems":
      return [`${p} must have at most ${k} items`];
    case "anyOf":
      return [`${p} must match at least one schema of anyOf`];
    case "oneOf": {
      const matched = /\((\d+) matches\)/.exec(error.error)?.[1] ?? "0";
      return [`${p} must match exactly one schema of oneOf, matched ${matched}`];
    }
    default:
      return [`${p}: ${error.error}`];
  }
}

/** `#/a/0/b` (a JSON pointer, URI-encoded) as `$.a[0].b`. */
function instancePath(pointer: string): string {
  let path = "$";
  if (pointer === "#") return path;
  for (const raw of pointer.slice(2).split("/")) {
    const segment = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    path += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return path;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
