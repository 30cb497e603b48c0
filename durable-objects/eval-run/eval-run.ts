/**
 * @module EvalRun: one per eval run. Holds the run's cases, the grader versions pinned
 * at its start and one result per (case, repeat), and grades every answer with the
 * same pure code the windows use (never through AgentWindow, so eval answers stay out
 * of the agent's production pass rate).
 *
 * A server-side run calls the candidate's endpoint from the alarm: at most
 * `concurrency` calls at once, a timeout per call, retries with exponential backoff
 * (or the endpoint's Retry-After) on 429, 5xx and connection failures. Alarms are
 * at-least-once and the object may die mid-run: before calling, the alarm re-arms
 * itself as a watchdog, attempts are counted before each call, and results are keyed
 * by (case, repeat), so a resumed run calls only what has no result and counts each
 * answer once. A client-side run receives answers through `submit`. Either way the
 * alarm writes the finished run's summary to D1, retrying until it is there.
 */
import { DurableObject } from "cloudflare:workers";
import { answerTrace, errorAnswer, gradeAnswer, readCandidateAnswer } from "../../worker/eval/grade-case";
import { computeRunMetrics } from "../../worker/eval/metrics";
import { retryDelayMs } from "../../worker/grading";
import { createDb } from "../../worker/storage/db";
import { finishEvalRun } from "../../worker/storage/eval-run-store";
import { type CandidateCaller, fetchCandidate } from "./call-candidate";
import type { EvalRunReport, EvalRunSpec, SubmitOutcome, SubmittedAnswer } from "./contract";
import { type DueTask, type ResultToRecord, RunStore, taskKey } from "./run-store";

/** How long one alarm drives calls before it hands over to the next (alarms have a wall-clock limit). */
const DRIVE_BUDGET_MS = 60_000;
/** If the object dies mid-drive, the watchdog alarm resumes the run this long after the drive began. */
const WATCHDOG_MS = DRIVE_BUDGET_MS + 30_000;
const RETRY_BASE_MS = 500;
/**
 * Tasks claimed per commit, in multiples of the concurrency. Each commit holds the
 * object's outgoing calls until it is durable (the output gate); claiming and writing
 * in bigger, rarer commits keeps calls flowing. The cost: a crash re-counts an attempt
 * for claimed tasks not called yet, and loses the unwritten answers (called again).
 */
const CLAIM_ROUNDS = 4;
const RETRY_MAX_MS = 30_000;

export class EvalRun extends DurableObject<Env> {
  private readonly store: RunStore;
  /** The candidate call; a test replaces it to play an endpoint without a network. */
  protected callCandidate: CandidateCaller = fetchCandidate;
  private driving: Promise<void> | null = null;
  /** Tasks being called, or answered but not yet written: never handed out twice. */
  private readonly inFlight = new Set<string>();
  /**
   * Answers graded but not yet written. Every storage commit holds this object's
   * outgoing fetches behind its output gate until it is durable, so writing each answer
   * on its own would stall every call in flight once per answer; they are written
   * together with the next claim instead. An object that dies loses only these, and
   * their cases are called again: attempts were counted, results are keyed by (case, repeat).
   */
  private unwritten: ResultToRecord[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RunStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.store.createSchema();
    });
  }

  /** Starts the run once; starting it again (a retried request) changes nothing. */
  async start(spec: EvalRunSpec): Promise<{ started: boolean }> {
    const started = this.ctx.storage.transactionSync(() => this.store.start(spec));
    if (started) await this.ctx.storage.setAlarm(Date.now());
    return { started };
  }

  async isStarted(): Promise<boolean> {
    return this.store.started();
  }

  /** Grades answers the CLI computed. The first answer of a (case, repeat) wins. */
  async submit(answers: SubmittedAnswer[]): Promise<SubmitOutcome | { refused: string }> {
    const settings = this.store.settings();
    if (!settings) return { refused: "not_started" };
    if (this.store.status() !== "running") return { refused: this.store.status() };
    if (settings.endpoint !== null) return { refused: "server_side" };
    const outcome: SubmitOutcome = { accepted: 0, duplicates: 0, rejected: [] };
    for (const submitted of answers) {
      const item = this.store.caseById(submitted.caseId);
      if (!item || !this.store.hasTask(submitted.caseId, submitted.repeat)) {
        outcome.rejected.push({
          caseId: submitted.caseId,
          repeat: submitted.repeat,
          problem: item
            ? `repeat must be within 0..${settings.repeats - 1}`
            : "the case is not in this run's dataset version",
        });
        continue;
      }
      let graded = errorAnswer(submitted.error ? `the agent threw: ${submitted.error}` : "");
      if (submitted.error === undefined) {
        const read = readCandidateAnswer(submitted.answer ?? null);
        graded =
          "problem" in read
            ? errorAnswer(read.problem)
            : gradeAnswer(
                answerTrace({ ...settings }, item, submitted.repeat, read.answer),
                this.store.graders(),
                item.expected,
              );
      }
      const recorded = this.store.recordResult({
        caseId: submitted.caseId,
        repeat: submitted.repeat,
        ...graded,
        attempts: 1,
        latencyMs: submitted.latencyMs ?? null,
      });
      if (recorded) outcome.accepted++;
      else outcome.duplicates++;
    }
    if (this.store.pendingCount() === 0) await this.ctx.storage.setAlarm(Date.now());
    return outcome;
  }

  /** Stops calling the candidate; what was recorded stays, and the run finishes as `cancelled`. */
  async cancel(): Promise<EvalRunReport | null> {
    if (!this.store.started()) return null;
    if (this.store.status() === "running") {
      this.store.setStatus("cancelled");
      await this.ctx.storage.setAlarm(Date.now());
    }
    return this.report(false);
  }

  async report(withResults = true): Promise<EvalRunReport | null> {
    const settings = this.store.settings();
    if (!settings) return null;
    // Answers not written yet count in the progress without a write: a poll must not make a commit.
    const unwritten = this.unwritten.map(({ scores, ...result }) => ({ ...result, scores: withResults ? scores : [] }));
    const results = [...this.store.results(withResults), ...unwritten];
    const { metrics, cases } = computeRunMetrics(this.store.caseRefs(), results, settings.repeats);
    return {
      runId: settings.runId,
      status: this.store.status(),
      finalized: this.store.finalized(),
      metrics,
      cases,
      results: withResults ? results : null,
    };
  }

  override async alarm(): Promise<void> {
    const settings = this.store.settings();
    if (!settings || this.store.finalized()) return;
    if (this.store.status() === "running" && settings.endpoint !== null && this.store.pendingCount() > 0) {
      this.driving ??= this.drive().finally(() => {
        this.driving = null;
      });
      await this.driving;
    }
    if (this.store.status() === "running" && this.store.pendingCount() > 0) {
      const due = this.store.nextDueAt();
      // A client-side run waits for the CLI: nothing to arm until its answers are all in.
      if (settings.endpoint !== null && due !== null) await this.ctx.storage.setAlarm(Math.max(due, Date.now()));
      return;
    }
    await this.finalize();
  }

  /** Writes the summary to D1; throwing here makes the runtime retry the alarm. */
  private async finalize(): Promise<void> {
    const settings = this.store.settings()!;
    if (this.store.status() === "running") this.store.setStatus("completed");
    const { metrics } = computeRunMetrics(this.store.caseRefs(), this.store.results(false), settings.repeats);
    const status = this.store.status() === "cancelled" ? "cancelled" : "completed";
    await finishEvalRun(createDb(this.env.DB), settings.projectId, settings.runId, status, metrics);
    this.store.markFinalized();
  }

  /** Calls the candidate for every due task, `concurrency` at a time, until none is due or the budget is spent. */
  private async drive(): Promise<void> {
    const settings = this.store.settings()!;
    const began = Date.now();
    await this.ctx.storage.setAlarm(began + WATCHDOG_MS);
    const queue: DueTask[] = [];
    const next = (): DueTask | undefined => {
      if (this.store.status() !== "running" || Date.now() - began > DRIVE_BUDGET_MS) return undefined;
      if (queue.length === 0) {
        // Claimed several calls' worth at a time, in the same commit as the answers so far.
        this.writeAnswers();
        const claimed = this.store.dueTasks(Date.now(), settings.concurrency * CLAIM_ROUNDS, this.inFlight);
        this.store.claimAttempts(claimed);
        queue.push(...claimed);
      }
      const task = queue.shift();
      if (task) this.inFlight.add(taskKey(task.caseId, task.repeat));
      return task;
    };
    const worker = async () => {
      for (let task = next(); task; task = next()) {
        const result = await this.runTask(settings, task).catch((err: unknown) => {
          this.inFlight.delete(taskKey(task.caseId, task.repeat));
          throw err;
        });
        if (result) this.unwritten.push(result);
        else this.inFlight.delete(taskKey(task.caseId, task.repeat));
      }
    };
    try {
      await Promise.all(Array.from({ length: settings.concurrency }, worker));
    } finally {
      this.writeAnswers();
    }
  }

  private writeAnswers(): void {
    if (this.unwritten.length === 0) return;
    const batch = this.unwritten;
    this.unwritten = [];
    this.ctx.storage.transactionSync(() => {
      for (const result of batch) this.store.recordResult(result);
    });
    for (const result of batch) this.inFlight.delete(taskKey(result.caseId, result.repeat));
  }

  /** The graded answer to record, or undefined when the call is retried later. */
  private async runTask(
    settings: NonNullable<ReturnType<RunStore["settings"]>>,
    task: DueTask,
  ): Promise<ResultToRecord | undefined> {
    const item = this.store.caseById(task.caseId)!;
    const attempts = task.attempts;
    const call = await this.callCandidate({
      endpoint: settings.endpoint!,
      timeoutMs: settings.timeoutMs,
      body: { runId: settings.runId, caseId: task.caseId, repeat: task.repeat, input: item.input },
    });
    if (call.kind === "retry" && attempts < settings.maxAttempts) {
      const backoff = retryDelayMs(attempts - 1, RETRY_BASE_MS, RETRY_MAX_MS);
      this.store.scheduleRetry(task, Date.now() + Math.max(backoff, call.retryAfterMs ?? 0), call.problem);
      return undefined;
    }
    let graded = errorAnswer("");
    let latencyMs: number | null = null;
    if (call.kind === "retry") graded = errorAnswer(`${call.problem} (gave up after ${attempts} attempts)`);
    else if (call.kind === "error") {
      graded = errorAnswer(call.problem);
      latencyMs = call.latencyMs;
    } else {
      latencyMs = call.latencyMs;
      const read = readCandidateAnswer(call.raw);
      graded =
        "problem" in read
          ? errorAnswer(read.problem)
          : gradeAnswer(answerTrace(settings, item, task.repeat, read.answer), this.store.graders(), item.expected);
    }
    return { caseId: task.caseId, repeat: task.repeat, ...graded, attempts, latencyMs };
  }
}
