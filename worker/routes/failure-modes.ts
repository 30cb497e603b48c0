/**
 * @module `GET /api/agents/{agent}/failure-modes`: the agent's failures in a time range
 * grouped into modes (worker/eval/failure-modes.ts), each with a suggested fix stored
 * under the mode's key so an eval run can name it as tried.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type Config, loadConfig } from "../config";
import { ApiError } from "../errors";
import { type CaseRef, clusterFailures, type FailureMode } from "../eval/failure-modes";
import { graderHintProposer, type ProposedFix } from "../eval/fix-hints";
import { EndpointPause, type FixExample, judgeFixProposer } from "../eval/judge-fix-proposer";
import type { GraderVersion } from "../grading";
import { JudgeClient } from "../judge/judge-client";
import { toolCallText } from "../judge/prompt";
import { requireProject } from "../middleware/auth";
import type { Db } from "../storage/db";
import { readFailingScores, readRecentWindows } from "../storage/failure-store";
import { enabledGraderRefs, loadGraderVersions } from "../storage/grader-store";
import { sha256Hex } from "../storage/hash";
import { judgeTokensUsed, saveJudgeCalls } from "../storage/judge-store";
import { findSuggestions, type SuggestionRow, saveSuggestions } from "../storage/suggestion-store";
import { readTrace } from "../traces/read-trace";
import { resolveDataset, resolveVersion } from "./dataset-shared";
import { readAllCases } from "./eval-run-launch";
import { commonErrors, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const MAX_FAILURES = 5_000;
const TREND_WINDOWS = 10;
const DEFAULT_RANGE_MS = 7 * 24 * 3_600_000;
/** Modes a request may ask the judge endpoint about: the largest ones without a proposal yet. */
const MAX_JUDGE_PROPOSALS = 5;
/** Longest wait for one attempt at a proposal (JUDGE_TIMEOUT_MS when shorter); one retry. */
const PROPOSAL_TIMEOUT_MS = 10_000;
/** An endpoint that failed a proposal is left alone this long. */
const pause = new EndpointPause(60_000);

const query = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: 7 days before `to`" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: now" }),
  dataset: z.string().optional().openapi({ description: "Dataset to take example cases from; default agent:<agent>" }),
  datasetVersion: z
    .string()
    .regex(/^(latest|[1-9][0-9]{0,9})$/, "must be a version number or 'latest'")
    .optional()
    .openapi({ description: "Link each mode to the cases of this dataset version" }),
});

const suggestionSchema = z
  .object({
    id: z.string(),
    source: z.string().openapi({
      description:
        "`grader_hint` (deterministic, from the grader definition) or `judge` (a prompt change proposed by the judge endpoint from the failing examples; `detail.change` is the instruction)",
    }),
    title: z.string(),
    detail: z.record(z.string(), z.unknown()),
    tried: z.object({ runId: z.string(), at: z.string() }).nullable(),
  })
  .openapi("FixSuggestion");

const modeSchema = z
  .object({
    key: z.string(),
    graderId: z.string(),
    graderVersion: z.number().int(),
    graderName: z.string().nullable(),
    reason: z.string(),
    exampleReason: z.string(),
    tool: z.string().nullable(),
    errorSignature: z.string().nullable(),
    count: z.number().int(),
    share: z.number(),
    trend: z.array(
      z.object({ windowId: z.string(), closedAt: z.string(), count: z.number().int(), rate: z.number().nullable() }),
    ),
    exampleTraceIds: z.array(z.string()),
    exampleCaseIds: z.array(z.string()),
    caseCount: z.number().int(),
    suggestions: z.array(suggestionSchema),
  })
  .openapi("FailureMode");

export const failureModeRoutes = newRouter().openapi(
  createRoute({
    method: "get",
    path: "/agents/{agent}/failure-modes",
    tags: ["eval runs"],
    summary: "The agent's failures grouped into modes, with trend, examples and a suggested fix each",
    security: projectSecurity,
    middleware: [requireProject] as const,
    request: {
      params: z.object({
        agent: z
          .string()
          .min(1)
          .openapi({ param: { name: "agent", in: "path" }, example: "support-bot" }),
      }),
      query,
    },
    responses: {
      200: json(
        z.object({
          agent: z.string(),
          from: z.string(),
          to: z.string(),
          totalFailures: z.number().int(),
          truncated: z.boolean().openapi({ description: `Only the newest ${MAX_FAILURES} failures were grouped` }),
          dataset: z.object({ id: z.string(), version: z.number().int() }).nullable(),
          judgeProposals: z
            .object({
              model: z.string(),
              asked: z.number().int(),
              proposed: z.number().int(),
              failed: z.number().int(),
              error: z.string().nullable(),
            })
            .nullable()
            .openapi({
              description:
                "What this request asked the judge endpoint (null without one: the agent has no judge grader and JUDGE_API_KEY is not set). A mode keeps its first proposal; after a failed ask the endpoint is left alone for a minute, then asked again.",
            }),
          modes: z.array(modeSchema),
        }),
        "Modes, largest first",
      ),
      ...commonErrors,
      ...notFoundError,
    },
  }),
  async (c) => {
    const { db, projectId } = c.var;
    const { agent } = c.req.valid("param");
    const q = c.req.valid("query");
    const to = q.to ? new Date(q.to).toISOString() : new Date().toISOString();
    const from = q.from ? new Date(q.from).toISOString() : new Date(Date.parse(to) - DEFAULT_RANGE_MS).toISOString();
    if (from >= to) throw new ApiError(400, "invalid_range", "`from` must be before `to`.");

    const range = { projectId, agent, from, to };
    const [{ rows, truncated }, windows] = await Promise.all([
      readFailingScores(db, { ...range, limit: MAX_FAILURES }),
      readRecentWindows(db, { ...range, limit: TREND_WINDOWS }),
    ]);
    const graders = await gradersOf(db, projectId, rows);
    let dataset: { id: string; version: number } | null = null;
    let cases: CaseRef[] = [];
    if (q.datasetVersion) {
      const row = await resolveDataset(db, projectId, q.dataset ?? `agent:${agent}`);
      const version = await resolveVersion(db, row, q.datasetVersion);
      dataset = { id: row.id, version: version.version };
      cases = (await readAllCases(db, row.id, version.version)).map((item) => ({
        caseId: item.id,
        sourceTraceId: item.sourceTraceId,
        failure: item.failure,
      }));
    }
    const modes = clusterFailures(
      rows.map((r) => ({
        traceId: r.trace_id,
        windowId: r.window_id,
        graderId: r.grader_id,
        graderVersion: r.grader_version,
        reason: r.reason,
        tool: toolOf(graders.get(refKey(r.grader_id, r.grader_version))),
      })),
      windows.map((w) => ({ windowId: w.id, closedAt: w.closed_at, gradedCount: w.graded_count ?? 0 })),
      cases,
    );
    const { suggestions, judgeProposals } = await suggestFixes(c.env, loadConfig(c.env), {
      db,
      projectId,
      agent,
      modes,
      graders,
    });
    return c.json(
      {
        agent,
        from,
        to,
        totalFailures: rows.length,
        truncated,
        dataset,
        judgeProposals,
        modes: modes.map((mode) => ({
          ...mode,
          graderName: graders.get(refKey(mode.graderId, mode.graderVersion))?.name ?? null,
          suggestions: (suggestions.get(mode.key) ?? []).map((s) => ({
            id: s.id,
            source: s.source,
            title: s.title,
            detail: s.detail as Record<string, unknown>,
            tried: s.triedRunId && s.triedAt ? { runId: s.triedRunId, at: s.triedAt } : null,
          })),
        })),
      },
      200,
    );
  },
);

const refKey = (graderId: string, version: number) => `${graderId}@${version}`;

function toolOf(grader: GraderVersion | undefined): string | null {
  const tool = (grader?.definition as { tool?: unknown } | undefined)?.tool;
  return typeof tool === "string" ? tool : null;
}

async function gradersOf(
  db: Parameters<typeof loadGraderVersions>[0],
  projectId: string,
  rows: { grader_id: string; grader_version: number }[],
): Promise<Map<string, GraderVersion>> {
  const refs = [
    ...new Map(
      rows.map((r) => [refKey(r.grader_id, r.grader_version), { graderId: r.grader_id, version: r.grader_version }]),
    ).values(),
  ];
  const found = new Map<string, GraderVersion>();
  // A grader version is never deleted, but a score may outlive a grader of another project's import: skip what is missing.
  for (const ref of refs) {
    const [version] = await loadGraderVersions(db, projectId, [ref]).catch(() => []);
    if (version) found.set(refKey(version.graderId, version.version), version);
  }
  return found;
}

interface SuggestionInput {
  db: Db;
  projectId: string;
  agent: string;
  modes: FailureMode[];
  graders: Map<string, GraderVersion>;
}

interface JudgeProposals {
  model: string;
  asked: number;
  proposed: number;
  failed: number;
  error: string | null;
}

/**
 * Every mode's suggestions: the grader's deterministic hint, and with a judge endpoint a
 * proposed prompt change. A mode is asked about once: its proposal is stored under an id
 * of the mode and the source, and later requests read it back.
 */
async function suggestFixes(
  env: Env,
  config: Config,
  input: SuggestionInput,
): Promise<{ suggestions: Map<string, SuggestionRow[]>; judgeProposals: JudgeProposals | null }> {
  const { db, projectId, agent, modes, graders } = input;
  const proposed: Parameters<typeof saveSuggestions>[2] = [];
  const add = async (mode: FailureMode, fix: ProposedFix, id?: string) =>
    proposed.push({
      id: id ?? (await suggestionId(projectId, agent, mode.key, fix.source, fix.title)),
      projectId,
      agent,
      modeKey: mode.key,
      source: fix.source,
      title: fix.title,
      detail: fix.detail,
    });
  for (const mode of modes) {
    for (const fix of await graderHintProposer.propose(mode, graders.get(refKey(mode.graderId, mode.graderVersion)))) {
      await add(mode, fix);
    }
  }
  const judgeIds = await Promise.all(modes.map((m) => suggestionId(projectId, agent, m.key, "judge")));
  const proposedBefore = await findSuggestions(db, projectId, judgeIds);
  const have = new Set(proposedBefore.map((row) => row.id));
  const unproposed = modes.map((mode, i) => ({ mode, id: judgeIds[i]! })).filter(({ id }) => !have.has(id));
  const judgeProposals = await proposeWithJudge(env, config, input, unproposed, add);
  const stored = [...(await saveSuggestions(db, projectId, proposed)), ...proposedBefore];
  const byMode = new Map<string, SuggestionRow[]>();
  for (const row of stored) byMode.set(row.modeKey, [...(byMode.get(row.modeKey) ?? []), row]);
  return { suggestions: byMode, judgeProposals };
}

/** A judge's proposal is one per mode (its id leaves the title out); a grader hint is one per title. */
async function suggestionId(projectId: string, agent: string, modeKey: string, source: string, title?: string) {
  const parts = source === "judge" ? [projectId, agent, modeKey, source] : [projectId, agent, modeKey, source, title];
  return `sug_${(await sha256Hex(JSON.stringify(parts))).slice(0, 20)}`;
}

/**
 * Asks the judge endpoint for a prompt change for the largest modes that have none yet
 * (`todo`, largest first).
 * The endpoint is the agent's first judge grader's (its `baseUrl` and `model`, else the
 * JUDGE_* defaults), or the JUDGE_* defaults when JUDGE_API_KEY is set; without either
 * there is none. Tokens count against the project's JUDGE_DAILY_TOKEN_BUDGET, and a spent
 * budget asks nothing. A failed ask leaves the grader hint alone and says why.
 */
async function proposeWithJudge(
  env: Env,
  config: Config,
  { db, projectId, agent, modes, graders }: SuggestionInput,
  todo: { mode: FailureMode; id: string }[],
  add: (mode: FailureMode, fix: ProposedFix, id: string) => Promise<unknown>,
): Promise<JudgeProposals | null> {
  const endpoint = await judgeEndpoint(db, config, projectId, agent);
  if (!endpoint || modes.length === 0) return null;
  const outcome: JudgeProposals = { model: endpoint.model, asked: 0, proposed: 0, failed: 0, error: null };
  if (todo.length === 0) return outcome;
  const paused = pause.reason(endpoint.baseUrl);
  if (paused) return { ...outcome, error: paused };
  const day = new Date().toISOString().slice(0, 10);
  if ((await judgeTokensUsed(db, projectId, day)) >= config.JUDGE_DAILY_TOKEN_BUDGET) {
    return { ...outcome, error: "the project's JUDGE_DAILY_TOKEN_BUDGET for today is spent" };
  }
  // Someone is waiting for this answer: fewer, shorter attempts than a window's judge.
  const client = new JudgeClient({
    apiKey: config.JUDGE_API_KEY,
    timeoutMs: Math.min(config.JUDGE_TIMEOUT_MS, PROPOSAL_TIMEOUT_MS),
    maxAttempts: Math.min(config.JUDGE_MAX_ATTEMPTS, 2),
    concurrency: config.JUDGE_CONCURRENCY,
    maxRetryAfterMs: 2_000,
  });
  let tokens = 0;
  const proposer = judgeFixProposer({
    ...endpoint,
    complete: async (call) => {
      const reply = await client.complete(call);
      tokens += reply.inputTokens + reply.outputTokens;
      return reply;
    },
    examples: (mode) => readExamples(env, db, projectId, mode),
  });
  const asked = todo.slice(0, MAX_JUDGE_PROPOSALS);
  const results = await Promise.allSettled(
    asked.map(({ mode }) => proposer.propose(mode, graders.get(refKey(mode.graderId, mode.graderVersion)))),
  );
  for (const [i, result] of results.entries()) {
    if (result.status === "rejected") {
      outcome.failed++;
      outcome.error ??= result.reason instanceof Error ? result.reason.message : String(result.reason);
      continue;
    }
    for (const fix of result.value) await add(asked[i]!.mode, fix, asked[i]!.id);
    outcome.proposed++;
  }
  outcome.asked = asked.length;
  if (outcome.failed > 0) pause.failed(endpoint.baseUrl);
  else pause.succeeded(endpoint.baseUrl);
  if (tokens > 0) await saveJudgeCalls(db, projectId, [], tokens, day);
  return outcome;
}

async function judgeEndpoint(
  db: Db,
  config: Config,
  projectId: string,
  agent: string,
): Promise<{ baseUrl: string; model: string } | null> {
  const current = await loadGraderVersions(db, projectId, await enabledGraderRefs(db, projectId, agent));
  const judge = current.find((g) => (g.definition as { kind?: unknown }).kind === "judge");
  if (judge) {
    const { baseUrl, model } = judge.definition as { baseUrl?: string; model?: string };
    return { baseUrl: baseUrl ?? config.JUDGE_BASE_URL, model: model ?? config.JUDGE_MODEL };
  }
  return config.JUDGE_API_KEY ? { baseUrl: config.JUDGE_BASE_URL, model: config.JUDGE_MODEL } : null;
}

/** The mode's example traces as the model sees them; one that cannot be read is left out. */
async function readExamples(env: Env, db: Db, projectId: string, mode: FailureMode): Promise<FixExample[]> {
  const examples: FixExample[] = [];
  for (const traceId of mode.exampleTraceIds) {
    try {
      const trace = (await readTrace(env, db, projectId, traceId)) as {
        input?: unknown;
        output?: unknown;
        spans?: { type?: string; name?: string; input?: unknown; output?: unknown }[];
      };
      const toolCalls = (trace.spans ?? []).filter((span) => span.type === "tool").map(toolCallText);
      examples.push({ traceId, input: trace.input, output: trace.output, toolCalls });
    } catch {
      // Quarantined or gone: the reasons still ground the proposal.
    }
  }
  return examples;
}
