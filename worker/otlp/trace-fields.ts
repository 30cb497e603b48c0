/**
 * @module Trace-level fields of an OTLP trace that conventions spread over
 * spans: version, metadata (Langfuse / AI SDK metadata, session, user,
 * conversation) and tags.
 */
import { isObject, setKey } from "./attributes.js";
import { collectPrefixed, parseJsonish, pickString } from "./attribute-lookup.js";
import type { OtlpSpanRecord } from "./span-record.js";
import { MAX_TAGS, MAX_TAG_LENGTH, clip } from "./text-limits.js";

const VERSION_KEYS = ["gen_ai.agent.version", "langfuse.version", "ai.telemetry.metadata.version"];

/** Spans ordered so the root (then the agent spans) are asked first. */
export type SpansByPriority = OtlpSpanRecord[];

export function versionOf(spans: SpansByPriority): string | undefined {
  for (const span of spans) {
    const version = pickString(span.attributes, VERSION_KEYS);
    if (version) return clip(version);
  }
  for (const span of spans) {
    const version = pickString(span.resource, ["service.version"]);
    if (version) return clip(version);
  }
  return undefined;
}

/** Named trace-level values: the first span (by priority) that has one wins. */
const NAMED_METADATA: [string, string[]][] = [
  ["traceName", ["langfuse.trace.name"]],
  ["sessionId", ["langfuse.session.id", "session.id"]],
  ["userId", ["langfuse.user.id", "user.id", "enduser.id"]],
  ["conversationId", ["gen_ai.conversation.id"]],
  ["functionId", ["ai.telemetry.functionId"]],
  ["environment", ["langfuse.environment"]],
  ["release", ["langfuse.release"]],
];

/**
 * User metadata (`langfuse.trace.metadata.*`, `ai.telemetry.metadata.*`,
 * OpenInference `metadata`) merged over all spans, higher-priority spans
 * winning; then the named values; then the root's resource attributes.
 */
export function metadataOf(spans: SpansByPriority): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  // Lowest priority first, so that higher-priority spans overwrite.
  for (const span of [...spans].reverse()) {
    const attrs = span.attributes;
    mergeInto(metadata, parseJsonish(attrs.metadata));
    mergeInto(metadata, parseJsonish(attrs["langfuse.trace.metadata"]));
    mergeInto(metadata, collectPrefixed(attrs, "ai.telemetry.metadata."));
    mergeInto(metadata, collectPrefixed(attrs, "langfuse.trace.metadata."));
  }
  for (const [name, keys] of NAMED_METADATA) {
    if (metadata[name] !== undefined) continue;
    for (const span of spans) {
      const value = pickString(span.attributes, keys);
      if (value !== undefined) {
        metadata[name] = value;
        break;
      }
    }
  }
  const root = spans[0];
  if (root && metadata.environment === undefined) {
    const environment = pickString(root.resource, ["deployment.environment.name", "deployment.environment"]);
    if (environment) metadata.environment = environment;
  }
  if (root && metadata.resource === undefined && Object.keys(root.resource).length > 0)
    metadata.resource = root.resource;
  return metadata;
}

function mergeInto(target: Record<string, unknown>, source: unknown): void {
  if (!isObject(source)) return;
  for (const key in source) setKey(target, key, parseJsonish(source[key]));
}

/** Tags from `langfuse.trace.tags` and OpenInference `tag.tags`, deduplicated and fitted to the schema. */
export function tagsOf(spans: SpansByPriority): string[] {
  const tags = new Set<string>();
  for (const span of spans) {
    for (const key of ["langfuse.trace.tags", "tag.tags"]) {
      for (const tag of tagList(span.attributes[key])) {
        const cleaned = clip(tag.trim(), MAX_TAG_LENGTH);
        if (cleaned !== "" && tags.size < MAX_TAGS) tags.add(cleaned);
      }
    }
  }
  return [...tags];
}

/** A tag list may arrive as an array attribute, a JSON array string or a comma-separated string. */
function tagList(value: unknown): string[] {
  const parsed = parseJsonish(value);
  if (Array.isArray(parsed)) return parsed.filter((tag): tag is string => typeof tag === "string");
  if (typeof parsed === "string") return parsed.split(",");
  return [];
}
