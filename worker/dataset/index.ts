/**
 * @module The regression dataset's pure domain: case schemas, input fingerprints,
 * collection from graded traces, change planning, version diffs, export and import
 * formats, and the SQL that writes and reads versions in one D1 batch.
 */
export {
  GUARD_TAG,
  caseEditSchema,
  caseFailureSchema,
  caseIdSchema,
  caseImportLineSchema,
  caseInputSchema,
  caseSchema,
  caseStatsSchema,
  type CaseEdit,
  type CaseFailure,
  type CaseInput,
} from "./case-schema";
export {
  buildCase,
  contentOfInput,
  normaliseTags,
  sameCaseContent,
  type CaseContent,
  type DatasetCase,
} from "./case-model";
export { FINGERPRINT_VERSION, canonicalInputJson, inputFingerprint, normaliseText } from "./fingerprint";
export {
  applyEdit,
  casesNeeded,
  isEmptyPlan,
  planCaseChanges,
  prepareChange,
  type CaseChangeRequest,
  type CaseEditPlan,
  type CasePlan,
  type ChangeKind,
  type ImportedCase,
  type ImportMode,
  type PlanError,
  type PlanErrorCode,
  type PlanResult,
  type PreparedChange,
} from "./plan-changes";
export {
  fingerprintObservations,
  isGuardSample,
  planCollection,
  regressionDatasetName,
  type CaseStatUpdate,
  type CollectionPlan,
  type FingerprintedObservation,
  type LastFailure,
  type Observation,
} from "./collect";
export { changedFields, diffVersions, type CaseChange, type VersionDiff } from "./diff";
export {
  EXPORT_CONTENT_TYPES,
  csvCell,
  csvHeader,
  exportSerializer,
  toCsvRow,
  toJsonlLine,
  toOpenAiEvalsLine,
  type ExportFormat,
} from "./export-format";
export {
  parseImport,
  parseImportLine,
  type ImportLineError,
  type ImportLineResult,
  type ImportResult,
  type ParseImportOptions,
} from "./import";
export { D1_MAX_BOUND_PARAMETERS, chunkRows } from "./chunk";
export {
  buildApplyStatements,
  buildAsOfByIdsStatements,
  buildAsOfPageStatement,
  buildLiveCaseStatements,
  buildTouchedCaseIdsStatement,
  caseFromRow,
  isAlreadyAppliedError,
  type ApplyChangeInput,
  type CaseRow,
  type SqlStatement,
  type SqlValue,
} from "./version-statements";
export type { CollectedTrace, WindowCollection } from "./window-collection";
