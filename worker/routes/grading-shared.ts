/**
 * @module Schemas the grading routes share: agent names (as traces spell them) and the
 * time range of window and score queries.
 */
import { z } from "@hono/zod-openapi";
import { nameSchema } from "../domain/names";

export const agentNameSchema = nameSchema().openapi({ example: "support-bot" });

export const agentParam = z.object({ agent: agentNameSchema.openapi({ param: { name: "agent", in: "path" } }) });

/** Stored times are `toISOString()` strings, so bounds are normalised the same way to compare correctly. */
const isoInstant = z.iso
  .datetime({ offset: true, message: "must be an ISO 8601 date-time with a timezone, e.g. 2026-11-26T10:00:00Z" })
  .transform((value) => new Date(value).toISOString())
  .openapi({ type: "string", format: "date-time" });

const rangeFields = {
  from: isoInstant.optional().openapi({ description: "At or after (ISO 8601)." }),
  to: isoInstant.optional().openapi({ description: "At or before (ISO 8601)." }),
};
const orderedRange = (q: { from?: string; to?: string }) => !q.from || !q.to || q.from <= q.to;
const rangeMessage = { message: "`from` must not be after `to`", path: ["from"] };

export const timeRangeQuery = z.object(rangeFields).refine(orderedRange, rangeMessage);

export const pagedTimeRangeQuery = z
  .object({ ...rangeFields, limit: z.coerce.number().int().min(1).max(500).default(100) })
  .refine(orderedRange, rangeMessage);
