/**
 * @module Test projects: `unit` (pure code, plain Node), `workers` (the real worker
 * with local D1, R2 and Durable Objects inside workerd) and `e2e` (real clients
 * against a running `wrangler dev`).
 */
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// A passing run is quiet. wrangler says "Using secrets defined in .dev.vars" each time the
// pool reads the config once `npm start` (or an e2e server) has made that file; its
// warnings and errors still show. WRANGLER_LOG=debug (or info) brings the rest back.
process.env.WRANGLER_LOG ??= "warn";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      projects: [
        {
          test: {
            name: "unit",
            environment: "node",
            // Hang detection, not a speed limit: property tests run thousands of cases and CI machines vary.
            testTimeout: 20_000,
            include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "client/**/*.test.ts", "web/**/*.test.js"],
          },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ADMIN_TOKEN: "test-admin-token",
                  INDEX_FLUSH_DELAY_MS: "0",
                  OTLP_QUIET_MS: "300",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            testTimeout: 20_000,
            include: ["test/integration/**/*.test.ts"],
            setupFiles: ["test/integration/apply-migrations.ts"],
          },
        },
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts"],
            globalSetup: ["test/e2e/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
