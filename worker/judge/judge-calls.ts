/**
 * @module Judge calls by key, shared by everything that judges for one agent: a call that
 * is in flight, or answered and not yet used, is never made a second time. The AgentWindow
 * asks here as traces arrive (see judge-ahead.ts) and again when a window closes; the
 * window then uses the answers already on their way. Answers and the tokens they cost go to
 * the D1 cache in batches ({@link JudgeCalls.save}), so a retried window does not pay twice.
 */
import { type JudgeCall, type JudgeReply, JudgeUnavailableError } from "./judge-client";
import type { JudgeDefinition } from "./judge-definition";
import { parseJudgeAnswer, type JudgeSample } from "./parse-answer";

export interface CachedAnswer {
  text: string;
  inputTokens: number;
  outputTokens: number;
}

/** One judge call of a plan: its cache key, the request, and the rubric its answer is read with. */
export interface PlannedCall {
  key: string;
  call: JudgeCall;
  def: JudgeDefinition;
}

/** The last reply to a call (re-asked while it did not parse) and what it says. */
export interface JudgeAnswer {
  answer: CachedAnswer;
  sample: JudgeSample | { error: string };
}

/** An answer handed to its user; `first` is false for a second user of the same call (counted as cached). */
export interface UsedAnswer {
  answer: Promise<JudgeAnswer>;
  first: boolean;
}

export type SaveJudgeCalls = (entries: (CachedAnswer & { key: string })[], tokensSpent: number) => Promise<void>;

/** An answer nobody used within this time is dropped from memory (it stays in the D1 cache). */
const UNUSED_TTL_MS = 10 * 60_000;
/** After the endpoint fails a call, calls asked ahead wait this long before going out again. */
const AHEAD_PAUSE_MS = 30_000;

export type CompleteJudgeCall = (call: JudgeCall, options?: { skip?: () => string | null }) => Promise<JudgeReply>;

interface Entry {
  answer: Promise<JudgeAnswer>;
  askedAt: number;
  used: boolean;
  settled: boolean;
}

export class JudgeCalls {
  private readonly entries = new Map<string, Entry>();
  private unsaved: (CachedAnswer & { key: string })[] = [];
  private unsavedTokens = 0;
  private saving: Promise<void> = Promise.resolve();
  /** Until when calls asked ahead are not made: the endpoint failed a call just before. */
  private aheadPausedUntil = 0;

  constructor(
    private readonly complete: CompleteJudgeCall,
    private readonly saveCalls: SaveJudgeCalls,
    private readonly maxAttempts: number,
  ) {}

  /** True while the call is in flight or answered and kept here. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Whether calls asked ahead are held back now, because the endpoint just failed one. */
  aheadPaused(): boolean {
    return Date.now() < this.aheadPausedUntil;
  }

  /**
   * Asks the judge, re-asking a reply that does not parse up to `maxAttempts` times; a
   * call already asked is not asked again. A call that fails (endpoint unavailable) is
   * forgotten, so the next ask tries again. A call asked `ahead` (before its window needs
   * it) is not made while the endpoint is failing: with every arriving trace asked ahead,
   * an outage would otherwise keep every slot busy with calls bound to fail, ahead of the
   * window's own retry. It then fails at once and its window asks for itself.
   */
  ask(planned: PlannedCall, ahead = false): Promise<JudgeAnswer> {
    const existing = this.entries.get(planned.key);
    if (existing) return existing.answer;
    this.forgetStale();
    const entry: Entry = {
      answer: this.askUntilParsed(planned, ahead),
      askedAt: Date.now(),
      used: false,
      settled: false,
    };
    this.entries.set(planned.key, entry);
    entry.answer.then(
      () => {
        entry.settled = true;
        if (entry.used) this.entries.delete(planned.key);
      },
      () => {
        if (this.entries.get(planned.key) === entry) this.entries.delete(planned.key);
      },
    );
    return entry.answer;
  }

  /** The answer to a call asked earlier, or undefined when it was not asked here. */
  use(key: string): UsedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const first = !entry.used;
    entry.used = true;
    if (entry.settled) this.entries.delete(key);
    return { answer: entry.answer, first };
  }

  /** Writes the answers and tokens gathered so far to the cache; a failed write is kept for the next save. */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (this.unsaved.length === 0 && this.unsavedTokens === 0) return;
      const entries = this.unsaved;
      const tokens = this.unsavedTokens;
      this.unsaved = [];
      this.unsavedTokens = 0;
      try {
        await this.saveCalls(entries, tokens);
      } catch (err) {
        this.unsaved.push(...entries);
        this.unsavedTokens += tokens;
        throw err;
      }
    });
    const saved = this.saving;
    this.saving = saved.catch(() => {});
    return saved;
  }

  private async askUntilParsed(planned: PlannedCall, ahead: boolean): Promise<JudgeAnswer> {
    const skip = ahead
      ? () => (this.aheadPaused() ? "not asked ahead: the judge endpoint failed a call moments ago" : null)
      : undefined;
    let last: JudgeAnswer | undefined;
    for (let attempt = 0; attempt < Math.max(1, this.maxAttempts); attempt++) {
      let reply: JudgeReply;
      try {
        reply = await this.complete(planned.call, { skip });
      } catch (err) {
        // A skipped call says nothing new about the endpoint; a failed one pauses the calls asked ahead.
        if (err instanceof JudgeUnavailableError && !(skip && this.aheadPaused())) {
          this.aheadPausedUntil = Date.now() + AHEAD_PAUSE_MS;
        }
        throw err;
      }
      this.aheadPausedUntil = 0;
      // Every reply is paid for, the unparsable ones too.
      this.unsavedTokens += reply.inputTokens + reply.outputTokens;
      const parsed = parseJudgeAnswer(planned.def, reply.text);
      last = { answer: reply, sample: parsed.ok ? parsed.sample : { error: parsed.error } };
      if (parsed.ok) {
        this.unsaved.push({ key: planned.key, ...reply });
        break;
      }
    }
    return last!;
  }

  private forgetStale(): void {
    const before = Date.now() - UNUSED_TTL_MS;
    for (const [key, entry] of this.entries) {
      if (entry.askedAt >= before) break; // insertion order is ask order
      if (entry.settled) this.entries.delete(key);
    }
  }
}
