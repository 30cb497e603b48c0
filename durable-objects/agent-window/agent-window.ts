/**
 * @module AgentWindow: one per (project, agent). Receives finished traces from the
 * TraceShards, samples them, keeps the open grade window, and grades a window when it
 * holds N traces or its oldest trace is T old (one alarm, always re-armed for the next
 * due time), so quiet agents are graded too.
 *
 * A window moves open -> closing -> graded -> collected in this object's SQLite storage,
 * and each step is marked only after its effects are durable in D1. Alarms are
 * at-least-once and grading is idempotent (deterministic score ids, rollups recomputed
 * from D1), so a crash or a failing D1/R2 means a retry with backoff, never a loss or a
 * double count. Hand-off is idempotent on (trace id, SHA-256) for SEEN_RETENTION_MS, far longer
 * than a TraceShard takes to retry one; the same trace id with a
 * new SHA-256 (re-finished by late spans) is graded again in a later window, whose scores
 * supersede the earlier ones.
 */
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../../worker/config";
import { isSampledIn, nextAlarmAt, retryDelayMs, shouldCloseWindow } from "../../worker/grading";
import { collectWindowIntoDataset } from "./collect-window";
import { judgeAhead } from "./judge-ahead";
import type { JudgeCalls } from "../../worker/judge/judge-calls";
import { judgeCallsFor } from "../../worker/judge/judge-window";
import { gradeClosedWindow, type ClosedWindow } from "./grade-window";
import { FORGET_SEEN_BATCH, FORGET_SEEN_SQL, SEEN_RETENTION_MS, type WindowRow, createWindowTables } from "./schema";
import { applyReviewToWindow, type ReviewApplied } from "./review-window";
import {
  policyOf,
  resolveWindowSettings,
  type WindowSettings,
  type WindowSettingsInput,
} from "../../worker/grading/window-settings";
import { createDb } from "../../worker/storage/db";
import { enabledGraderRefs, type GraderRef } from "../../worker/storage/grader-store";
import { pageTracesToRegrade, type StoredTraceRef } from "../../worker/storage/ungraded-traces";
import type { FinishedTraceRef, WindowScope, WindowStatus } from "./contract";
import {
  hasRegrade,
  insertRegradeWindows,
  readRegrade,
  regradeIdOf,
  type RegradeRequest,
  type RegradeStatus,
} from "./regrade";

export class AgentWindow extends DurableObject<Env> {
  /** The grading run in progress, so an alarm and a force-close never grade side by side. */
  private running: Promise<void> | null = null;
  /** This agent's judge calls, asked as traces arrive and used when their window is graded. */
  private calls: JudgeCalls | null = null;
  /** Traces handed to judgeAhead in arrival order, one batch after another. */
  private judgingAhead: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      createWindowTables(ctx.storage.sql);
    });
  }

  /** Adds finished traces to the open window; returns how many were added (new or re-finished). */
  async addFinished(scope: WindowScope, refs: FinishedTraceRef[]): Promise<number> {
    this.remember(scope);
    const sql = this.ctx.storage.sql;
    const settings = this.settings();
    const now = Date.now();
    // A handful of statements for the whole hand-off, not three per trace.
    const seen = new Map(
      sql
        .exec<{ trace_id: string; sha256: string }>(
          "SELECT trace_id, sha256 FROM seen_traces WHERE trace_id IN (SELECT value FROM json_each(?))",
          JSON.stringify(refs.map((ref) => ref.traceId)),
        )
        .toArray()
        .map((row) => [row.trace_id, row.sha256]),
    );
    const fresh = refs.filter((ref) => seen.get(ref.traceId) !== ref.sha256);
    // Sampling hashes the trace id only, so a re-finished trace keeps its decision.
    const sampledOut = fresh.filter((ref) => !isSampledIn(ref.traceId, settings.sampleRate));
    const members = fresh.filter((ref) => isSampledIn(ref.traceId, settings.sampleRate));
    if (sampledOut.length > 0) {
      sql.exec(
        "INSERT OR REPLACE INTO seen_traces (trace_id, sha256, seq, seen_at) SELECT value ->> 0, value ->> 1, NULL, ? FROM json_each(?)",
        now,
        JSON.stringify(sampledOut.map((ref) => [ref.traceId, ref.sha256])),
      );
    }
    // A window holds at most maxTraces: a batch that overflows it fills the open window,
    // closes it, and carries on in the next one.
    for (let rest = members; rest.length > 0; ) {
      const open = this.openWindow(now);
      const room = settings.maxTraces - this.openState(open.seq).count;
      if (room <= 0) {
        this.closeOpen(now);
        continue;
      }
      const batch = rest.slice(0, room);
      rest = rest.slice(room);
      // Still in the open window: grade only the newest content. Otherwise it joins this
      // window, and the earlier window's scores are superseded when this one is graded.
      sql.exec(
        `INSERT INTO window_members (seq, trace_id, r2_key, sha256, version, added_at)
         SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3, ? FROM json_each(?) WHERE true
         ON CONFLICT (seq, trace_id) DO UPDATE SET r2_key = excluded.r2_key, sha256 = excluded.sha256, version = excluded.version`,
        open.seq,
        now,
        JSON.stringify(batch.map((ref) => [ref.traceId, ref.r2Key, ref.sha256, ref.version])),
      );
      sql.exec(
        "INSERT OR REPLACE INTO seen_traces (trace_id, sha256, seq, seen_at) SELECT value ->> 0, value ->> 1, ?, ? FROM json_each(?)",
        open.seq,
        now,
        JSON.stringify(batch.map((ref) => [ref.traceId, ref.sha256])),
      );
      if (this.openState(open.seq).count >= settings.maxTraces) this.closeOpen(now);
    }
    sql.exec(FORGET_SEEN_SQL, now - SEEN_RETENTION_MS, FORGET_SEEN_BATCH);
    const added = members.length;
    await this.armAlarm();
    if (added > 0) this.judgeAhead(scope, members);
    return added;
  }

  /** Stores the agent's window settings (null: back to the server defaults). */
  async configure(scope: WindowScope, input: WindowSettingsInput | null): Promise<WindowStatus> {
    this.remember(scope);
    if (input === null) this.ctx.storage.sql.exec("DELETE FROM meta WHERE key = 'settings'");
    else this.setMeta("settings", JSON.stringify(input));
    await this.armAlarm();
    return this.status();
  }

  async status(): Promise<WindowStatus> {
    const settings = this.settings();
    const open = this.openRow();
    const state = open ? this.openState(open.seq) : null;
    const due = state ? nextAlarmAt(state, policyOf(settings), Date.now()) : null;
    return {
      settings,
      custom: this.customSettings(),
      open:
        open && state
          ? {
              windowId: open.id,
              traceCount: state.count,
              oldestAt: state.oldestAt === null ? null : new Date(state.oldestAt).toISOString(),
              dueAt: due === null ? null : new Date(due).toISOString(),
            }
          : null,
      pending: this.pendingRows().map((w) => ({
        windowId: w.id,
        state: w.state,
        attempts: w.attempts,
        lastError: w.last_error,
        nextAttemptAt: w.next_attempt_at === null ? null : new Date(w.next_attempt_at).toISOString(),
      })),
    };
  }

  /**
   * Grades the agent's stored traces (in the request's time range) with the given grader
   * versions, as closed windows of at most `maxTraces` that the alarm grades. Traces
   * waiting in a window of this object are left to that window. Asking again for the
   * same range and grader versions returns the first regrade.
   */
  async regrade(scope: WindowScope, request: RegradeRequest): Promise<RegradeStatus> {
    this.remember(scope);
    const sql = this.ctx.storage.sql;
    const id = await regradeIdOf(request);
    if (hasRegrade(sql, id)) return readRegrade(sql, id)!;
    const db = createDb(this.env.DB);
    const found: StoredTraceRef[] = [];
    for (let afterId = ""; ; ) {
      const page = await pageTracesToRegrade(db, scope.projectId, scope.agent, request, afterId, 1_000);
      found.push(...page);
      if (page.length < 1_000) break;
      afterId = page[page.length - 1]!.traceId;
    }
    // From here on nothing awaits, so no hand-off or second call interleaves.
    if (hasRegrade(sql, id)) return readRegrade(sql, id)!;
    const { maxTraces, minGraded } = this.settings();
    const now = Date.now();
    insertRegradeWindows(sql, id, request, found, {
      maxTraces,
      minGraded,
      now,
      newWindow: () => this.insertWindow(now).seq,
    });
    await this.armAlarm();
    return readRegrade(sql, id)!;
  }

  /** A regrade's progress, or null when this agent has none of that id. */
  async regradeStatus(regradeId: string): Promise<RegradeStatus | null> {
    return readRegrade(this.ctx.storage.sql, regradeId);
  }

  /**
   * Closes the open window now, however small, and grades every closed window still
   * pending. Returns the id of the window it closed (null when none was open) and the
   * status afterwards: a window that failed to grade stays pending and is retried.
   */
  async closeNow(scope: WindowScope): Promise<{ closedWindowId: string | null; status: WindowStatus }> {
    this.remember(scope);
    const closedWindowId = this.closeOpen(Date.now());
    await this.runPending();
    return { closedWindowId, status: await this.status() };
  }

  /**
   * A human verdict was recorded for one of this agent's traces: its window's rollup and
   * the dataset follow. Run here, after any grading in progress, so the two never interleave.
   */
  async applyReview(scope: WindowScope, traceId: string, changeKey: string): Promise<ReviewApplied> {
    this.remember(scope);
    await this.running?.catch(() => {});
    return applyReviewToWindow(this.env, { ...scope, traceId, changeKey });
  }

  /** Alarms are at-least-once: this closes the open window if due and retries pending work. */
  override async alarm(): Promise<void> {
    const open = this.openRow();
    if (open) {
      const state = this.openState(open.seq);
      if (shouldCloseWindow(state, policyOf(this.settings()), Date.now())) this.closeOpen(Date.now());
    }
    await this.runPending();
  }

  private runPending(): Promise<void> {
    if (!this.running) {
      this.running = this.processPending().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Works through closed windows oldest first; a failure backs off that window and moves on. */
  private async processPending(): Promise<void> {
    try {
      let cursor = 0;
      for (;;) {
        const w = this.nextPending(cursor);
        if (!w) break;
        cursor = w.seq;
        try {
          await this.process(w);
        } catch (err) {
          const attempts = w.attempts + 1;
          const message = err instanceof Error ? err.message : String(err);
          // One line: the failure is retried and its message kept in `last_error`, where the API shows it.
          console.error(
            `AgentWindow: window ${w.id} ${w.state === "closing" ? "grading" : "dataset hand-off"} failed (attempt ${attempts}); retrying: ${message}`,
          );
          this.ctx.storage.sql.exec(
            "UPDATE windows SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE seq = ?",
            attempts,
            Date.now() + retryDelayMs(attempts - 1),
            message.slice(0, 500),
            w.seq,
          );
        }
      }
    } finally {
      await this.armAlarm();
    }
  }

  /**
   * Grades one window and hands it to the dataset. Its judges' answers are mostly on
   * their way already: they were asked as its traces arrived (see judgeAhead).
   */
  private async process(w: WindowRow): Promise<void> {
    const sql = this.ctx.storage.sql;
    const closed = await this.closedWindow(w);
    if (!closed) {
      // Nothing to grade: reading every trace back from R2 would cost as much as
      // ingesting it and record nothing. Traces stay `finished`; graders created
      // later apply to the windows that close after them.
      sql.exec(
        "UPDATE windows SET state = 'collected', next_attempt_at = NULL, last_error = NULL WHERE seq = ?",
        w.seq,
      );
      sql.exec("DELETE FROM window_members WHERE seq = ?", w.seq);
      return;
    }
    // Re-grading a graded window only to rebuild its collection writes nothing new.
    const collection = await gradeClosedWindow(this.env, closed, this.judgeCalls());
    if (w.state === "closing") sql.exec("UPDATE windows SET state = 'graded' WHERE seq = ?", w.seq);
    await collectWindowIntoDataset(this.env, collection);
    sql.exec("UPDATE windows SET state = 'collected', next_attempt_at = NULL, last_error = NULL WHERE seq = ?", w.seq);
    sql.exec("DELETE FROM window_members WHERE seq = ?", w.seq);
  }

  /**
   * Puts newly arrived traces to the agent's judges now, not when their window closes
   * (see judge-ahead.ts). Not awaited: the hand-off returns at once. A failure here costs
   * nothing but time, since the window asks for whatever was not asked.
   */
  private judgeAhead(scope: WindowScope, refs: FinishedTraceRef[]): void {
    const calls = this.judgeCalls();
    this.judgingAhead = this.judgingAhead.then(() => judgeAhead(this.env, scope, refs, calls)).catch(() => {});
  }

  private judgeCalls(): JudgeCalls {
    this.calls ??= judgeCallsFor(createDb(this.env.DB), loadConfig(this.env), this.scope().projectId);
    return this.calls;
  }

  /** The window as grading sees it (graders pinned on first use), or null when it has no grader. */
  private async closedWindow(w: WindowRow): Promise<ClosedWindow | null> {
    const sql = this.ctx.storage.sql;
    const scope = this.scope();
    let graders: GraderRef[];
    if (w.graders === null) {
      // Pinned once, so every retry grades with exactly the versions the window closed with.
      graders = await enabledGraderRefs(createDb(this.env.DB), scope.projectId, scope.agent);
      sql.exec("UPDATE windows SET graders = ? WHERE seq = ?", JSON.stringify(graders), w.seq);
    } else {
      graders = JSON.parse(w.graders) as GraderRef[];
    }
    if (graders.length === 0) return null;
    const members = sql
      .exec<{ trace_id: string; r2_key: string; sha256: string }>(
        "SELECT trace_id, r2_key, sha256 FROM window_members WHERE seq = ? ORDER BY added_at, trace_id",
        w.seq,
      )
      .toArray()
      .map((m) => ({ traceId: m.trace_id, r2Key: m.r2_key, sha256: m.sha256 }));
    return {
      ...scope,
      windowId: w.id,
      seq: w.seq,
      openedAt: w.opened_at,
      closedAt: w.closed_at ?? Date.now(),
      minGraded: w.min_graded ?? this.settings().minGraded,
      graders,
      members,
      onlyGraders: w.only_graders === 1,
    };
  }

  /** The first closed window after `seq` still to grade or hand to the dataset. */
  private nextPending(seq: number): WindowRow | undefined {
    return this.ctx.storage.sql
      .exec<WindowRow>(
        "SELECT * FROM windows WHERE state IN ('closing', 'graded') AND seq > ? ORDER BY seq LIMIT 1",
        seq,
      )
      .toArray()[0];
  }

  /** Moves the open window to closing; returns its id, or null when none is open. */
  private closeOpen(now: number): string | null {
    const open = this.openRow();
    if (!open) return null;
    this.ctx.storage.sql.exec(
      "UPDATE windows SET state = 'closing', closed_at = ?, min_graded = ?, next_attempt_at = ? WHERE seq = ?",
      now,
      this.settings().minGraded,
      now,
      open.seq,
    );
    return open.id;
  }

  /** One alarm for the earliest due item: a pending retry, or the open window coming of age. */
  private async armAlarm(): Promise<void> {
    const now = Date.now();
    const candidates: number[] = this.pendingRows().map((w) => w.next_attempt_at ?? now);
    const open = this.openRow();
    if (open) {
      const due = nextAlarmAt(this.openState(open.seq), policyOf(this.settings()), now);
      if (due !== null) candidates.push(due);
    }
    if (candidates.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const next = Math.min(...candidates);
    if ((await this.ctx.storage.getAlarm()) !== next) await this.ctx.storage.setAlarm(next);
  }

  private openRow(): WindowRow | undefined {
    return this.ctx.storage.sql.exec<WindowRow>("SELECT * FROM windows WHERE state = 'open' LIMIT 1").toArray()[0];
  }

  private openWindow(now: number): WindowRow {
    return this.openRow() ?? this.insertWindow(now);
  }

  /** A new window in state `open`, with the next sequence number. */
  private insertWindow(now: number): WindowRow {
    const sql = this.ctx.storage.sql;
    const seq = sql.exec<{ s: number }>("SELECT coalesce(max(seq), 0) + 1 AS s FROM windows").one().s;
    // Window ids embed this object's random prefix and a zero-padded sequence: unique
    // across agents, and ordered within one agent (score supersession relies on it).
    let prefix = this.meta("prefix");
    if (prefix === null) this.setMeta("prefix", (prefix = crypto.randomUUID().replaceAll("-", "").slice(0, 12)));
    const id = `win_${prefix}_${String(seq).padStart(10, "0")}`;
    sql.exec("INSERT INTO windows (seq, id, state, opened_at) VALUES (?, ?, 'open', ?)", seq, id, now);
    return sql.exec<WindowRow>("SELECT * FROM windows WHERE seq = ?", seq).one();
  }

  private openState(seq: number): { count: number; oldestAt: number | null } {
    const row = this.ctx.storage.sql
      .exec<{ n: number; oldest: number | null }>(
        "SELECT count(*) AS n, min(added_at) AS oldest FROM window_members WHERE seq = ?",
        seq,
      )
      .one();
    return { count: row.n, oldestAt: row.oldest };
  }

  private pendingRows(): WindowRow[] {
    return this.ctx.storage.sql
      .exec<WindowRow>("SELECT * FROM windows WHERE state IN ('closing', 'graded') ORDER BY seq")
      .toArray();
  }

  private settings(): WindowSettings {
    return resolveWindowSettings(this.customSettings(), loadConfig(this.env));
  }

  private customSettings(): WindowSettingsInput | null {
    const raw = this.meta("settings");
    return raw === null ? null : (JSON.parse(raw) as WindowSettingsInput);
  }

  private remember(scope: WindowScope): void {
    if (this.meta("projectId") === null) {
      this.setMeta("projectId", scope.projectId);
      this.setMeta("agent", scope.agent);
    }
  }

  private scope(): WindowScope {
    const projectId = this.meta("projectId");
    const agent = this.meta("agent");
    if (projectId === null || agent === null) throw new Error("AgentWindow does not know its project and agent yet");
    return { projectId, agent };
  }

  private meta(key: string): string | null {
    return (
      this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ??
      null
    );
  }

  private setMeta(key: string, value: string): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }
}
export type { FinishedTraceRef, WindowScope, WindowStateName, WindowStatus } from "./contract";
