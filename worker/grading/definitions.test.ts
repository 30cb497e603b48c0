import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { graderDefinitionSchema } from "./definitions";

function messages(input: unknown): string[] {
  const result = graderDefinitionSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("graderDefinitionSchema", () => {
  it("fills in defaults for a minimal contains rule", () => {
    expect(graderDefinitionSchema.parse({ kind: "rule", check: "contains", text: "refund" })).toEqual({
      kind: "rule",
      check: "contains",
      text: "refund",
      caseSensitive: true,
      target: "output",
    });
  });

  it("fills in the reference path and algorithm defaults of metrics", () => {
    expect(graderDefinitionSchema.parse({ kind: "metric", metric: "similarity" })).toMatchObject({
      target: "output",
      referencePath: "metadata.reference",
      algorithm: "token_f1",
      threshold: 0.8,
    });
  });

  it("names the valid kinds, checks and metrics when the discriminator is wrong", () => {
    expect(messages({ kind: "llm" })).toEqual(["kind: `kind` must be `rule`, `metric` or `judge`"]);
    expect(messages({ kind: "rule", check: "containz" })[0]).toMatch(
      /^check: `check` must be one of contains, not_contains, regex/,
    );
    expect(messages({ kind: "metric", metric: "bleu" })[0]).toMatch(/^metric: `metric` must be one of exact_match/);
  });

  it("rejects unknown fields so typos do not silently change behaviour", () => {
    expect(messages({ kind: "rule", check: "contains", text: "x", case_sensitive: false })[0]).toMatch(
      /case_sensitive/,
    );
    expect(messages({ kind: "rule", check: "tool_called", tool: "x", target: "output" })[0]).toMatch(/target/);
  });

  it("rejects invalid and catastrophic regexes with the reason", () => {
    expect(messages({ kind: "rule", check: "regex", pattern: "([a-z]" })[0]).toMatch(
      /^pattern: invalid regular expression/,
    );
    expect(messages({ kind: "rule", check: "regex", pattern: "^(a+)+$" })[0]).toMatch(/^pattern: .*nests a repetition/);
    expect(messages({ kind: "rule", check: "regex", pattern: "^\\d+$", flags: "g" })[0]).toMatch(
      /^flags: flag `g` is not supported/,
    );
    expect(messages({ kind: "rule", check: "regex", pattern: "^\\d+$", flags: "i" })).toEqual([]);
  });

  it("rejects unsupported JSON Schema keywords with their location", () => {
    expect(
      messages({ kind: "rule", check: "json_schema", schema: { type: "object", properties: { a: { $ref: "#/x" } } } }),
    ).toEqual([expect.stringMatching(/^schema: #\/properties\/a\/\$ref: keyword `\$ref` is not supported/)]);
  });

  it("requires at least one token budget", () => {
    expect(messages({ kind: "rule", check: "token_budget" })).toEqual([
      ": give at least one of `total`, `input` or `output`",
    ]);
    expect(messages({ kind: "rule", check: "token_budget", output: 500 })).toEqual([]);
  });

  it("requires exactly one condition per tool argument check", () => {
    const base = { kind: "rule", check: "tool_called", tool: "refund" };
    expect(messages({ ...base, args: [{ path: "amount" }] })[0]).toMatch(
      /exactly one of `equals`, `contains`, `regex`, `exists`/,
    );
    expect(messages({ ...base, args: [{ path: "amount", equals: 1, contains: "1" }] })[0]).toMatch(/exactly one/);
    expect(messages({ ...base, args: [{ path: "amount", equals: null }] })).toEqual([]);
  });

  it("rejects malformed paths, budgets and thresholds", () => {
    expect(messages({ kind: "rule", check: "contains", text: "x", target: "output..answer" })[0]).toMatch(
      /^target: must be a dotted path/,
    );
    expect(messages({ kind: "rule", check: "latency_budget", ms: 0 })[0]).toMatch(/^ms: must be more than 0/);
    expect(messages({ kind: "metric", metric: "similarity", threshold: 1.5 })[0]).toMatch(
      /^threshold: must be between 0 and 1/,
    );
    expect(messages({ kind: "rule", check: "contains", text: "" })[0]).toMatch(/^text: must not be empty/);
  });

  it("validates filters", () => {
    expect(messages({ kind: "rule", check: "no_error_spans", filter: { versionIn: [] } })[0]).toMatch(
      /^filter.versionIn: must list at least one/,
    );
    expect(
      messages({
        kind: "rule",
        check: "no_error_spans",
        filter: { hasTag: "beta", metadataEquals: { path: "plan", value: "pro" } },
      }),
    ).toEqual([]);
  });

  it("renders into the OpenAPI document under its component names", () => {
    const app = new OpenAPIHono();
    app.openapi(
      createRoute({
        method: "post",
        path: "/graders",
        request: { body: { content: { "application/json": { schema: graderDefinitionSchema } } } },
        responses: { 200: { description: "ok" } },
      }),
      (c) => c.body(null, 200),
    );
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining([
        "GraderDefinition",
        "RuleGrader",
        "MetricGrader",
        "RegexRule",
        "GraderFilter",
        "LatencyPercentileMetric",
      ]),
    );
  });
});
