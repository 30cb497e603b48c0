import { totalUsage } from "../domain/trace";
import { failed, passed, skipped } from "./outcome";
import type { RuleDefinition } from "./rule-definitions";
import { describeValue } from "./text";
import { compileArgumentCheck } from "./tool-arguments";
import type { TraceEvaluator } from "./text-rules";
import { hasCost, hasUsage, latencyOfTrace, llmCalls, toolArguments, toolSpans } from "./trace-facts";

type RuleOf<C extends RuleDefinition["check"]> = Extract<RuleDefinition, { check: C }>;
const times = (n: number) => (n === 1 ? "once" : `${n} times`);

export function compileToolCalled(rule: RuleOf<"tool_called">): TraceEvaluator {
  const { tool, calls: mode } = rule;
  const checks = (rule.args ?? []).map(compileArgumentCheck);
  const wanted = checks.map((check) => check.wanted).join(" and ");
  return (view) => {
    const calls = toolSpans(view.trace, tool);
    if (calls.length === 0) return failed(`tool \`${tool}\` was never called`);
    if (checks.length === 0) return passed(`tool \`${tool}\` was called ${times(calls.length)}`);
    const argsOfCalls = calls.map(toolArguments);
    const meets = (args: unknown) => checks.every((check) => check.met(args));
    if (mode === "every") {
      const bad = argsOfCalls.findIndex((args) => !meets(args));
      if (bad === -1) return passed(`all ${calls.length} calls of tool \`${tool}\` had ${wanted}`);
      const unmet = checks.find((check) => !check.met(argsOfCalls[bad]));
      const got = unmet ? ` (it had ${unmet.found(argsOfCalls[bad])})` : "";
      return failed(`call ${bad + 1} of ${calls.length} of tool \`${tool}\` did not have ${wanted}${got}`);
    }
    if (argsOfCalls.some(meets)) return passed(`tool \`${tool}\` was called with ${wanted}`);
    // Name the first unmet condition of the first call and what it found: usually
    // all a reader needs to see the mistake.
    const first = argsOfCalls[0];
    const unmet = checks.find((check) => !check.met(first));
    const got = unmet ? ` (first call had ${unmet.found(first)})` : "";
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
    const count = llmCalls(view.trace).length;
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
