import { spansOfType, totalUsage } from "../domain/trace";
import { failed, passed, skipped } from "./outcome";
import type { RuleDefinition } from "./rule-definitions";
import { describeValue, jsonEquals, parsePath, toText, valueAtPath } from "./text";
import type { TraceEvaluator } from "./text-rules";
import { hasCost, hasUsage, latencyOfTrace, toolArguments, toolSpans } from "./trace-facts";

type RuleOf<C extends RuleDefinition["check"]> = Extract<RuleDefinition, { check: C }>;
type ArgumentCheck = NonNullable<RuleOf<"tool_called">["args"]>[number];

const times = (n: number) => (n === 1 ? "once" : `${n} times`);

function describeArgumentCheck(arg: ArgumentCheck): string {
  return "contains" in arg && arg.contains !== undefined
    ? `\`${arg.path}\` containing ${JSON.stringify(arg.contains)}`
    : `\`${arg.path}\` equal to ${describeValue(arg.equals)}`;
}

function argumentMet(arg: ArgumentCheck, segments: string[], args: unknown): boolean {
  const value = valueAtPath(args, segments);
  if ("contains" in arg && arg.contains !== undefined)
    return value !== undefined && toText(value).includes(arg.contains);
  return jsonEquals(value, arg.equals);
}

export function compileToolCalled(rule: RuleOf<"tool_called">): TraceEvaluator {
  const { tool } = rule;
  const checks = (rule.args ?? []).map((arg) => ({ arg, segments: parsePath(arg.path) }));
  const wanted = checks.map(({ arg }) => describeArgumentCheck(arg)).join(" and ");
  return (view) => {
    const calls = toolSpans(view.trace, tool);
    if (calls.length === 0) return failed(`tool \`${tool}\` was never called`);
    if (checks.length === 0) return passed(`tool \`${tool}\` was called ${times(calls.length)}`);
    const argsOfCalls = calls.map(toolArguments);
    if (argsOfCalls.some((args) => checks.every(({ arg, segments }) => argumentMet(arg, segments, args)))) {
      return passed(`tool \`${tool}\` was called with ${wanted}`);
    }
    // Name the first unmet argument of the first call and what it was: usually
    // all a reader needs to see the mistake.
    const first = argsOfCalls[0];
    const unmet = checks.find(({ arg, segments }) => !argumentMet(arg, segments, first));
    const got = unmet
      ? ` (first call had \`${unmet.arg.path}\` = ${describeValue(valueAtPath(first, unmet.segments))})`
      : "";
    return failed(`tool \`${tool}\` was called ${times(calls.length)} but never with ${wanted}${got}`);
  };
}

export function compileToolNotCalled(rule: RuleOf<"tool_not_called">): TraceEvaluator {
  const { tool } = rule;
  return (view) => {
    const n = toolSpans(view.trace, tool).length;
    return n === 0
      ? passed(`tool \`${tool}\` was not called`)
      : failed(`tool \`${tool}\` was called ${times(n)}; it must not be called`);
  };
}

export function compileMaxToolCalls(rule: RuleOf<"max_tool_calls">): TraceEvaluator {
  const { n, tool } = rule;
  const what = tool === undefined ? "tool calls" : `calls of tool \`${tool}\``;
  return (view) => {
    const count = toolSpans(view.trace, tool).length;
    return count <= n
      ? passed(`${count} ${what}, within the limit of ${n}`)
      : failed(`${count} ${what} exceed the limit of ${n}`);
  };
}

export function compileMaxLlmCalls(rule: RuleOf<"max_llm_calls">): TraceEvaluator {
  const { n } = rule;
  return (view) => {
    const count = spansOfType(view.trace, "llm").length;
    return count <= n
      ? passed(`${count} LLM calls, within the limit of ${n}`)
      : failed(`${count} LLM calls exceed the limit of ${n}`);
  };
}

export function compileNoErrorSpans(rule: RuleOf<"no_error_spans">): TraceEvaluator {
  const { includeTraceStatus } = rule;
  return (view) => {
    const errors = view.trace.spans.filter((span) => span.status === "error");
    if (errors.length > 0) {
      const first = errors[0]!;
      const detail = first.error ? `: ${describeValue(first.error, 120)}` : "";
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
      return failed(`span \`${first.name}\` (${first.type}) ended in error${detail}${more}`);
    }
    if (includeTraceStatus && view.trace.status === "error") {
      const detail = view.trace.error ? `: ${describeValue(view.trace.error, 120)}` : "";
      return failed(`the trace ended in error${detail}`);
    }
    return passed(`no span ended in error`);
  };
}

export function compileLatencyBudget(rule: RuleOf<"latency_budget">): TraceEvaluator {
  const { ms } = rule;
  return (view) => {
    const latency = latencyOfTrace(view.trace);
    if (latency === null) return skipped("the trace has no start and end time, so its latency is unknown");
    return latency <= ms
      ? passed(`latency ${latency} ms is within budget ${ms} ms`)
      : failed(`latency ${latency} ms exceeds budget ${ms} ms`);
  };
}

export function compileTokenBudget(rule: RuleOf<"token_budget">): TraceEvaluator {
  const budgets = [
    { label: "total", key: "totalTokens", limit: rule.total },
    { label: "input", key: "inputTokens", limit: rule.input },
    { label: "output", key: "outputTokens", limit: rule.output },
  ] as const;
  return (view) => {
    if (!hasUsage(view.trace)) return skipped("no span of the trace reports token usage");
    const usage = totalUsage(view.trace);
    const over: string[] = [];
    const within: string[] = [];
    for (const { label, key, limit } of budgets) {
      if (limit === undefined) continue;
      (usage[key] > limit ? over : within).push(
        `${usage[key]} ${label} tokens ${usage[key] > limit ? "exceed" : "within"} budget ${limit}`,
      );
    }
    return over.length > 0 ? failed(over.join("; ")) : passed(within.join("; "));
  };
}

export function compileCostBudget(rule: RuleOf<"cost_budget">): TraceEvaluator {
  const { usd } = rule;
  const money = (value: number) => `$${Number(value.toPrecision(6))}`;
  return (view) => {
    if (!hasCost(view.trace)) return skipped("no span of the trace reports a cost");
    const cost = totalUsage(view.trace).cost;
    return cost <= usd
      ? passed(`cost ${money(cost)} is within budget ${money(usd)}`)
      : failed(`cost ${money(cost)} exceeds budget ${money(usd)}`);
  };
}
