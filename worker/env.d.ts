/** @module Environment values that `wrangler types` cannot see in wrangler.toml: secrets and test-only bindings. */
declare namespace Cloudflare {
  interface Env {
    /** Secret: .dev.vars locally, `wrangler secret put ADMIN_TOKEN` when deployed. */
    ADMIN_TOKEN?: string;
    /** "1" only when the benchmark starts the server. */
    BENCH_ROUTES?: string;
    /** Test-only: the D1 migrations, bound by vitest.config.ts. */
    TEST_MIGRATIONS: import("@cloudflare/vitest-pool-workers").D1Migration[];
  }
}
