/**
 * @module Fitting OTLP strings into the limits of Flywheel's trace schema
 * (names 1-200 characters without control characters, labels at most 200),
 * so an OTLP span is never refused for a cosmetic reason.
 */

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;
export const MAX_NAME_LENGTH = 200;
export const MAX_TAG_LENGTH = 100;
export const MAX_TAGS = 50;

export function clip(value: string, max = MAX_NAME_LENGTH): string {
  return value.length > max ? value.slice(0, max) : value;
}

/** A schema-valid name: control characters become spaces; empty falls back. */
export function toName(value: string, fallback: string): string {
  const cleaned = clip(value.replace(CONTROL_CHARACTERS, " ").trim());
  return cleaned === "" ? fallback : cleaned;
}
