/**
 * @module The demo's graders: one rule or metric per planted failure mode of the
 * support agent, written as a user would send them to `POST /api/graders`.
 */
export const AGENT = "support-bot";

export const GRADERS = [
  {
    name: "reply is JSON with answer and action",
    definition: {
      kind: "rule",
      check: "json_schema",
      schema: {
        type: "object",
        required: ["answer", "action"],
        properties: { answer: { type: "string" }, action: { enum: ["none", "issue_refund", "cancel_order"] } },
      },
    },
  },
  {
    name: "order id passed as A + 4 digits",
    // The first span is always the lookup_order call.
    definition: { kind: "rule", check: "regex", target: "spans.0.input.orderId", pattern: "^A\\d{4}$" },
  },
  {
    name: "cancellations use cancel_order, never issue_refund",
    definition: {
      kind: "rule",
      check: "tool_not_called",
      tool: "issue_refund",
      filter: { metadataEquals: { path: "intent", value: "cancel" } },
    },
  },
  {
    name: "no refund outside the 30-day window",
    definition: {
      kind: "rule",
      check: "tool_not_called",
      tool: "issue_refund",
      filter: { metadataEquals: { path: "refundEligible", value: false } },
    },
  },
  {
    name: "answers within 1.5 s",
    definition: { kind: "rule", check: "latency_budget", ms: 1500 },
  },
  {
    name: "reply close to the reference",
    definition: { kind: "metric", metric: "similarity", algorithm: "token_f1", threshold: 0.8 },
  },
];
