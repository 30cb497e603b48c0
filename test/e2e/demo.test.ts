/** `npm run demo` against the running product: every step completes and the regression dataset fills. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { flywheel } from "./client";

const root = path.resolve(import.meta.dirname, "..", "..");

describe("npm run demo", () => {
  it("traces the v1 agent, grades it, fills the regression dataset and says where to look", async () => {
    const { url, adminToken } = flywheel();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["scripts/demo.mjs", "--url", url, "--admin-token", adminToken],
      { cwd: root },
    );

    expect(stdout).toContain(`Using Flywheel at ${url}`);
    expect(stdout).toMatch(/client: 300 traces stored, 0 duplicates, 0 dropped/);
    // Every planted failure mode is caught by its grader.
    for (const grader of [
      "reply is JSON with answer and action",
      "order id passed as A \\+ 4 digits",
      "cancellations use cancel_order, never issue_refund",
      "no refund outside the 30-day window",
      "answers within 1.5 s",
    ]) {
      expect(stdout).toMatch(new RegExp(`^ +[1-9]\\d*  ${grader}$`, "m"));
    }
    expect(stdout).toMatch(/latest: [1-9]\d* failing cases/);
    expect(stdout).toContain(`trend page:   ${url}/#key=fw_`);
  }, 180_000);
});
