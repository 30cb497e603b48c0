import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { buildCase } from "./case-model";
import { caseEditSchema, caseInputSchema, caseSchema } from "./case-schema";

describe("case schemas", () => {
  it("require an input but accept JSON null", () => {
    expect(caseInputSchema.safeParse({}).success).toBe(false);
    expect(caseInputSchema.safeParse({ input: null }).success).toBe(true);
  });

  it("refuse unknown keys, bad ids and bad tags", () => {
    expect(caseInputSchema.safeParse({ input: 1, extra: 1 }).success).toBe(false);
    expect(caseInputSchema.safeParse({ input: 1, id: "a/b" }).success).toBe(false);
    expect(caseInputSchema.safeParse({ input: 1, tags: ["a\nb"] }).success).toBe(false);
    expect(
      caseInputSchema.safeParse({ input: 1, failure: { graderId: "g", graderVersion: "", reason: "" } }).success,
    ).toBe(false);
  });

  it("refuse an empty edit", () => {
    expect(caseEditSchema.safeParse({}).success).toBe(false);
    expect(caseEditSchema.safeParse({ expected: null }).success).toBe(true);
  });

  it("describe a built case", async () => {
    const c = await buildCase("a", { input: "q", expected: null, failure: null, tags: ["guard"], sourceTraceId: null });
    expect(caseSchema.parse(c)).toEqual(c);
  });

  it("appear as named components of the OpenAPI document", () => {
    const app = new OpenAPIHono();
    app.openapi(
      createRoute({
        method: "post",
        path: "/cases",
        request: {
          body: {
            content: {
              "application/json": { schema: z.object({ add: z.array(caseInputSchema), edit: caseEditSchema }) },
            },
          },
        },
        responses: { 200: { description: "ok", content: { "application/json": { schema: caseSchema } } } },
      }),
      (c) =>
        c.json({
          id: "a",
          input: 1,
          expected: null,
          failure: null,
          tags: [],
          sourceTraceId: null,
          guard: false,
          fingerprint: "f",
        }),
    );
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(["CaseInput", "CaseEdit", "CaseFailure", "DatasetCase"]),
    );
  });
});
