/**
 * @module The explicit text normalisation of the `normalized_match` metric. Each step
 * is an option with a stated default, because what may be ignored depends on the
 * answer: a sentence survives a trailing full stop, a router label `billing.` is wrong.
 */

export interface Normalization {
  trim: boolean;
  caseSensitive: boolean;
  collapseWhitespace: boolean;
  stripPunctuation: boolean;
}

export function normalizationOf(options: Normalization): Normalization {
  const { trim, caseSensitive, collapseWhitespace, stripPunctuation } = options;
  return { trim, caseSensitive, collapseWhitespace, stripPunctuation };
}

/** Text after the chosen steps; Unicode NFKC always, so full-width and composed forms compare equal. */
export function normalizeWith(text: string, options: Normalization): string {
  let result = text.normalize("NFKC");
  if (!options.caseSensitive) result = result.toLowerCase();
  // Punctuation becomes a space, not nothing, so "end.Next" does not fuse into one word.
  if (options.stripPunctuation) result = result.replace(/[\p{P}\p{S}]+/gu, " ");
  if (options.collapseWhitespace) result = result.replace(/\s+/gu, " ");
  if (options.trim) result = result.trim();
  return result;
}

/** A short statement of what was ignored, for reasons. */
export function describeNormalization(options: Normalization): string {
  const ignored: string[] = [];
  if (options.trim) ignored.push("surrounding whitespace");
  if (!options.caseSensitive) ignored.push("case");
  if (options.collapseWhitespace) ignored.push("whitespace runs");
  if (options.stripPunctuation) ignored.push("punctuation");
  return ignored.length === 0 ? "compared verbatim" : `ignoring ${ignored.join(", ")}`;
}
