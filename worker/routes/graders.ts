/**
 * @module Graders of a project's agents: create, list, read, edit (every edit makes a new
 * immutable version; scores name the version that gave them), list versions, disable and
 * enable. Definitions are validated by the grading domain's `graderDefinitionSchema`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, notFound } from "../errors";
import { graderDefinitionSchema, graderFilterSchema } from "../grading";
import { requireProject } from "../middleware/auth";
import {
  addGraderVersion,
  createGrader,
  findGrader,
  listGraders,
  listGraderVersions,
  setGraderEnabled,
} from "../storage/grader-store";
import { isWellFormedText } from "../domain/names";
import type { Db } from "../storage/db";
import { countUngraded } from "../storage/ungraded-traces";
import { agentNameSchema } from "./grading-shared";
import { commonErrors, errorResponse, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const graderNameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine(isWellFormedText, "must be valid Unicode text (it holds an unpaired surrogate, \\ud800-\\udfff)");

const GraderSchema = z
  .object({
    id: z.string().openapi({ example: "grd_4f0c2a9d1b7e4c55a0e1" }),
    agent: z.string(),
    name: z.string(),
    version: z.number().int().openapi({ description: "The current version: what windows closing from now on run." }),
    enabled: z.boolean(),
    definition: z.unknown(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Grader");

const GraderVersionSchema = z
  .object({
    graderId: z.string(),
    version: z.number().int(),
    name: z.string(),
    definition: z.unknown(),
    createdAt: z.string(),
  })
  .openapi("GraderVersion");

const filterDescription = "Which traces the grader applies to; overrides a `filter` inside `definition`.";

const createBody = z
  .strictObject({
    agent: agentNameSchema,
    name: graderNameSchema,
    definition: graderDefinitionSchema,
    filter: graderFilterSchema.optional().openapi({ description: filterDescription }),
  })
  .openapi("GraderCreate");

const updateBody = z
  .strictObject({
    name: graderNameSchema.optional(),
    definition: graderDefinitionSchema.optional(),
    filter: graderFilterSchema
      .nullable()
      .optional()
      .openapi({ description: `${filterDescription} \`null\` removes the filter.` }),
  })
  .refine((b) => b.name !== undefined || b.definition !== undefined || b.filter !== undefined, {
    message: "give at least one of `name`, `definition` or `filter` to change",
  })
  .openapi("GraderUpdate");

const idParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "id", in: "path" } }),
});
const WaitingSchema = z.object({
  count: z.number().int(),
  regrade: z.string().openapi({ example: "POST /api/agents/support-bot/regrade" }),
  message: z.string(),
});

async function waitingTraces(db: Db, projectId: string, agent: string): Promise<z.infer<typeof WaitingSchema>> {
  const { count } = await countUngraded(db, projectId, agent);
  const regrade = `POST /api/agents/${encodeURIComponent(agent)}/regrade`;
  const message =
    count === 0
      ? "No stored trace of this agent is waiting; traces that finish from now on are graded in windows."
      : `${count} finished trace${count === 1 ? " of this agent was" : "s of this agent were"} sent before it could be graded and will not be graded by windows; grade ${count === 1 ? "it" : "them"} with ${regrade}.`;
  return { count, regrade, message };
}

export const graderRoutes = newRouter();

graderRoutes.openapi(
  createRoute({
    method: "post",
    path: "/graders",
    tags: ["graders"],
    summary: "Create a grader for an agent (version 1)",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { body: { required: true, content: { "application/json": { schema: createBody } } } },
    responses: {
      201: json(
        GraderSchema.extend({
          waiting: WaitingSchema.openapi({
            description:
              "The agent's finished traces that no window has graded (those sent before it had a grader), and how to grade them. Windows grade only traces that finish from now on.",
          }),
        }),
        "Created.",
      ),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent, name, definition, filter } = c.req.valid("json");
    const grader = await createGrader(c.var.db, {
      projectId: c.var.projectId,
      agent,
      name,
      definition: filter === undefined ? definition : { ...definition, filter },
    });
    return c.json({ ...grader, waiting: await waitingTraces(c.var.db, c.var.projectId, agent) }, 201);
  },
);

graderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/graders",
    tags: ["graders"],
    summary: "List graders (current versions), optionally of one agent",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { query: z.object({ agent: agentNameSchema.optional() }) },
    responses: {
      200: json(z.object({ graders: z.array(GraderSchema) }), "Graders, by agent then creation."),
      ...commonErrors,
    },
  }),
  async (c) => {
    const { agent } = c.req.valid("query");
    return c.json({ graders: await listGraders(c.var.db, c.var.projectId, agent) }, 200);
  },
);

graderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/graders/{id}",
    tags: ["graders"],
    summary: "Read a grader (its current version)",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: idParam },
    responses: { 200: json(GraderSchema, "The grader."), ...commonErrors, ...notFoundError },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const grader = await findGrader(c.var.db, c.var.projectId, id);
    if (!grader) throw notFound(`Grader ${id}`);
    return c.json(grader, 200);
  },
);

graderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/graders/{id}/versions",
    tags: ["graders"],
    summary: "Every version of a grader, oldest first",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: idParam },
    responses: {
      200: json(z.object({ versions: z.array(GraderVersionSchema) }), "Versions."),
      ...commonErrors,
      ...notFoundError,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const rows = await listGraderVersions(c.var.db, c.var.projectId, id);
    if (rows.length === 0) throw notFound(`Grader ${id}`);
    return c.json({ versions: rows.map(({ projectId: _p, ...v }) => v) }, 200);
  },
);

const updateRoute = (method: "patch" | "put") =>
  createRoute({
    method,
    path: "/graders/{id}",
    tags: ["graders"],
    summary: "Edit a grader: makes a new immutable version",
    description:
      "Scores already given keep naming the version that gave them; windows that close from now on run the new version. `definition` replaces the whole definition.",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: idParam, body: { required: true, content: { "application/json": { schema: updateBody } } } },
    responses: {
      200: json(GraderSchema, "The grader at its new version."),
      409: errorResponse("Another edit made this version number first (`grader_conflict`); read the grader and retry."),
      ...commonErrors,
      ...notFoundError,
    },
  });

for (const method of ["patch", "put"] as const) {
  graderRoutes.openapi(updateRoute(method), async (c) => {
    const { id } = c.req.valid("param");
    const change = c.req.valid("json");
    const current = await findGrader(c.var.db, c.var.projectId, id);
    if (!current) throw notFound(`Grader ${id}`);
    const base = (change.definition ?? current.definition) as Record<string, unknown>;
    let definition = base;
    if (change.filter === null) {
      const { filter: _dropped, ...rest } = base;
      definition = rest;
    } else if (change.filter !== undefined) {
      definition = { ...base, filter: change.filter };
    }
    const parsed = graderDefinitionSchema.safeParse(definition);
    if (!parsed.success) {
      throw new ApiError(
        400,
        "invalid_request",
        `definition: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    }
    const updated = await addGraderVersion(c.var.db, current, c.var.projectId, {
      name: change.name ?? current.name,
      definition: definition as z.input<typeof graderDefinitionSchema>,
    });
    if (!updated) {
      throw new ApiError(
        409,
        "grader_conflict",
        `Grader ${id} was edited concurrently; read it again and re-apply your change.`,
      );
    }
    return c.json(updated, 200);
  });
}

const toggleRoute = (method: "delete" | "post", path: string, summary: string) =>
  createRoute({
    method,
    path,
    tags: ["graders"],
    summary,
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: { params: idParam },
    responses: { 200: json(GraderSchema, "The grader."), ...commonErrors, ...notFoundError },
  });

const toggles = [
  toggleRoute("delete", "/graders/{id}", "Disable a grader: it no longer runs; its scores are kept"),
  toggleRoute("post", "/graders/{id}/disable", "Disable a grader (same as DELETE)"),
  toggleRoute("post", "/graders/{id}/enable", "Enable a disabled grader again"),
];
for (const route of toggles) {
  const enabled = route.path.endsWith("/enable");
  graderRoutes.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const grader = await findGrader(c.var.db, c.var.projectId, id);
    if (!grader) throw notFound(`Grader ${id}`);
    await setGraderEnabled(c.var.db, c.var.projectId, id, enabled);
    return c.json({ ...grader, enabled }, 200);
  });
}
