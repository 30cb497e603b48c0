/**
 * @module Planning an API change to a dataset (add, edit, remove, import) against its
 * current cases: which cases are added, edited and removed in the new version, or why
 * the change is refused. Planning is all-or-nothing: a change with any error plans
 * nothing, so a version is never half-applied.
 *
 * Planning has two steps so the pure part needs no I/O: `prepareChange` validates and
 * fingerprints the request, `casesNeeded` says which live cases to load, and
 * `planCaseChanges` decides.
 */
import {
  type DatasetCase,
  type CaseContent,
  buildCase,
  contentOfInput,
  normaliseTags,
  sameCaseContent,
} from "./case-model";
import { type CaseEdit, type CaseInput, GUARD_TAG } from "./case-schema";
import { inputFingerprint } from "./fingerprint";

/** A validated import line and where it came from, for error messages. */
export interface ImportedCase {
  line: number;
  case: CaseInput;
}

/**
 * `merge` adds new cases and updates existing ones (matched by id, or by input when the
 * line has no id); `replace` also removes every live case the file does not mention.
 */
export type ImportMode = "merge" | "replace";

export type CaseChangeRequest =
  | { kind: "add"; cases: CaseInput[] }
  | { kind: "edit"; caseId: string; edit: CaseEdit }
  | { kind: "remove"; caseIds: string[] }
  | { kind: "import"; cases: ImportedCase[]; mode: ImportMode };

/** What made a version: recorded on the version row. */
export type ChangeKind = "collected" | "added" | "edited" | "removed" | "imported";

export interface CaseEditPlan {
  before: DatasetCase;
  after: DatasetCase;
}

/** The changes of one new version. Empty when the request changes nothing (no version is made). */
export interface CasePlan {
  changeKind: ChangeKind;
  added: DatasetCase[];
  edited: CaseEditPlan[];
  removed: DatasetCase[];
}

export type PlanErrorCode = "case_not_found" | "duplicate_case_id" | "duplicate_input";

export interface PlanError {
  code: PlanErrorCode;
  message: string;
  caseId?: string;
  /** Position in an add request's `cases`. */
  index?: number;
  /** Line number of an import file. */
  line?: number;
}

export type PlanResult = { ok: true; plan: CasePlan } | { ok: false; errors: PlanError[] };

interface Candidate {
  /** Index in an add request or line number of an import. */
  position: number;
  id: string | undefined;
  content: CaseContent;
  fingerprint: string;
}

export type PreparedChange =
  | { kind: "add"; candidates: Candidate[] }
  | { kind: "edit"; caseId: string; edit: CaseEdit; inputFingerprint: string | undefined }
  | { kind: "remove"; caseIds: string[] }
  | { kind: "import"; candidates: Candidate[]; mode: ImportMode };

/** Fingerprints every input in the request (the only async part of planning). */
export async function prepareChange(request: CaseChangeRequest): Promise<PreparedChange> {
  switch (request.kind) {
    case "add":
      return { kind: "add", candidates: await Promise.all(request.cases.map((c, index) => candidate(c, index))) };
    case "import":
      return {
        kind: "import",
        mode: request.mode,
        candidates: await Promise.all(request.cases.map((c) => candidate(c.case, c.line))),
      };
    case "edit":
      return {
        kind: "edit",
        caseId: request.caseId,
        edit: request.edit,
        inputFingerprint: request.edit.input === undefined ? undefined : await inputFingerprint(request.edit.input),
      };
    case "remove":
      return { kind: "remove", caseIds: [...new Set(request.caseIds)] };
  }
}

async function candidate(input: CaseInput, position: number): Promise<Candidate> {
  const content = contentOfInput(input);
  return { position, id: input.id, content, fingerprint: await inputFingerprint(content.input) };
}

/**
 * The live cases `planCaseChanges` must see: those with these ids or input fingerprints,
 * or every live case when `allLiveCases` (a replacing import).
 */
export function casesNeeded(prepared: PreparedChange): {
  caseIds: string[];
  fingerprints: string[];
  allLiveCases: boolean;
} {
  switch (prepared.kind) {
    case "add":
    case "import":
      return {
        caseIds: unique(prepared.candidates.flatMap((c) => (c.id === undefined ? [] : [c.id]))),
        fingerprints: unique(prepared.candidates.map((c) => c.fingerprint)),
        allLiveCases: prepared.kind === "import" && prepared.mode === "replace",
      };
    case "edit":
      return {
        caseIds: [prepared.caseId],
        fingerprints: prepared.inputFingerprint === undefined ? [] : [prepared.inputFingerprint],
        allLiveCases: false,
      };
    case "remove":
      return { caseIds: prepared.caseIds, fingerprints: [], allLiveCases: false };
  }
}

/**
 * Plans a change against the live cases of the latest version (at least those named by
 * `casesNeeded`). `newCaseId` makes ids for cases added without one.
 */
export async function planCaseChanges(
  prepared: PreparedChange,
  current: readonly DatasetCase[],
  newCaseId: () => string,
): Promise<PlanResult> {
  const live = new Map(current.map((c) => [c.id, c]));
  switch (prepared.kind) {
    case "add":
      return planAdd(prepared.candidates, live, newCaseId);
    case "import":
      return planImport(prepared.candidates, prepared.mode, live, newCaseId);
    case "edit":
      return planEdit(prepared, live);
    case "remove":
      return planRemove(prepared.caseIds, live);
  }
}

export const isEmptyPlan = (plan: CasePlan): boolean =>
  plan.added.length === 0 && plan.edited.length === 0 && plan.removed.length === 0;

/** Where a candidate came from, for messages and error fields. */
const where = (kind: "add" | "import", position: number) =>
  kind === "add" ? `cases[${position}]` : `line ${position}`;
const positionField = (kind: "add" | "import", position: number) =>
  kind === "add" ? { index: position } : { line: position };

async function planAdd(
  candidates: Candidate[],
  live: Map<string, DatasetCase>,
  newCaseId: () => string,
): Promise<PlanResult> {
  const errors: PlanError[] = [];
  const fresh = candidates.filter((c) => {
    if (c.id === undefined || !live.has(c.id)) return true;
    errors.push({
      code: "duplicate_case_id",
      caseId: c.id,
      index: c.position,
      message: `cases[${c.position}]: case '${c.id}' already exists; edit it instead of adding it`,
    });
    return false;
  });
  const targets = fresh.map((c) => ({ candidate: c, id: c.id ?? newCaseId() }));
  errors.push(...duplicateTargets("add", targets));
  const added = await Promise.all(targets.map((t) => buildCase(t.id, t.candidate.content)));
  errors.push(...duplicateInputs(live, added, "add", targets));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, plan: { changeKind: "added", added, edited: [], removed: [] } };
}

async function planImport(
  candidates: Candidate[],
  mode: ImportMode,
  live: Map<string, DatasetCase>,
  newCaseId: () => string,
): Promise<PlanResult> {
  const liveByFingerprint = new Map([...live.values()].map((c) => [c.fingerprint, c]));
  // A line without an id updates the live case with the same input, if any: the
  // fingerprint is the dedup key, so importing a known input twice never duplicates it.
  const targets = candidates.map((c) => ({
    candidate: c,
    id: c.id ?? liveByFingerprint.get(c.fingerprint)?.id ?? newCaseId(),
  }));
  const errors = duplicateTargets("import", targets);
  // Later lines that write an already written case are reported above and left out
  // below, so one pass reports the input conflicts of the other lines too.
  const written = new Set<string>();
  const firstTargets = targets.filter((t) => !written.has(t.id) && written.add(t.id));

  const plan: CasePlan = { changeKind: "imported", added: [], edited: [], removed: [] };
  const touched: DatasetCase[] = [];
  for (const target of firstTargets) {
    const after = await buildCase(target.id, target.candidate.content);
    touched.push(after);
    const before = live.get(target.id);
    if (!before) plan.added.push(after);
    else if (!sameCaseContent(before, after)) plan.edited.push({ before, after });
  }
  if (mode === "replace") {
    const kept = new Set(targets.map((t) => t.id));
    plan.removed = [...live.values()].filter((c) => !kept.has(c.id)).sort(byId);
  }
  const remaining = new Map(live);
  for (const removed of plan.removed) remaining.delete(removed.id);
  errors.push(...duplicateInputs(remaining, touched, "import", firstTargets));
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
  return { ok: true, plan };
}

async function planEdit(
  prepared: Extract<PreparedChange, { kind: "edit" }>,
  live: Map<string, DatasetCase>,
): Promise<PlanResult> {
  const before = live.get(prepared.caseId);
  if (!before) {
    return {
      ok: false,
      errors: [
        {
          code: "case_not_found",
          caseId: prepared.caseId,
          message: `case '${prepared.caseId}' is not in the latest version`,
        },
      ],
    };
  }
  const after = await buildCase(before.id, applyEdit(before, prepared.edit));
  const clash = [...live.values()].find((c) => c.id !== after.id && c.fingerprint === after.fingerprint);
  if (clash) {
    return {
      ok: false,
      errors: [
        {
          code: "duplicate_input",
          caseId: before.id,
          message: `the new input of case '${before.id}' is the same (after normalisation) as the input of case '${clash.id}'`,
        },
      ],
    };
  }
  const edited = sameCaseContent(before, after) ? [] : [{ before, after }];
  return { ok: true, plan: { changeKind: "edited", added: [], edited, removed: [] } };
}

/** Undefined fields keep their value; null clears `expected`, `failure` and `sourceTraceId`. */
export function applyEdit(before: CaseContent, edit: CaseEdit): CaseContent {
  let tags = edit.tags === undefined ? before.tags : normaliseTags(edit.tags);
  if (edit.guard === true) tags = normaliseTags(tags, true);
  if (edit.guard === false) tags = tags.filter((tag) => tag !== GUARD_TAG);
  return {
    input: edit.input === undefined ? before.input : edit.input,
    expected: edit.expected === undefined ? before.expected : edit.expected,
    failure: edit.failure === undefined ? before.failure : edit.failure,
    tags,
    sourceTraceId: edit.sourceTraceId === undefined ? before.sourceTraceId : edit.sourceTraceId,
  };
}

function planRemove(caseIds: string[], live: Map<string, DatasetCase>): PlanResult {
  const missing = caseIds.filter((id) => !live.has(id));
  if (missing.length > 0) {
    return {
      ok: false,
      errors: missing.map((id) => ({
        code: "case_not_found" as const,
        caseId: id,
        message: `case '${id}' is not in the latest version`,
      })),
    };
  }
  const removed = caseIds.map((id) => live.get(id)!).sort(byId);
  return { ok: true, plan: { changeKind: "removed", added: [], edited: [], removed } };
}

/** Two candidates of one request that would write the same case. */
function duplicateTargets(kind: "add" | "import", targets: { candidate: Candidate; id: string }[]): PlanError[] {
  const firstById = new Map<string, Candidate>();
  const errors: PlanError[] = [];
  for (const { candidate, id } of targets) {
    const first = firstById.get(id);
    if (!first) {
      firstById.set(id, candidate);
      continue;
    }
    errors.push({
      code: "duplicate_case_id",
      caseId: id,
      ...positionField(kind, candidate.position),
      message: `${where(kind, candidate.position)}: writes case '${id}' again (already written by ${where(kind, first.position)})`,
    });
  }
  return errors;
}

/**
 * Live cases must have distinct inputs after the change. `written` are the cases the
 * request writes; `others` the live cases that stay as they are (keys not in `written`).
 */
function duplicateInputs(
  others: Map<string, DatasetCase>,
  written: DatasetCase[],
  kind: "add" | "import",
  targets: { candidate: Candidate; id: string }[],
): PlanError[] {
  const positionOf = new Map(targets.map((t) => [t.id, t.candidate.position]));
  const writtenIds = new Set(written.map((c) => c.id));
  const ownerOf = new Map<string, string>();
  for (const c of others.values()) if (!writtenIds.has(c.id)) ownerOf.set(c.fingerprint, c.id);
  const errors: PlanError[] = [];
  for (const c of written) {
    const owner = ownerOf.get(c.fingerprint);
    const position = positionOf.get(c.id)!;
    if (owner === undefined) {
      ownerOf.set(c.fingerprint, c.id);
      continue;
    }
    const ownerPosition = positionOf.get(owner);
    const other = ownerPosition === undefined ? `case '${owner}'` : where(kind, ownerPosition);
    errors.push({
      code: "duplicate_input",
      caseId: c.id,
      ...positionField(kind, position),
      message: `${where(kind, position)}: has the same input (after normalisation) as ${other}`,
    });
  }
  return errors;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const unique = (values: string[]) => [...new Set(values)];
