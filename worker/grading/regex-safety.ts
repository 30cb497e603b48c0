/**
 * @module Definition-time checks for user-supplied regular expressions. Workers
 * run V8's backtracking engine with a CPU limit per request, so a pattern such
 * as `(a+)+$` could burn a whole window's budget on one trace; such patterns
 * are refused when the grader is created, with a message that says why.
 */

/** Longer patterns are almost always generated, and harder to reason about. */
export const MAX_REGEX_PATTERN_LENGTH = 1000;

/**
 * `g` and `y` make `RegExp.test` stateful through `lastIndex`, which would
 * make one compiled grader answer differently for the same trace; `d` only
 * costs time. So only these are accepted.
 */
export const ALLOWED_REGEX_FLAGS = "imsu";

/** A repetition counts as "large" from this many iterations on. */
const LARGE_REPEAT = 10;

interface Quantifier {
  min: number;
  max: number;
  length: number;
}

interface GroupFrame {
  /** The group contains a variable-length repetition somewhere inside it. */
  repeatsInside: boolean;
  alternatives: string[];
  alternativeStart: number;
}

/**
 * Why `pattern` with `flags` is refused, or `null` when it is acceptable.
 * Checks syntax, flags, length, and two classic shapes of catastrophic
 * backtracking: nested repetition (`(a+)+`, `(\w+\s?)*`) and repeated
 * alternation with identical branches (`(a|a)*`). Like `safe-regex`, this
 * errs on the side of refusing; the message says how to rewrite.
 */
export function regexProblem(pattern: string, flags = ""): string | null {
  if (pattern.length > MAX_REGEX_PATTERN_LENGTH) {
    return `pattern is ${pattern.length} characters long; the limit is ${MAX_REGEX_PATTERN_LENGTH}`;
  }
  for (const flag of flags) {
    if (!ALLOWED_REGEX_FLAGS.includes(flag)) {
      return `flag \`${flag}\` is not supported; use any of \`${ALLOWED_REGEX_FLAGS}\``;
    }
  }
  if (new Set(flags).size !== flags.length) return "flags must not repeat";
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    return `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`;
  }
  return backtrackingProblem(pattern);
}

function backtrackingProblem(pattern: string): string | null {
  const stack: GroupFrame[] = [{ repeatsInside: false, alternatives: [], alternativeStart: 0 }];
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i]!;
    let atomEnd: number;
    let atomRepeatsInside = false;
    let atomAlternatives: string[] = [];
    if (char === "\\") {
      atomEnd = skipEscape(pattern, i);
    } else if (char === "[") {
      atomEnd = skipClass(pattern, i);
    } else if (char === "(") {
      stack.push({ repeatsInside: false, alternatives: [], alternativeStart: groupBodyStart(pattern, i) });
      i = groupBodyStart(pattern, i);
      continue;
    } else if (char === ")") {
      const frame = stack.pop()!;
      frame.alternatives.push(pattern.slice(frame.alternativeStart, i));
      atomEnd = i + 1;
      atomRepeatsInside = frame.repeatsInside;
      atomAlternatives = frame.alternatives;
    } else if (char === "|") {
      const frame = stack[stack.length - 1]!;
      frame.alternatives.push(pattern.slice(frame.alternativeStart, i));
      frame.alternativeStart = i + 1;
      i += 1;
      continue;
    } else {
      atomEnd = i + 1;
    }
    const quantifier = readQuantifier(pattern, atomEnd);
    const frame = stack[stack.length - 1]!;
    if (atomRepeatsInside) frame.repeatsInside = true;
    if (quantifier) {
      const large = quantifier.max >= LARGE_REPEAT;
      if (large && atomRepeatsInside) {
        return (
          `pattern nests a repetition inside a repetition (\`${pattern.slice(i - groupSpan(pattern, i), atomEnd + quantifier.length)}\`), ` +
          "which can backtrack exponentially; rewrite it without the outer quantifier, e.g. `(a+)+` as `a+`"
        );
      }
      if (large && hasDuplicate(atomAlternatives)) {
        return "pattern repeats a group whose alternatives are identical (like `(a|a)*`), which can backtrack exponentially; remove the duplicate branch";
      }
      if (quantifier.max - quantifier.min >= LARGE_REPEAT) frame.repeatsInside = true;
      atomEnd += quantifier.length;
    }
    i = atomEnd;
  }
  return null;
}

/** Length of the group source ending at `closeIndex` (for quoting in the message). */
function groupSpan(pattern: string, closeIndex: number): number {
  if (pattern[closeIndex] !== ")") return 0;
  let depth = 0;
  for (let j = closeIndex; j >= 0; j--) {
    if (pattern[j] === ")" && pattern[j - 1] !== "\\") depth++;
    if (pattern[j] === "(" && pattern[j - 1] !== "\\") depth--;
    if (depth === 0) return closeIndex - j;
  }
  return 0;
}

function hasDuplicate(alternatives: string[]): boolean {
  return alternatives.length > 1 && new Set(alternatives).size < alternatives.length;
}

/** Index after `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` or `(?<name>`. */
function groupBodyStart(pattern: string, open: number): number {
  if (pattern[open + 1] !== "?") return open + 1;
  const next = pattern[open + 2];
  if (next === ":" || next === "=" || next === "!") return open + 3;
  if (next === "<") {
    const after = pattern[open + 3];
    if (after === "=" || after === "!") return open + 4;
    const close = pattern.indexOf(">", open + 3);
    return close === -1 ? open + 3 : close + 1;
  }
  return open + 2;
}

/** Index after an escape; `\p{…}`, `\u{…}` and `\k<…>` span their braces. */
function skipEscape(pattern: string, start: number): number {
  const kind = pattern[start + 1];
  const opener = pattern[start + 2];
  if ((kind === "p" || kind === "P" || kind === "u") && opener === "{") {
    const close = pattern.indexOf("}", start + 3);
    return close === -1 ? start + 2 : close + 1;
  }
  if (kind === "k" && opener === "<") {
    const close = pattern.indexOf(">", start + 3);
    return close === -1 ? start + 2 : close + 1;
  }
  return start + 2;
}

/** Index after a character class `[...]`, honouring escapes inside it. */
function skipClass(pattern: string, start: number): number {
  let j = start + 1;
  if (pattern[j] === "^") j++;
  if (pattern[j] === "]") j++;
  while (j < pattern.length && pattern[j] !== "]") {
    j = pattern[j] === "\\" ? j + 2 : j + 1;
  }
  return j + 1;
}

function readQuantifier(pattern: string, at: number): Quantifier | null {
  const char = pattern[at];
  let quantifier: Quantifier | null = null;
  if (char === "*") quantifier = { min: 0, max: Infinity, length: 1 };
  else if (char === "+") quantifier = { min: 1, max: Infinity, length: 1 };
  else if (char === "?") quantifier = { min: 0, max: 1, length: 1 };
  else if (char === "{") {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at, at + 24));
    if (match) {
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === "" ? Infinity : Number(match[3]);
      quantifier = { min, max, length: match[0].length };
    }
  }
  if (quantifier && pattern[at + quantifier.length] === "?") quantifier.length += 1;
  return quantifier;
}
