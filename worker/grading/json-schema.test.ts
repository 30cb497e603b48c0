import { describe, expect, it } from "vitest";
import { compileJsonSchema, jsonSchemaProblems } from "./json-schema";

const validate = (schema: unknown, value: unknown) => compileJsonSchema(schema)(value);

describe("jsonSchemaProblems", () => {
  it("accepts the supported subset, including annotations", () => {
    expect(
      jsonSchemaProblems({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: "Answer",
        type: ["object", "null"],
        properties: { tags: { type: "array", items: { enum: ["a", "b"] }, minItems: 1 } },
        required: ["tags"],
        additionalProperties: false,
        anyOf: [{ required: ["tags"] }, true],
      }),
    ).toEqual([]);
  });

  it("locates each problem", () => {
    expect(
      jsonSchemaProblems({
        type: "text",
        properties: { a: { minLength: -1, requried: ["b"] } },
        items: [{}],
        pattern: "(a+)+",
      }),
    ).toEqual([
      {
        path: "#/type",
        message: "must be one of string, number, integer, boolean, object, array, null (or an array of them)",
      },
      { path: "#/pattern", message: expect.stringContaining("nests a repetition") },
      { path: "#/items", message: expect.stringContaining("tuple form") },
      { path: "#/properties/a/requried", message: expect.stringContaining("keyword `requried` is not supported") },
      { path: "#/properties/a/minLength", message: "must be a non-negative integer" },
    ]);
  });

  it("accepts references into the schema itself and refuses any other", () => {
    const local = { $defs: { id: { type: "string" } }, properties: { a: { $ref: "#/$defs/id" } } };
    expect(jsonSchemaProblems(local)).toEqual([]);
    expect(jsonSchemaProblems({ $ref: "https://example.com/schema.json" })).toEqual([
      { path: "#/$ref", message: expect.stringContaining("keyword `$ref` is not supported except") },
    ]);
    expect(jsonSchemaProblems({ $ref: "#/$defs/missing" })).toHaveLength(1);
  });

  it("checks patternProperties keys for catastrophic backtracking", () => {
    expect(jsonSchemaProblems({ patternProperties: { "(a*)*b": { type: "string" } } })).toEqual([
      { path: "#/patternProperties/(a*)*b", message: expect.stringContaining("nests a repetition") },
    ]);
  });

  it("rejects non-schemas and over-deep nesting", () => {
    expect(jsonSchemaProblems("string")).toEqual([{ path: "#", message: "a schema must be an object or a boolean" }]);
    let deep: object = { type: "string" };
    for (let i = 0; i < 40; i++) deep = { items: deep };
    expect(jsonSchemaProblems(deep).some((p) => p.message.includes("nest at most"))).toBe(true);
  });
});

describe("compileJsonSchema", () => {
  it("checks types, with integers counting as numbers", () => {
    expect(validate({ type: "number" }, 3)).toEqual([]);
    expect(validate({ type: "integer" }, 3.5)).toEqual(["$ must be integer, got number"]);
    expect(validate({ type: ["string", "null"] }, null)).toEqual([]);
    expect(validate({ type: "object" }, [])).toEqual(["$ must be object, got array"]);
  });

  it("checks required, properties and additionalProperties", () => {
    const schema = {
      type: "object",
      required: ["id"],
      properties: { id: { type: "string" } },
      additionalProperties: false,
    };
    expect(validate(schema, { id: "x" })).toEqual([]);
    expect(validate(schema, {})).toEqual(["$.id is required"]);
    expect(validate(schema, { id: "x", extra: 1 })).toEqual(["$.extra is not allowed"]);
    expect(validate({ additionalProperties: { type: "number" } }, { a: 1, b: "2" })).toEqual([
      "$.b must be number, got string",
    ]);
  });

  it("checks items and array length", () => {
    const schema = { type: "array", items: { type: "integer", minimum: 0 }, maxItems: 3 };
    expect(validate(schema, [0, 1])).toEqual([]);
    expect(validate(schema, [0, -1])).toEqual(["$[1] must be >= 0, got -1"]);
    expect(validate(schema, [1, 2, 3, 4])).toEqual(["$ must have at most 3 items"]);
  });

  it("checks enum and const structurally", () => {
    expect(validate({ enum: [{ a: 1, b: 2 }, "x"] }, { b: 2, a: 1 })).toEqual([]);
    expect(validate({ const: [1, 2] }, [2, 1])).toEqual(["$ must equal [1,2]"]);
  });

  it("checks numeric bounds, string length in code points, and pattern", () => {
    expect(validate({ exclusiveMaximum: 1 }, 1)).toEqual(["$ must be < 1, got 1"]);
    expect(validate({ maxLength: 2 }, "😀😀")).toEqual([]);
    expect(validate({ minLength: 3 }, "ab")).toEqual(["$ must be at least 3 characters long"]);
    expect(validate({ pattern: "^[A-Z]\\d+$" }, "A17")).toEqual([]);
    expect(validate({ pattern: "^[A-Z]\\d+$" }, "a17")).toEqual(["$ must match /^[A-Z]\\d+$/"]);
    expect(validate({ minimum: 5, maxLength: 1 }, true)).toEqual([]);
  });

  it("checks anyOf, oneOf and allOf", () => {
    const anyOf = { anyOf: [{ type: "string" }, { type: "integer" }] };
    expect(validate(anyOf, 3)).toEqual([]);
    expect(validate(anyOf, true)).toEqual(["$ must match at least one schema of anyOf"]);
    const oneOf = { oneOf: [{ type: "number" }, { type: "integer" }] };
    expect(validate(oneOf, 1.5)).toEqual([]);
    expect(validate(oneOf, 1)).toEqual(["$ must match exactly one schema of oneOf, matched 2"]);
    expect(validate({ allOf: [{ minimum: 1 }, { maximum: 2 }] }, 3)).toEqual(["$ must be <= 2, got 3"]);
  });

  it("follows references into the schema and checks formats and tuples", () => {
    const schema = { $defs: { id: { type: "string" } }, properties: { a: { $ref: "#/$defs/id" } } };
    expect(validate(schema, { a: 1 })).toEqual(["$.a must be string, got integer"]);
    expect(validate({ format: "email" }, "not an address")).toEqual([expect.stringMatching(/^\$: /)]);
    expect(validate({ prefixItems: [{ type: "string" }], items: false }, ["a", 1])).toEqual(["$[1] is not allowed"]);
  });

  it("supports boolean schemas", () => {
    expect(validate(true, { anything: 1 })).toEqual([]);
    expect(validate({ properties: { a: false } }, { a: 1 })).toEqual(["$.a is not allowed"]);
  });

  it("reports at most five problems", () => {
    expect(
      validate(
        { items: { type: "string" } },
        Array.from({ length: 20 }, (_, i) => i),
      ),
    ).toHaveLength(5);
  });
});
