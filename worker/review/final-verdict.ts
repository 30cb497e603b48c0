/**
 * @module A trace's final verdict under its agent's policy, and whether it is disputed.
 * Pure. Every score stays in `basis` with whether it counted, so the API can show why:
 * an uncalibrated judge's score shows but does not count; an unstable judge (samples
 * split) counts as neither pass nor fail and disputes the trace.
 */
import type { FinalVerdictPolicy } from "./review-settings";

export type ScoreKind = "rule" | "metric" | "judge" | "human";

export interface VerdictInput {
  graderId: string;
  graderVersion: number;
  kind: ScoreKind;
  verdict: "pass" | "fail" | "skipped" | "error";
  reason: string;
  /** Judges only: the samples split. */
  unstable?: boolean;
  /** Judges only: below the calibration bar, so its verdict does not count on its own. */
  uncalibrated?: boolean;
  /** Humans: who. */
  reviewer?: string;
}

export interface GraderLink {
  graderA: string;
  graderB: string;
  criterion: string;
}

export interface BasisEntry {
  graderId: string;
  graderVersion: number;
  kind: ScoreKind;
  verdict: VerdictInput["verdict"];
  reason: string;
  counted: boolean;
  note: string | null;
  reviewer?: string;
}

export interface FinalDecision {
  verdict: "pass" | "fail" | "none";
  policy: FinalVerdictPolicy;
  disputed: boolean;
  disputes: string[];
  reason: string;
  basis: BasisEntry[];
}

const decided = (v: VerdictInput["verdict"]): v is "pass" | "fail" => v === "pass" || v === "fail";

export function decideFinalVerdict(
  scores: readonly VerdictInput[],
  policy: FinalVerdictPolicy,
  links: readonly GraderLink[] = [],
): FinalDecision {
  const basis: BasisEntry[] = scores.map((s) => ({
    graderId: s.graderId,
    graderVersion: s.graderVersion,
    kind: s.kind,
    verdict: s.verdict,
    reason: s.reason,
    counted: decided(s.verdict) && !s.uncalibrated,
    note:
      s.uncalibrated && decided(s.verdict)
        ? "uncalibrated judge: shown, not counted"
        : s.unstable
          ? "unstable judge"
          : null,
    ...(s.reviewer ? { reviewer: s.reviewer } : {}),
  }));
  const disputes = findDisputes(scores, links);
  const counting = scores.filter((_s, i) => basis[i]!.counted);
  const humans = counting.filter((s) => s.kind === "human");
  const machines = counting.filter((s) => s.kind !== "human");

  let verdict: FinalDecision["verdict"];
  let reason: string;
  if (policy === "human_overrides" && humans.length > 0) {
    ({ verdict, reason } = majorityOf(humans, "human verdicts"));
    reason = `decided by review: ${reason}`;
  } else if (policy === "majority") {
    ({ verdict, reason } = majorityOf(counting, "counting scores"));
  } else {
    ({ verdict, reason } = anyFail(policy === "any_fail" ? counting : machines));
  }
  return { verdict, policy, disputed: disputes.length > 0, disputes, reason, basis };
}

function anyFail(scores: readonly VerdictInput[]): { verdict: FinalDecision["verdict"]; reason: string } {
  const fails = scores.filter((s) => s.verdict === "fail");
  if (fails.length > 0) return { verdict: "fail", reason: `failed: ${fails.map(label).join(", ")}` };
  if (scores.some((s) => s.verdict === "pass")) return { verdict: "pass", reason: "no counting score failed" };
  return { verdict: "none", reason: "no score counted as pass or fail" };
}

/** A tie fails: a trace half the graders reject is not one to call good. */
function majorityOf(
  scores: readonly VerdictInput[],
  what: string,
): { verdict: FinalDecision["verdict"]; reason: string } {
  const fails = scores.filter((s) => s.verdict === "fail").length;
  const passes = scores.filter((s) => s.verdict === "pass").length;
  if (fails + passes === 0) return { verdict: "none", reason: `no ${what}` };
  const verdict = fails >= passes ? "fail" : "pass";
  return { verdict, reason: `${passes} pass, ${fails} fail among ${what}` };
}

function findDisputes(scores: readonly VerdictInput[], links: readonly GraderLink[]): string[] {
  const disputes: string[] = [];
  for (const s of scores) if (s.unstable) disputes.push(`${label(s)} is unstable: ${s.reason}`);
  const verdictOf = new Map<string, VerdictInput>();
  for (const s of scores) if (s.kind !== "human" && decided(s.verdict)) verdictOf.set(s.graderId, s);
  for (const link of links) {
    const a = verdictOf.get(link.graderA);
    const b = verdictOf.get(link.graderB);
    if (a && b && a.verdict !== b.verdict) {
      disputes.push(
        `linked graders disagree on "${link.criterion}": ${label(a)} ${a.verdict}, ${label(b)} ${b.verdict}`,
      );
    }
  }
  const humans = scores.filter((s) => s.kind === "human" && decided(s.verdict));
  for (const judge of scores.filter((s) => s.kind === "judge" && decided(s.verdict))) {
    const against = humans.find((h) => h.verdict !== judge.verdict);
    if (against)
      disputes.push(
        `${label(judge)} says ${judge.verdict}, reviewer ${against.reviewer ?? "?"} says ${against.verdict}`,
      );
  }
  return disputes;
}

function label(s: VerdictInput): string {
  return s.kind === "human" ? `reviewer ${s.reviewer ?? "?"}` : `${s.graderId} v${s.graderVersion}`;
}

/**
 * The failing scores behind a fail verdict, counted ones first (what a dataset case names
 * as its failure); a human's reason is kept with the reviewer's name.
 */
export function failuresBehind(decision: FinalDecision): { graderId: string; graderVersion: number; reason: string }[] {
  if (decision.verdict !== "fail") return [];
  return decision.basis
    .filter((b) => b.verdict === "fail" && b.counted)
    .map((b) => ({
      graderId: b.kind === "human" ? `human:${b.reviewer ?? "?"}` : b.graderId,
      graderVersion: b.graderVersion,
      reason: b.reason,
    }));
}
