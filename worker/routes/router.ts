/**
 * @module The router factory every route module uses, so request validation errors
 * look the same everywhere, plus the schemas shared by the OpenAPI document.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { describeIssues } from "../ingest/native";
import { errorBody } from "../middleware/errors";

export function newRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const where = result.target === "json" ? "" : `${result.target} `;
        return c.json(errorBody("invalid_request", `${where}${describeIssues(result.error, "")}`), 400);
      }
    },
  });
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_trace" }),
      message: z
        .string()
        .openapi({ example: "spans[0].type: Invalid option: expected one of llm|tool|retrieval|step|agent" }),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

/** A documented JSON response with its schema. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The error responses most routes share. */
export const commonErrors = {
  400: errorResponse("Invalid request; the message names the field."),
  401: errorResponse("Missing, unknown or revoked credentials."),
  503: errorResponse("A dependency is unavailable; retry the same request (see Retry-After)."),
};
export const notFoundError = { 404: errorResponse("Not found in this project.") };
export { errorResponse };

export const projectSecurity = [{ apiKey: [] }];
export const adminSecurity = [{ adminToken: [] }];
