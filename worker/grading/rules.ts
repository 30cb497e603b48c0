/**
 * @module Compiles a rule definition into its evaluator.
 */
import type { RuleDefinition } from "./rule-definitions";
import {
  compileContains,
  compileJsonSchemaRule,
  compileJsonValid,
  compileRegex,
  type TraceEvaluator,
} from "./text-rules";
import {
  compileCostBudget,
  compileLatencyBudget,
  compileMaxLlmCalls,
  compileMaxToolCalls,
  compileNoErrorSpans,
  compileTokenBudget,
  compileToolCalled,
  compileToolNotCalled,
} from "./trace-rules";

export function compileRule(rule: RuleDefinition): TraceEvaluator {
  switch (rule.check) {
    case "contains":
    case "not_contains":
      return compileContains(rule);
    case "regex":
      return compileRegex(rule);
    case "json_valid":
      return compileJsonValid(rule);
    case "json_schema":
      return compileJsonSchemaRule(rule);
    case "tool_called":
      return compileToolCalled(rule);
    case "tool_not_called":
      return compileToolNotCalled(rule);
    case "max_tool_calls":
      return compileMaxToolCalls(rule);
    case "max_llm_calls":
      return compileMaxLlmCalls(rule);
    case "no_error_spans":
      return compileNoErrorSpans(rule);
    case "latency_budget":
      return compileLatencyBudget(rule);
    case "token_budget":
      return compileTokenBudget(rule);
    case "cost_budget":
      return compileCostBudget(rule);
  }
}
