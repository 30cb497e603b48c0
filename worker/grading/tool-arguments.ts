/**
 * @module Conditions on a tool call's arguments for the `tool_called` rule: where the
 * value is (a dotted path, or a key at any depth with `deep`) and what it must be
 * (`equals`, `contains`, `regex`, `exists`). Agents get argument *formats* wrong (an
 * order id, a date, an email), so a regex is as common a check as an equality.
 */
import { z } from "@hono/zod-openapi";
import { pathSchema } from "./definition-common";
import { regexProblem } from "./regex-safety";
import { describeValue, jsonEquals, parsePath, toText, valueAtPath } from "./text";

/** Argument values longer than this are matched on their first characters only, bounding CPU per trace. */
export const ARGUMENT_REGEX_MAX_CHARS = 10_000;

const CONDITIONS = ["equals", "contains", "regex", "exists"] as const;

export const argumentCheckSchema = z
  .strictObject({
    path: pathSchema.openapi({
      description:
        "Dotted path inside the call's arguments (`order.id`). With `deep: true`, the path is looked up starting at every object of the arguments, at any depth.",
      example: "order.id",
    }),
    deep: z.boolean().default(false).openapi({
      description:
        "Find `path` at any depth of the arguments. Every value found there must meet the condition (and at least one must exist), so one malformed copy fails the call.",
    }),
    equals: z
      .unknown()
      .optional()
      .openapi({ description: 'The JSON value the argument must equal (typed: `"42"` is not `42`).' }),
    contains: z
      .string()
      .min(1, "must not be empty")
      .max(10_000, "must be at most 10000 characters")
      .optional()
      .openapi({ description: "Text the argument (as text; non-strings as JSON) must contain." }),
    regex: z.string().min(1, "must not be empty").optional().openapi({
      description: "Regular expression the argument (as text) must match, e.g. `^A\\d{4}$`.",
      example: "^A\\d{4}$",
    }),
    flags: z.string().max(4).default("").openapi({ description: "Flags of `regex`, from `imsu`." }),
    exists: z.boolean().optional().openapi({
      description: "`true`: the argument must be present (any value, even null). `false`: it must be absent.",
    }),
  })
  .superRefine((arg, ctx) => {
    const given = CONDITIONS.filter((name) => arg[name] !== undefined || (name === "equals" && "equals" in arg));
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `give exactly one of ${CONDITIONS.map((c) => `\`${c}\``).join(", ")} (got ${given.length === 0 ? "none" : given.join(", ")})`,
      });
    }
    if (arg.regex !== undefined) {
      const problem = regexProblem(arg.regex, arg.flags);
      if (problem)
        ctx.addIssue({ code: "custom", path: [problem.startsWith("flag") ? "flags" : "regex"], message: problem });
    } else if (arg.flags !== "") {
      ctx.addIssue({ code: "custom", path: ["flags"], message: "only applies with `regex`" });
    }
  })
  .openapi("ToolArgumentCheck", {
    description: "One condition on one argument. All conditions of a rule must hold on the same call.",
  });

export type ArgumentCheck = z.output<typeof argumentCheckSchema>;

/** A compiled argument condition: whether a call's arguments meet it, and how to say what was wanted or found. */
export interface CompiledArgumentCheck {
  met(args: unknown): boolean;
  wanted: string;
  /** What this call's arguments hold where the check looks, for a failure reason. */
  found(args: unknown): string;
}

export function compileArgumentCheck(arg: ArgumentCheck): CompiledArgumentCheck {
  const segments = parsePath(arg.path);
  const where = `\`${arg.path}\`${arg.deep ? " (at any depth)" : ""}`;
  const lookup = (args: unknown): unknown[] =>
    arg.deep ? valuesAtAnyDepth(args, segments) : present(valueAtPath(args, segments));
  const found = (args: unknown) => {
    const values = lookup(args);
    if (values.length === 0) return `${where} absent`;
    return `${where} = ${values.map((v) => describeValue(v)).join(", ")}`;
  };
  if (arg.exists !== undefined) {
    const wantPresent = arg.exists;
    return {
      met: (args) => lookup(args).length > 0 === wantPresent,
      wanted: `${where} ${wantPresent ? "present" : "absent"}`,
      found,
    };
  }
  const test = valueTest(arg);
  return {
    // No value found fails every value test: a missing argument is not a correct one.
    met: (args) => {
      const values = lookup(args);
      return values.length > 0 && values.every(test.matches);
    },
    wanted: `${where} ${test.wanted}`,
    found,
  };
}

function valueTest(arg: ArgumentCheck): { matches: (value: unknown) => boolean; wanted: string } {
  if (arg.regex !== undefined) {
    // Flags never include g or y (regexProblem refuses them), so `test` keeps no state between calls.
    const regex = new RegExp(arg.regex, arg.flags);
    return {
      matches: (value) => regex.test(toText(value).slice(0, ARGUMENT_REGEX_MAX_CHARS)),
      wanted: `matching /${arg.regex}/${arg.flags}`,
    };
  }
  if (arg.contains !== undefined) {
    const needle = arg.contains;
    return { matches: (value) => toText(value).includes(needle), wanted: `containing ${JSON.stringify(needle)}` };
  }
  const expected = arg.equals;
  return { matches: (value) => jsonEquals(value, expected), wanted: `equal to ${describeValue(expected)}` };
}

const present = (value: unknown): unknown[] => (value === undefined ? [] : [value]);

/** Nodes visited at most, so a huge argument tree cannot stall a window. */
const MAX_NODES = 10_000;

/** Every value `segments` reaches when resolved from any object or array inside `root` (root included). */
export function valuesAtAnyDepth(root: unknown, segments: readonly string[]): unknown[] {
  const results: unknown[] = [];
  const stack: unknown[] = [root];
  let visited = 0;
  while (stack.length > 0 && visited < MAX_NODES) {
    const node = stack.pop();
    visited++;
    if (node === null || typeof node !== "object") continue;
    const value = valueAtPath(node, segments);
    if (value !== undefined) results.push(value);
    const children = Array.isArray(node) ? node : Object.values(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return results;
}
