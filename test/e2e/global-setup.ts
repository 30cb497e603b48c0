/**
 * @module Starts Flywheel once for the end-to-end tests exactly as `npm start` does
 * (migrations + wrangler dev), on a free port with a throwaway state directory.
 */
import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with the benchmarks
import { startServer } from "../../bench/lib/server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    flywheel: { url: string; adminToken: string; stateDir: string };
  }
}

export default async function setup(project: TestProject) {
  const server = await startServer({ vars: { INDEX_FLUSH_DELAY_MS: "20", OTLP_QUIET_MS: "300" } });
  project.provide("flywheel", { url: server.url, adminToken: server.adminToken, stateDir: server.stateDir });
  return async () => {
    await server.stop();
  };
}
