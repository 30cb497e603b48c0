/**
 * @module One trace as graders read it: values at dotted paths and their text,
 * resolved once per trace and shared by all graders (five graders reading
 * `output` stringify a structured output once, not five times).
 */
import type { Trace } from "../domain/trace";
import { parsePath, toText, valueAtPath } from "./text";

export class TraceView {
  private readonly values = new Map<string, unknown>();
  private readonly texts = new Map<string, string>();
  private readonly lowerTexts = new Map<string, string>();

  constructor(
    readonly trace: Trace,
    /** An explicit reference answer, or `undefined` to read it from the trace. */
    readonly reference?: unknown,
  ) {}

  value(path: string): unknown {
    if (this.values.has(path)) return this.values.get(path);
    const value = valueAtPath(this.trace, parsePath(path));
    this.values.set(path, value);
    return value;
  }

  text(path: string): string {
    let text = this.texts.get(path);
    if (text === undefined) {
      text = toText(this.value(path));
      this.texts.set(path, text);
    }
    return text;
  }

  lowerText(path: string): string {
    let text = this.lowerTexts.get(path);
    if (text === undefined) {
      text = this.text(path).toLowerCase();
      this.lowerTexts.set(path, text);
    }
    return text;
  }
}
