/**
 * @module A local fake of an OpenAI-compatible chat-completions endpoint, for tests, the
 * demo and the judge benchmark (no network, no key). Rules pick the behaviour by a
 * pattern in the prompt: a fixed answer, a slow answer, 429 with `Retry-After`, a 5xx,
 * garbage instead of JSON, or a dropped connection. A rule with `times` applies to that
 * many matching calls only, so "fail twice, then answer" is one rule plus the default.
 *
 *   const judge = await startFakeJudge({ rules: [{ match: "refund", answer: { verdict: "fail", reason: "..." } }] });
 *   // JUDGE_BASE_URL = judge.url; judge.calls lists every request; await judge.close();
 */
import { createServer } from "node:http";

/**
 * @typedef {{
 *   match?: string | RegExp,
 *   answer?: string | Record<string, unknown> | ((prompt: string) => string | Record<string, unknown>),
 *   delayMs?: number,
 *   status?: number,
 *   retryAfter?: string,
 *   garbage?: boolean,
 *   drop?: boolean,
 *   times?: number,
 * }} FakeJudgeRule
 */

/**
 * @param {{ rules?: FakeJudgeRule[], defaultAnswer?: string | Record<string, unknown>, latencyMs?: number, port?: number }} [options]
 */
export async function startFakeJudge(options = {}) {
  let rules = (options.rules ?? []).map((r) => ({ ...r }));
  const defaultAnswer = options.defaultAnswer ?? { verdict: "pass", reason: "meets the criteria" };
  const latencyMs = options.latencyMs ?? 0;
  /** @type {{ prompt: string, model: string, status: number, body: any }[]} */
  const calls = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await handle(req, res, Buffer.concat(chunks).toString("utf8"));
      } finally {
        inFlight--;
      }
    });
  });

  async function handle(req, res, raw) {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
      return;
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"body is not JSON"}}');
      return;
    }
    const prompt = (body.messages ?? []).map((m) => String(m.content ?? "")).join("\n");
    const rule = rules.find((r) => matches(r, prompt) && (r.times === undefined || r.times > 0));
    if (rule && rule.times !== undefined) rule.times--;
    const call = { prompt, model: body.model, status: 200, body, at: Date.now() };
    calls.push(call);
    const delay = rule?.delayMs ?? latencyMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (rule?.drop) {
      call.status = 0;
      req.socket.destroy();
      return;
    }
    if (rule?.status && rule.status !== 200) {
      call.status = rule.status;
      const headers = { "content-type": "application/json" };
      if (rule.retryAfter !== undefined) headers["retry-after"] = rule.retryAfter;
      res.writeHead(rule.status, headers).end(`{"error":{"message":"fake status ${rule.status}"}}`);
      return;
    }
    const given = rule?.answer ?? defaultAnswer;
    const answer = typeof given === "function" ? given(prompt) : given;
    const content = rule?.garbage
      ? "I think it is fine?? {verdict: maybe"
      : typeof answer === "string"
        ? answer
        : JSON.stringify(answer);
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: `chatcmpl-${calls.length}`,
        object: "chat.completion",
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: {
          prompt_tokens: Math.ceil(prompt.length / 4),
          completion_tokens: Math.ceil(content.length / 4),
          total_tokens: Math.ceil(prompt.length / 4) + Math.ceil(content.length / 4),
        },
      }),
    );
  }

  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    /** @param {FakeJudgeRule[]} next */
    setRules(next) {
      rules = next.map((r) => ({ ...r }));
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

function matches(rule, prompt) {
  if (rule.match === undefined) return true;
  return typeof rule.match === "string" ? prompt.includes(rule.match) : rule.match.test(prompt);
}

/** What Flywheel's request for a fix starts with; a rule matching it answers fix requests. */
export const FIX_REQUEST = "Propose ONE change";

/**
 * A fake proposal for a failure mode, made from the request itself: the grader's reason
 * and the tool, turned into an instruction. A model would write a better one; this one is
 * at least about the mode it was asked about.
 * @param {string} prompt
 */
export function proposeFix(prompt) {
  const reason = prompt.match(/^One reason as given: (.*)$/m)?.[1]?.trim() ?? "the grader's check";
  const tool = prompt.match(/^Tool involved: (.*)$/m)?.[1]?.trim();
  const examples = [...prompt.matchAll(/^Failing example \d+ \(trace (.*)\):$/gm)].map((m) => m[1]);
  return {
    title: `Add an instruction against: ${reason.slice(0, 80)}`,
    change: `Before you answer, make sure this does not happen: "${reason}".${tool ? ` Use the ${tool} tool as its grader expects.` : ""}`,
    rationale: `The failing traces ${examples.join(", ") || "(none readable)"} all failed with: ${reason}.`,
  };
}

/**
 * Run directly to try judges locally without a key:
 *   node test/fake-judge/server.mjs [--port 8788] [--latency 0]
 * Answers `fail` when the prompt contains "I cannot help" or "FAIL", `pass` otherwise, and
 * a request for a fix with {@link proposeFix}.
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseOptions } = await import("../../bench/lib/args.mjs");
  const options = parseOptions();
  const judge = await startFakeJudge({
    port: Number(options.port ?? 8788),
    latencyMs: Number(options.latency ?? 0),
    rules: [
      { match: FIX_REQUEST, answer: proposeFix },
      { match: /I cannot help|FAIL/, answer: { verdict: "fail", reason: "the answer does not help the customer" } },
    ],
  });
  console.log(`fake judge listening: JUDGE_BASE_URL=${judge.url}`);
}
