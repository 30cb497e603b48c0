/**
 * The README's "Send your first trace" snippets run as pasted against the running
 * product: every fenced block after a `<!-- readme-test -->` marker, in order, in one
 * shell (so exported variables carry over), the JavaScript ones with `node`. They run
 * in a scratch directory that holds what the repository root would: a `.dev.vars`
 * with the server's admin token and the `client/` folder.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { api, eventually, flywheel } from "./client";

const root = path.resolve(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(path.join(os.tmpdir(), "flywheel-readme-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Snippet {
  lang: string;
  code: string;
}

function markedSnippets(markdown: string): Snippet[] {
  const pattern = /<!-- readme-test -->\s*\n```(\w+)\n([\s\S]*?)\n```/g;
  return [...markdown.matchAll(pattern)].map(([, lang, code]) => ({ lang: lang!, code: code! }));
}

/** One bash script: shell snippets inline, JavaScript ones as ES modules on node's stdin. */
function asScript(snippets: Snippet[]): string {
  const parts = snippets.map(({ lang, code }, i) => {
    if (lang === "sh") return code;
    if (lang === "js") return `node --input-type=module <<'README_SNIPPET_${i}'\n${code}\nREADME_SNIPPET_${i}`;
    throw new Error(`a marked README snippet is \`${lang}\`; the test runs sh and js`);
  });
  return ["set -euo pipefail", ...parts, 'echo "FLYWHEEL_KEY=$FLYWHEEL_KEY"'].join("\n");
}

describe("README: Send your first trace", () => {
  it("runs every marked snippet as pasted, and the traces they send are stored", async () => {
    const snippets = markedSnippets(readFileSync(path.join(root, "README.md"), "utf8"));
    expect(snippets.map((s) => s.lang)).toEqual(["sh", "sh", "sh", "js", "js"]);
    const { url, adminToken } = flywheel();
    writeFileSync(path.join(scratch, ".dev.vars"), `ADMIN_TOKEN=${adminToken}\n`);
    symlinkSync(path.join(root, "client"), path.join(scratch, "client"));
    const script = path.join(scratch, "snippets.sh");
    writeFileSync(script, asScript(snippets));

    const { ADMIN_TOKEN: _a, FLYWHEEL_KEY: _k, ...env } = process.env;
    const { stdout } = await promisify(execFile)("bash", [script], {
      cwd: scratch,
      env: { ...env, FLYWHEEL_URL: url },
    });

    expect(stdout).toContain('{"id":"run-42","status":"created","accepted":1,"duplicates":0,"rejected":0}');
    expect(stdout).toMatch(/"id":"run-42","agent":"support-bot"/);
    expect(stdout).toMatch(/^201 \{\s+id: 't-[0-9a-f]{32}',\s+status: 'created'/m);
    expect(stdout).toContain("Your order is shipped.");
    expect(stdout).toMatch(/sent: 1,\s+duplicates: 0,\s+rejected: 0,\s+dropped: 0/);

    const apiKey = stdout.match(/^FLYWHEEL_KEY=(fw_\S+)$/m)![1]!;
    const traces = await eventually(async () => {
      const page = (await (await api(apiKey, "/api/traces?agent=support-bot")).json()) as { traces: unknown[] };
      return page.traces.length === 3 ? page.traces : undefined;
    });
    expect(traces).toHaveLength(3);
  });
});
