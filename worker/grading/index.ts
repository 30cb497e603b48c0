/**
 * @module The grading domain: grader definitions (zod schemas for the API),
 * grading traces and windows, window statistics, window policy and sampling.
 * Pure: no bindings, no I/O.
 */
export {
  graderDefinitionSchema,
  scoreResultSchema,
  VERDICTS,
  type GraderDefinition,
  type GraderDefinitionInput,
  type GraderVersion,
  type GradeOptions,
  type ScoreResult,
  type Verdict,
} from "./definitions";
export { graderFilterSchema, pathSchema, targetSchema, type GraderFilter } from "./definition-common";
export {
  ruleGraderSchema,
  DEFAULT_REGEX_MAX_INPUT_CHARS,
  type RuleDefinition,
  type RuleCheck,
} from "./rule-definitions";
export { metricGraderSchema, type MetricDefinition, type MetricName } from "./metric-definitions";
export {
  grade,
  gradeTrace,
  gradeWindow,
  compileGrader,
  isWindowLevel,
  type CompiledGrader,
} from "./grade";
export { finalVerdict, type FinalVerdict } from "./verdict";
export {
  wilsonInterval,
  percentile,
  summariseWindow,
  summariseLatencies,
  histogramBin,
  HISTOGRAM_BINS,
  type Interval,
  type WindowRollup,
  type GraderVersionSummary,
  type LatencySummary,
  type SummariseOptions,
} from "./statistics";
export {
  shouldCloseWindow,
  nextAlarmAt,
  retryDelayMs,
  windowPolicySchema,
  type WindowPolicy,
  type WindowState,
} from "./window-policy";
export { isSampledIn, hash32 } from "./sampling";
export { regexProblem, ALLOWED_REGEX_FLAGS, MAX_REGEX_PATTERN_LENGTH } from "./regex-safety";
export { jsonSchemaProblems, compileJsonSchema, type JsonSchemaValidator } from "./json-schema";
export {
  similarity,
  tokenF1,
  levenshteinDistance,
  levenshteinSimilarity,
  SIMILARITY_ALGORITHMS,
  type SimilarityAlgorithm,
} from "./similarity";
export { normalizeText, valueAtPath, toText, jsonEquals, canonicalJson } from "./text";
export { latencyOfTrace } from "./trace-facts";
