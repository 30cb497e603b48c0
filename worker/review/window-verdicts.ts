/**
 * @module Final verdicts of a window's traces, decided from everything known now: the
 * window's grader scores, human verdicts, links between graders, judge stability and
 * calibration, under the agent's policy. Run whenever a window's rollup is recomputed
 * (after grading, and after a human verdict), so the rollup, the stored final verdicts
 * and the review queue always agree. Disputed traces, and a sample of the rest, are queued.
 */
import type { Config } from "../config";
import type { ScoreResult } from "../grading/definitions";
import { isSampledIn } from "../grading/sampling";
import type { Db } from "../storage/db";
import { judgeResultsOfTraces } from "../storage/judge-store";
import {
  graderHumanPairs,
  graderKinds,
  humanVerdictsOfTraces,
  listGraderLinks,
  newReviewItemId,
  queueReviewItems,
  readReviewSettings,
  saveTraceVerdicts,
  type ReviewItemRow,
} from "../storage/review-store";
import { scoreId } from "../storage/score-store";
import { agreementOf } from "./agreement";
import { calibrationOf, type CalibrationStatus } from "./calibration";
import { decideFinalVerdict, type FinalDecision, type VerdictInput } from "./final-verdict";
import { resolveReviewSettings, type ReviewSettings } from "./review-settings";

export interface WindowVerdicts {
  decisions: Map<string, FinalDecision>;
  /** Human verdicts as scores (grader id `human`, version 0), to show beside the graders'. */
  humanScores: Map<string, ScoreResult[]>;
}

export const HUMAN_GRADER_ID = "human";

export async function reviewSettingsOf(
  db: Db,
  config: Config,
  projectId: string,
  agent: string,
): Promise<ReviewSettings> {
  return resolveReviewSettings(await readReviewSettings(db, projectId, agent), config);
}

/** Calibration of every judge version of the agent that humans have reviewed (or not yet). */
export async function judgeCalibrations(
  db: Db,
  projectId: string,
  agent: string,
  settings: ReviewSettings,
  judgeKeys: string[],
): Promise<Map<string, CalibrationStatus>> {
  const out = new Map<string, CalibrationStatus>();
  if (judgeKeys.length === 0) return out;
  const pairs = settings.calibration.enabled ? await graderHumanPairs(db, projectId, agent) : [];
  for (const key of judgeKeys) {
    const mine = pairs
      .filter((p) => `${p.graderId}@${p.graderVersion}` === key)
      .map((p): ["pass" | "fail", "pass" | "fail"] => [p.graderVerdict, p.humanVerdict]);
    out.set(key, calibrationOf(agreementOf(mine), settings.calibration));
  }
  return out;
}

export async function resolveWindowVerdicts(
  db: Db,
  config: Config,
  window: { projectId: string; agent: string; id: string },
  byTrace: ReadonlyMap<string, readonly ScoreResult[]>,
  now: string,
): Promise<WindowVerdicts> {
  const { projectId, agent } = window;
  const traceIds = [...byTrace.keys()];
  const decisions = new Map<string, FinalDecision>();
  const humanScores = new Map<string, ScoreResult[]>();
  if (traceIds.length === 0) return { decisions, humanScores };

  const settings = await reviewSettingsOf(db, config, projectId, agent);
  const graderIds = [...new Set([...byTrace.values()].flatMap((list) => list.map((s) => s.graderId)))];
  const [kinds, links, humans, judged] = await Promise.all([
    graderKinds(db, projectId, graderIds),
    listGraderLinks(db, projectId, agent),
    humanVerdictsOfTraces(db, projectId, traceIds),
    judgeResultsOfTraces(db, projectId, traceIds),
  ]);
  const judgeKeys = [...kinds].filter(([, kind]) => kind === "judge").map(([key]) => key);
  const calibration = await judgeCalibrations(db, projectId, agent, settings, judgeKeys);
  const unstable = new Set(judged.filter((r) => r.unstable).map((r) => r.scoreId));
  const humansByTrace = new Map<string, typeof humans>();
  for (const h of humans) humansByTrace.set(h.traceId, [...(humansByTrace.get(h.traceId) ?? []), h]);

  const rows = [];
  const queue: ReviewItemRow[] = [];
  for (const [traceId, scores] of byTrace) {
    const inputs: VerdictInput[] = scores.map((s) => {
      const key = `${s.graderId}@${s.graderVersion}`;
      const kind = kinds.get(key) ?? "rule";
      return {
        ...s,
        kind,
        unstable: kind === "judge" && unstable.has(scoreId(window.id, traceId, s.graderId, s.graderVersion)),
        uncalibrated: kind === "judge" && calibration.get(key)?.state === "uncalibrated",
      };
    });
    const reviewed = humansByTrace.get(traceId) ?? [];
    for (const h of reviewed) {
      inputs.push({
        graderId: HUMAN_GRADER_ID,
        graderVersion: 0,
        kind: "human",
        verdict: h.verdict,
        reason: h.note ?? "",
        reviewer: h.reviewer,
      });
    }
    humanScores.set(
      traceId,
      reviewed.map((h) => ({
        graderId: HUMAN_GRADER_ID,
        graderVersion: 0,
        verdict: h.verdict,
        score: h.score ?? (h.verdict === "pass" ? 1 : 0),
        reason: `${h.reviewer}: ${h.note ?? h.verdict}`,
      })),
    );
    const decision = decideFinalVerdict(inputs, settings.policy, links);
    decisions.set(traceId, decision);
    rows.push({
      projectId,
      traceId,
      agent,
      windowId: window.id,
      verdict: decision.verdict,
      disputed: decision.disputed,
      decision,
      updatedAt: now,
    });
    // A trace a human already reviewed is not queued again: the review is what settles it.
    if (reviewed.length > 0) continue;
    if (decision.disputed) queue.push(item(window, traceId, "disputed", decision.disputes.join("; "), now));
    else if (settings.reviewSampleRate > 0 && isSampledIn(traceId, settings.reviewSampleRate, "review")) {
      queue.push(
        item(
          window,
          traceId,
          "sampled",
          `sampled at rate ${settings.reviewSampleRate} to measure graders against humans`,
          now,
        ),
      );
    }
  }
  await saveTraceVerdicts(db, rows);
  await queueReviewItems(db, queue);
  return { decisions, humanScores };
}

function item(
  window: { projectId: string; agent: string },
  traceId: string,
  reason: ReviewItemRow["reason"],
  detail: string,
  now: string,
): ReviewItemRow {
  return {
    id: newReviewItemId(),
    projectId: window.projectId,
    agent: window.agent,
    traceId,
    reason,
    detail,
    state: "pending",
    createdAt: now,
    reviewedAt: null,
  };
}
