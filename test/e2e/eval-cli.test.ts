/**
 * The improvement loop from a developer's seat: the `flywheel` CLI runs candidates over a
 * regression dataset against the running product, client-side (an agent module) and
 * server-side (an HTTP endpoint the server calls), and its exit code gates CI.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createProject, flywheel } from "./client";

const CLI = path.resolve(import.meta.dirname, "..", "..", "bin", "flywheel.mjs");
const expected = (id: string) => `answer-${id}`;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** An agent module answering every case as the current agent does, except where `overrides` says. */
function agentModule(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

const CURRENT_AGENT = `
export default async function (input, { caseId }) {
  return caseId.startsWith("g") ? "answer-" + caseId : "I don't know";
}`;

describe("flywheel eval", () => {
  let env: Record<string, string>;
  let agent: string;
  let dir: string;
  let endpoint: Server;
  let endpointUrl: string;
  /** The headers of every call the candidate's endpoint received. */
  const endpointHeaders: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    const { apiKey } = await createProject("e2e-eval");
    agent = `e2e-eval-${Date.now()}`;
    env = { FLYWHEEL_URL: flywheel().url, FLYWHEEL_KEY: apiKey };
    dir = mkdtempSync(path.join(os.tmpdir(), "flywheel-cli-"));
    const grader = await api(apiKey, "/api/graders", {
      method: "POST",
      body: JSON.stringify({
        agent,
        name: "matches the reference",
        definition: { kind: "metric", metric: "exact_match" },
      }),
    });
    expect(grader.status).toBe(201);
    const dataset = (await (
      await api(apiKey, "/api/datasets", {
        method: "POST",
        body: JSON.stringify({ name: `${agent}-regressions`, agent }),
      })
    ).json()) as { id: string };
    const cases = [
      ...["f1", "f2", "f3", "f4"].map((id) => ({ id, input: `question ${id}`, expected: expected(id) })),
      ...["g1", "g2"].map((id) => ({ id, input: `question ${id}`, expected: expected(id), guard: true })),
    ];
    const added = await api(apiKey, `/api/datasets/${dataset.id}/cases`, {
      method: "POST",
      body: JSON.stringify({ cases }),
    });
    expect(added.status).toBe(201);
    env.DATASET = dataset.id;

    // The candidate's endpoint for server-side runs: fixes f1, alternates on f3, and is too slow on g2.
    let f3Calls = 0;
    endpoint = createServer((req, res) => {
      endpointHeaders.push(req.headers);
      let raw = "";
      req.on("data", (chunk) => {
        raw += chunk;
      });
      req.on("end", () => {
        const { caseId } = JSON.parse(raw) as { caseId: string };
        const answer =
          caseId === "f1" || caseId === "g1"
            ? expected(caseId)
            : caseId === "f3" && f3Calls++ % 2 === 0
              ? expected("f3")
              : "?";
        const delay = caseId === "g2" ? 3_000 : 20;
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ output: answer }));
        }, delay);
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    endpointUrl = `http://127.0.0.1:${(endpoint.address() as { port: number }).port}/answer`;
  });

  afterAll(async () => {
    endpoint?.closeAllConnections();
    await new Promise((resolve) => endpoint?.close(resolve));
  });

  const base = () => ["--agent", agent, "--dataset", env.DATASET!];

  it("passes the gate for a planted fix and reports it as improved; accepting makes it the baseline", async () => {
    const current = agentModule(dir, "current.mjs", CURRENT_AGENT);
    const first = await cli(["eval", ...base(), "--agent-module", current, "--json", "--accept"], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).run.metrics.improvementRate).toBe(0);

    const fixed = agentModule(
      dir,
      "fixed.mjs",
      `${CURRENT_AGENT.replace("export default", "const current =")}
export default async (input, ctx) => (ctx.caseId === "f2" ? "answer-f2" : current(input, ctx));`,
    );
    const second = await cli(["eval", ...base(), "--agent-module", fixed, "--min-improvement", "0.25"], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/improvement rate\s+25\.0%/);
    expect(second.stdout).toMatch(/improved\s+f2/);
    expect(second.stdout).toContain("Gate passed.");
  });

  it("fails the gate with exit 1 and says why when a guard case breaks", async () => {
    const broken = agentModule(
      dir,
      "broken.mjs",
      `export default async (input, { caseId }) => (caseId === "g2" ? "answer-g2" : caseId === "g1" ? "oops" : "I don't know");`,
    );
    const result = await cli(["eval", ...base(), "--agent-module", broken, "--json"], env);
    expect(result.code).toBe(1);
    const { run, gate } = JSON.parse(result.stdout);
    expect(run.metrics.regressionCount).toBe(1);
    expect(run.metrics.regressed).toEqual(["g1"]);
    expect(gate.passed).toBe(false);
    expect(result.stderr).toContain("Gate failed: 1 regression(s), more than --max-regressions 0: g1");
  });

  it("runs server-side against an endpoint: a timeout is an error, alternating answers are flaky", async () => {
    const result = await cli(
      [
        "eval",
        ...base(),
        "--endpoint",
        endpointUrl,
        "--repeats",
        "2",
        "--timeout-ms",
        "500",
        "--baseline",
        "dataset",
        "--json",
      ],
      env,
    );
    const { run } = JSON.parse(result.stdout);
    expect(run.mode).toBe("server");
    expect(run.status).toBe("completed");
    expect(run.metrics.fixed).toEqual(["f1"]);
    expect(run.metrics.flaky).toEqual(["f3"]);
    expect(run.metrics.errored).toEqual(["g2"]);
    expect(run.cases.find((c: { caseId: string }) => c.caseId === "g2").reason).toBe(
      "the candidate did not answer within 500 ms",
    );
    expect(run.metrics.regressionCount).toBe(0);
    expect(result.code).toBe(0);
    // The calls left the local runtime directly, as Flywheel built them: not through
    // miniflare's header-rewriting Worker, which costs every call a second isolate.
    expect(endpointHeaders.length).toBeGreaterThanOrEqual(12);
    expect(endpointHeaders.filter((h) => "cf-worker" in h)).toEqual([]);
    const gated = await cli(["status", "--run", run.id], env);
    expect(gated.code).toBe(0);
    expect(gated.stdout).toMatch(/flaky\s+f3/);
  });

  it("exports a dataset version to a file, one case a line", async () => {
    const out = path.join(dir, "cases.jsonl");
    const result = await cli(["export", "--dataset", env.DATASET!, "--dataset-version", "1", "--out", out], env);
    expect(result.code).toBe(0);
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((c: { id: string }) => c.id).sort()).toEqual(["f1", "f2", "f3", "f4", "g1", "g2"]);
  });

  it("grades with the graders named by --grader, at the version given", async () => {
    // A second grader on the agent: under it every answer fails, so which graders ran shows in the result.
    const strict = await api(env.FLYWHEEL_KEY!, "/api/graders", {
      method: "POST",
      body: JSON.stringify({
        agent: `${agent}-other`,
        name: "never satisfied",
        definition: { kind: "rule", check: "contains", text: "no answer contains this" },
      }),
    });
    expect(strict.status).toBe(201);
    const strictId = ((await strict.json()) as { id: string }).id;
    const module = agentModule(dir, "graders.mjs", "export default async (input, { caseId }) => 'answer-' + caseId;");
    const run = async (...graders: string[]) => {
      const args = ["eval", ...base(), "--agent-module", module, "--baseline", "dataset", "--json"];
      const out = await cli([...args, ...graders.flatMap((g) => ["--grader", g])], env);
      return { code: out.code, stderr: out.stderr, run: out.code <= 1 ? JSON.parse(out.stdout).run : null };
    };
    const strictOnly = await run(`${strictId}@1`);
    expect(strictOnly.run.graders).toEqual([{ graderId: strictId, version: 1 }]);
    expect(strictOnly.run.metrics.passRate).toBe(0);
    const agentsOwn = await run();
    expect(agentsOwn.run.graders.map((g: { graderId: string }) => g.graderId)).not.toContain(strictId);
    expect(agentsOwn.run.metrics.passRate).toBe(1);
    const badVersion = await run(`${strictId}@7`);
    expect(badVersion.code).toBe(3);
    expect(badVersion.stderr).toContain("grader_version_not_found");
    expect((await run(`${strictId}@0`)).code).toBe(2);
  });

  it("exits 2 on bad usage and 3 when the server cannot be reached or refuses", async () => {
    expect((await cli(["eval", "--agent", agent], env)).code).toBe(2);
    expect((await cli(["eval", ...base(), "--agent-module", "x.mjs", "--repeats", "zero"], env)).code).toBe(2);
    const unreachable = await cli(["status", "--agent", agent], { ...env, FLYWHEEL_URL: "http://127.0.0.1:9" });
    expect(unreachable.code).toBe(3);
    const refused = await cli(["eval", ...base(), "--endpoint", endpointUrl, "--dataset-version", "99"], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("version_not_found");
  });

  it("answers every case of a dataset longer than the first page of inputs, each once", async () => {
    // 501 cases: 500 come with the run, the last one is read as the next page.
    const long = `${agent}-long`;
    const key = env.FLYWHEEL_KEY!;
    const grader = await api(key, "/api/graders", {
      method: "POST",
      body: JSON.stringify({ agent: long, name: "exact", definition: { kind: "metric", metric: "exact_match" } }),
    });
    expect(grader.status).toBe(201);
    const dataset = (await (
      await api(key, "/api/datasets", { method: "POST", body: JSON.stringify({ name: long, agent: long }) })
    ).json()) as { id: string };
    const cases = Array.from({ length: 501 }, (_, i) => ({
      id: `c${i}`,
      input: `question c${i}`,
      expected: `answer-c${i}`,
    }));
    const added = await api(key, `/api/datasets/${dataset.id}/cases`, {
      method: "POST",
      body: JSON.stringify({ cases }),
    });
    expect(added.status).toBe(201);
    const calls = path.join(dir, "long-calls.txt");
    const module = agentModule(
      dir,
      "long.mjs",
      `import { appendFileSync } from "node:fs";
export default async function (input, { caseId }) {
  appendFileSync(${JSON.stringify(calls)}, caseId + "\\n");
  return caseId === "c500" ? "wrong" : "answer-" + caseId;
}`,
    );
    const result = await cli(
      ["eval", "--agent", long, "--dataset", dataset.id, "--agent-module", module, "--baseline", "dataset", "--json"],
      env,
    );
    expect(result.stderr).toBe("");
    const called = readFileSync(calls, "utf8").trim().split("\n");
    expect(called).toHaveLength(501);
    expect(new Set(called).size).toBe(501);
    const { run } = JSON.parse(result.stdout);
    expect(run.status).toBe("completed");
    expect(run.metrics.completed).toBe(501);
    expect(run.metrics.counts).toMatchObject({ pass: 500, fail: 1 });
    expect(run.cases.find((c: { caseId: string }) => c.caseId === "c500").outcome).toBe("fail");
  });

  it("exits 3 and says why when the run stops taking answers before the last ones are in", async () => {
    // The agent holds every case until the test says so, and g2 for good: the other
    // answers are posted to a run cancelled meanwhile while g2's call is still going, and
    // the command ends after g2's timeout though the agent's call never returns.
    const release = path.join(dir, "release");
    const module = agentModule(
      dir,
      "held.mjs",
      `import { existsSync } from "node:fs";
export default async function (input, { caseId }) {
  while (caseId === "g2" || !existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 20));
  return "answer-" + caseId;
}`,
    );
    const running = cli(
      ["eval", ...base(), "--agent-module", module, "--label", "cancelled-mid-run", "--timeout-ms", "2000"],
      env,
    );
    let runId: string | undefined;
    for (let i = 0; i < 200 && !runId; i++) {
      const res = await api(env.FLYWHEEL_KEY!, `/api/agents/${agent}/iterations`);
      const { iterations } = (await res.json()) as {
        iterations: { id: string; status: string; candidate: { label: string } }[];
      };
      runId = iterations.find((r) => r.candidate.label === "cancelled-mid-run" && r.status === "running")?.id;
      if (!runId) await new Promise((r) => setTimeout(r, 50));
    }
    expect(runId).toBeDefined();
    expect((await api(env.FLYWHEEL_KEY!, `/api/eval-runs/${runId}/cancel`, { method: "POST" })).status).toBe(200);
    writeFileSync(release, "");
    const { code, stderr } = await running;
    expect({ code, stderr }).toMatchObject({ code: 3, stderr: expect.stringContaining("run_not_accepting") });
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
