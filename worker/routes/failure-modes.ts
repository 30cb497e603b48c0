/**
 * @module `GET /api/agents/{agent}/failure-modes`: the agent's failures in a time range
 * grouped into modes (worker/eval/failure-modes.ts), each with a suggested fix stored
 * under the mode's key so an eval run can name it as tried.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors";
import { type CaseRef, clusterFailures, type FailureMode } from "../eval/failure-modes";
import { type FixProposer, graderHintProposer } from "../eval/fix-hints";
import type { GraderVersion } from "../grading";
import { requireProject } from "../middleware/auth";
import { readFailingScores, readRecentWindows } from "../storage/failure-store";
import { loadGraderVersions } from "../storage/grader-store";
import { sha256Hex } from "../storage/hash";
import { type SuggestionRow, saveSuggestions } from "../storage/suggestion-store";
import { resolveDataset, resolveVersion } from "./dataset-shared";
import { readAllCases } from "./eval-run-launch";
import { commonErrors, jsonResponse as json, newRouter, notFoundError, projectSecurity } from "./router";

const MAX_FAILURES = 5_000;
const TREND_WINDOWS = 10;
const DEFAULT_RANGE_MS = 7 * 24 * 3_600_000;
/** Where suggestions come from. A model-backed proposer (a judge endpoint) is added to this list. */
const proposers: FixProposer[] = [graderHintProposer];

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
    source: z.string().openapi({ description: "`grader_hint` (deterministic, from the grader definition)" }),
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
    const suggestions = await suggestFixes(db, projectId, agent, modes, graders);
    return c.json(
      {
        agent,
        from,
        to,
        totalFailures: rows.length,
        truncated,
        dataset,
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

async function suggestFixes(
  db: Parameters<typeof saveSuggestions>[0],
  projectId: string,
  agent: string,
  modes: FailureMode[],
  graders: Map<string, GraderVersion>,
): Promise<Map<string, SuggestionRow[]>> {
  const proposed = [];
  for (const mode of modes) {
    for (const proposer of proposers) {
      for (const fix of await proposer.propose(mode, graders.get(refKey(mode.graderId, mode.graderVersion)))) {
        const id = `sug_${(await sha256Hex(JSON.stringify([projectId, agent, mode.key, fix.source, fix.title]))).slice(0, 20)}`;
        proposed.push({
          id,
          projectId,
          agent,
          modeKey: mode.key,
          source: fix.source,
          title: fix.title,
          detail: fix.detail,
        });
      }
    }
  }
  const stored = await saveSuggestions(db, projectId, proposed);
  const byMode = new Map<string, SuggestionRow[]>();
  for (const row of stored) byMode.set(row.modeKey, [...(byMode.get(row.modeKey) ?? []), row]);
  return byMode;
}
