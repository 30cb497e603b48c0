/**
 * @module Projects and API keys. Creating projects and managing any project's keys
 * needs the admin token; a project can also rotate its own keys with a valid key.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../errors";
import { requireAdmin, requireProject } from "../middleware/auth";
import { createKey, createProject, findProject, listKeys, listProjects, revokeKey } from "../storage/api-keys";
import { adminSecurity, commonErrors, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const ProjectSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).openapi("Project");
const CreatedProjectSchema = ProjectSchema.extend({
  apiKey: z.string().openapi({ description: "Shown once. Only its SHA-256 is stored." }),
  keyId: z.string(),
}).openapi("CreatedProject");
const KeySchema = z
  .object({ id: z.string(), prefix: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() })
  .openapi("ApiKey");
const CreatedKeySchema = z
  .object({ keyId: z.string(), apiKey: z.string(), prefix: z.string(), createdAt: z.string() })
  .openapi("CreatedApiKey");
const ProjectParams = z.object({ projectId: z.string().openapi({ param: { name: "projectId", in: "path" } }) });
const KeyParams = z.object({ keyId: z.string().openapi({ param: { name: "keyId", in: "path" } }) });

export const projectRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects",
      tags: ["projects"],
      summary: "Create a project and its first API key",
      security: adminSecurity,
      middleware: [requireAdmin] as const,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.object({ name: z.string().trim().min(1, "must not be empty").max(200) }),
            },
          },
        },
      },
      responses: { 201: json(CreatedProjectSchema, "Created; the API key is shown only now."), ...commonErrors },
    }),
    async (c) => {
      const { name } = c.req.valid("json");
      const { project, apiKey, keyId } = await createProject(c.var.db, name);
      return c.json({ ...project, apiKey, keyId }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects",
      tags: ["projects"],
      summary: "List projects",
      security: adminSecurity,
      middleware: [requireAdmin] as const,
      responses: { 200: json(z.object({ projects: z.array(ProjectSchema) }), "All projects"), ...commonErrors },
    }),
    async (c) => c.json({ projects: await listProjects(c.var.db) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/keys",
      tags: ["projects"],
      summary: "List a project's API keys (prefixes only)",
      security: adminSecurity,
      middleware: [requireAdmin] as const,
      request: { params: ProjectParams },
      responses: { 200: json(z.object({ keys: z.array(KeySchema) }), "Keys"), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      if (!(await findProject(c.var.db, projectId))) throw notFound(`Project ${projectId}`);
      return c.json({ keys: await listKeys(c.var.db, projectId) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/keys",
      tags: ["projects"],
      summary: "Issue an additional API key (rotation: issue, switch clients, then revoke the old one)",
      security: adminSecurity,
      middleware: [requireAdmin] as const,
      request: { params: ProjectParams },
      responses: { 201: json(CreatedKeySchema, "The new key, shown once"), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      if (!(await findProject(c.var.db, projectId))) throw notFound(`Project ${projectId}`);
      return c.json(await createKey(c.var.db, projectId), 201);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/projects/{projectId}/keys/{keyId}",
      tags: ["projects"],
      summary: "Revoke an API key",
      security: adminSecurity,
      middleware: [requireAdmin] as const,
      request: { params: ProjectParams.merge(KeyParams) },
      responses: { 204: { description: "Revoked" }, ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { projectId, keyId } = c.req.valid("param");
      if (!(await revokeKey(c.var.db, projectId, keyId))) throw notFound(`Active key ${keyId}`);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/project",
      tags: ["projects"],
      summary: "The project the presented API key belongs to",
      security: projectSecurity,
      middleware: [requireProject] as const,
      responses: { 200: json(ProjectSchema.extend({ keys: z.array(KeySchema) }), "The project"), ...commonErrors },
    }),
    async (c) => {
      const project = await findProject(c.var.db, c.var.projectId);
      if (!project) throw notFound("Project");
      return c.json({ ...project, keys: await listKeys(c.var.db, project.id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/project/keys",
      tags: ["projects"],
      summary: "Issue a new key for the caller's own project",
      security: projectSecurity,
      middleware: [requireProject] as const,
      responses: { 201: json(CreatedKeySchema, "The new key, shown once"), ...commonErrors },
    }),
    async (c) => c.json(await createKey(c.var.db, c.var.projectId), 201),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/project/keys/{keyId}",
      tags: ["projects"],
      summary: "Revoke one of the caller's own project's keys",
      security: projectSecurity,
      middleware: [requireProject] as const,
      request: { params: KeyParams },
      responses: { 204: { description: "Revoked" }, ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { keyId } = c.req.valid("param");
      if (!(await revokeKey(c.var.db, c.var.projectId, keyId))) throw notFound(`Active key ${keyId}`);
      return c.body(null, 204);
    },
  );
