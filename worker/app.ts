/**
 * @module The Hono application: shared middleware, every route module chained under
 * /api (and the OTLP paths), the generated OpenAPI document and one error handler.
 */
import { loadConfig } from "./config";
import { notFound } from "./errors";
import { renderError } from "./middleware/errors";
import { agentRoutes } from "./routes/agents";
import { benchRoutes } from "./routes/bench";
import { benchTrendRoutes } from "./routes/bench-trend";
import { datasetRoutes } from "./routes/datasets";
import { evalRunRoutes } from "./routes/eval-runs";
import { failureModeRoutes } from "./routes/failure-modes";
import { healthRoutes } from "./routes/health";
import { projectRoutes } from "./routes/projects";
import { otlpRoutes } from "./routes/otlp";
import { newRouter } from "./routes/router";
import { traceRoutes } from "./routes/traces";
import { graderRoutes } from "./routes/graders";
import { scoreRoutes } from "./routes/scores";
import { windowRoutes } from "./routes/windows";
import { reviewRoutes } from "./routes/review";
import { agentReviewRoutes } from "./routes/agent-review";
import { regradeRoutes } from "./routes/regrades";
import { createDb } from "./storage/db";

export function createApp() {
  const app = newRouter();

  app.use("*", async (c, next) => {
    c.set("config", loadConfig(c.env));
    c.set("db", createDb(c.env.DB));
    await next();
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "A project API key (`fw_...`). The OTLP alias also accepts `Basic base64(projectId:apiKey)`.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN (.dev.vars locally, a Wrangler secret when deployed).",
  });

  app.route("/api", healthRoutes);
  app.route("/api", projectRoutes);
  app.route("/api", traceRoutes);
  app.route("/api", graderRoutes).route("/api", windowRoutes).route("/api", scoreRoutes);
  app.route("/api", regradeRoutes);
  app.route("/", otlpRoutes);
  app.route("/api", datasetRoutes);
  app.route("/api", agentRoutes);
  app.route("/api", reviewRoutes).route("/api", agentReviewRoutes);
  app.route("/api", evalRunRoutes).route("/api", failureModeRoutes);
  app.route("/__bench", benchRoutes);
  app.route("/__bench", benchTrendRoutes);

  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Flywheel API",
      version: "0.1.0",
      description: 'Trace, grade and improve LLM agents. Every error is `{"error": {"code", "message"}}`.',
    },
  });

  app.notFound((c) => renderError(notFound(`Route ${c.req.method} ${c.req.path}`), c));
  app.onError(renderError);
  return app;
}
