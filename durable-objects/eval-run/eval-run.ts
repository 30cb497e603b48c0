/**
 * @module EvalRun: one per eval run. Holds the run's cases, the grader versions pinned
 * at its start and one result per (case, repeat), and grades every answer with the
 * same pure code the windows use (never through AgentWindow, so eval answers stay out
 * of the agent's production pass rate). Judge graders are asked from the alarm through
 * the windows' judge runner (cache, retries, concurrency cap, daily budget); until they
 * answer, an answer waits in storage, and a judge outage keeps the run running.
 *
 * A server-side run calls the candidate's endpoint from its start, then from the alarm
 * (retries that come due, a resumed run): at most `concurrency` calls at once, a
 * timeout per call, retries with exponential backoff (or the endpoint's Retry-After) on
 * 429, 5xx and connection failures. Alarms are at-least-once and the object may die
 * mid-run: before calling, the run arms the alarm as a watchdog, attempts are counted
 * before each call, and results are keyed by (case, repeat), so a resumed run calls
 * only what has no result and counts each answer once. A client-side run receives
 * answers through `submit`. Either way the finished run's summary is written to D1,
 * by the alarm retrying until it is there.
 */
import { DurableObject } from "cloudflare:workers";
import {
  type AnswerVerdictRules,
  type CandidateAnswer,
  answerTrace,
  decideAnswer,
  errorAnswer,
  readCandidateAnswer,
  ruleScoresOf,
} from "../../worker/eval/grade-case";
import { computeRunMetrics } from "../../worker/eval/metrics";
import { retryDelayMs } from "../../worker/grading";
import { isJudge } from "../../worker/judge/run-judges";
import { createDb } from "../../worker/storage/db";
import { finishEvalRun } from "../../worker/storage/eval-run-store";
import { type CandidateCaller, fetchCandidate } from "./call-candidate";
import type {
  CaseResultDetail,
  EvalRunCase,
  EvalRunReport,
  EvalRunSpec,
  ReportOptions,
  SubmitOutcome,
  SubmittedAnswer,
} from "./contract";
import { addUsage, isJudgeOutage, judgeAnswers } from "./judge-answers";
import { type DueTask, type ResultToRecord, RunStore, resultDetail, taskKey } from "./run-store";

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
/** Answers sent to the judges per pass: one runJudges call, its cache read and its budget check. */
const JUDGE_BATCH = 64;
/** After a judge outage or a spent budget, judging is tried again after this, doubled per failure up to the max. */
const JUDGE_RETRY_BASE_MS = 1_000;
const JUDGE_RETRY_MAX_MS = 10 * 60_000;
/** Runs started before verdict rules were pinned decide as a window does by default. */
const DEFAULT_VERDICT_RULES: AnswerVerdictRules = { policy: "human_overrides", uncalibratedJudges: [] };

type RunSettings = NonNullable<ReturnType<RunStore["settings"]>>;

export class EvalRun extends DurableObject<Env> {
  private readonly store: RunStore;
  /** The candidate call; a test replaces it to play an endpoint without a network. */
  protected callCandidate: CandidateCaller = fetchCandidate;
  private advancing: Promise<void> | null = null;
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
  /** The finished run's metrics and cases, computed once when it is finalized: its results no longer change. */
  private summary: ReturnType<typeof computeRunMetrics> | null = null;
  /** Settled when the run is finalized: what reports waiting for the end wait on. */
  private ended: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RunStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.store.createSchema();
    });
  }

  /**
   * Starts the run once; starting it again (a retried request) changes nothing. The run
   * goes on at once, not when the alarm is delivered: a server-side run's first calls
   * leave while its launch is still answering. The alarm is the watchdog that resumes a
   * run whose object died.
   */
  async start(spec: EvalRunSpec): Promise<{ started: boolean }> {
    const started = this.transaction(() => this.store.start(spec));
    if (started) {
      await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
      // A failure here is retried by the alarm, which the runtime retries in turn.
      this.ctx.waitUntil(this.advance().catch(() => this.ctx.storage.setAlarm(Date.now() + RETRY_BASE_MS)));
    }
    return { started };
  }

  /** A storage transaction; one that rolls back leaves nothing it wrote in the store's memory either. */
  private transaction<T>(write: () => T): T {
    try {
      return this.ctx.storage.transactionSync(write);
    } catch (err) {
      this.store.forgetCached();
      throw err;
    }
  }

  /** Grades answers the CLI computed. The first answer of a (case, repeat) wins. */
  async submit(answers: SubmittedAnswer[]): Promise<SubmitOutcome | { refused: string }> {
    const settings = this.store.settings();
    if (!settings) return { refused: "not_started" };
    if (this.store.status() !== "running") return { refused: this.store.status() };
    if (settings.endpoint !== null) return { refused: "server_side" };
    const outcome: SubmitOutcome = { accepted: 0, duplicates: 0, rejected: [] };
    let judging = false;
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
      let graded: ReturnType<EvalRun["gradeOrHold"]> = errorAnswer(
        submitted.error ? `the agent threw: ${submitted.error}` : "",
      );
      let output: unknown;
      if (submitted.error === undefined) {
        const read = readCandidateAnswer(submitted.answer ?? null);
        if ("problem" in read) graded = errorAnswer(read.problem);
        else {
          output = read.answer.output;
          graded = this.gradeOrHold(settings, item, submitted.repeat, read.answer);
        }
      }
      const result = {
        caseId: submitted.caseId,
        repeat: submitted.repeat,
        ...graded,
        attempts: 1,
        latencyMs: submitted.latencyMs ?? null,
        output,
      };
      const recorded = this.recordOne(result);
      if (recorded) outcome.accepted++;
      else outcome.duplicates++;
      if (recorded && result.awaitingJudges) judging = true;
    }
    // The judges are asked from the alarm: this request answers without waiting for them.
    if (judging) await this.ctx.storage.setAlarm(Date.now());
    else if (this.store.pendingCount() === 0 && this.store.unjudgedCount() === 0 && !this.store.finalized()) {
      // The last answer is in: the run completes now, so the CLI's next poll finds it done.
      // Should D1 refuse the summary, the alarm writes it instead, retrying until it is there.
      await this.finalize().catch(() => this.ctx.storage.setAlarm(Date.now()));
    }
    return outcome;
  }

  /** Stops calling the candidate; what was recorded stays, and the run finishes as `cancelled`. */
  async cancel(): Promise<EvalRunReport | null> {
    if (!this.store.started()) return null;
    if (this.store.status() === "running") {
      this.store.setStatus("cancelled");
      await this.ctx.storage.setAlarm(Date.now());
    }
    return this.report({ results: false });
  }

  /**
   * The run's report. With `waitMs`, a run still going is reported when it ends or when
   * `waitMs` has passed, whichever comes first: a client learns of the end at once,
   * without polling (each poll costs a D1 read and this object's metrics).
   */
  async report({
    results: withResults = true,
    cases: withCases = true,
    waitMs = 0,
  }: ReportOptions = {}): Promise<EvalRunReport | null> {
    const settings = this.store.settings();
    if (!settings) return null;
    if (waitMs > 0 && !this.store.finalized()) await this.untilEnded(waitMs);
    let results: CaseResultDetail[] | null = null;
    if (withResults || !this.summary) {
      // Answers not written yet count in the progress without a write: a poll must not make a commit.
      const unwritten = this.unwritten.filter((r) => !r.awaitingJudges).map((r) => resultDetail(r, withResults));
      results = [...this.store.results(withResults), ...unwritten];
    }
    const { metrics, cases } = this.summary ?? computeRunMetrics(this.store.caseRefs(), results!, settings.repeats);
    return {
      runId: settings.runId,
      status: this.store.status(),
      finalized: this.store.finalized(),
      metrics,
      cases: withCases ? cases : [],
      results: withResults ? results : null,
      waitingForJudge: this.waitingForJudge(),
      judgeUsage: this.store.graders().some(isJudge) ? (this.store.judgeUsage() ?? addUsage(null, [])) : null,
    };
  }

  /** Resolves when the run is finalized or after `ms`, whichever is first. */
  private async untilEnded(ms: number): Promise<void> {
    if (!this.ended) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.ended = { promise, resolve };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.ended.promise, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  private waitingForJudge(): EvalRunReport["waitingForJudge"] {
    const wait = this.store.judgeWait();
    const answers = this.store.unjudgedCount();
    if (!wait || answers === 0) return null;
    return { reason: wait.problem, answers, retryAt: new Date(wait.until).toISOString() };
  }

  override async alarm(): Promise<void> {
    await this.advance();
  }

  /**
   * Takes the run as far as it goes now: calls what is due, asks the judges, then re-arms
   * the alarm for what waits or writes the summary. One pass at a time: the start and the
   * alarm share the pass in progress.
   */
  private advance(): Promise<void> {
    this.advancing ??= this.advanceOnce().finally(() => {
      this.advancing = null;
    });
    return this.advancing;
  }

  private async advanceOnce(): Promise<void> {
    const settings = this.store.settings();
    if (!settings || this.store.finalized()) return;
    if (this.store.status() === "running" && settings.endpoint !== null && this.store.pendingCount() > 0) {
      await this.drive();
    }
    if (this.store.status() === "running" && this.store.unjudgedCount() > 0) await this.judgeWaiting(settings);
    if (this.store.status() === "running" && (this.store.pendingCount() > 0 || this.store.unjudgedCount() > 0)) {
      const wakes: number[] = [];
      const due = this.store.nextDueAt();
      // A client-side run waits for the CLI: nothing to arm until its answers are all in.
      if (settings.endpoint !== null && due !== null) wakes.push(due);
      // Answers waiting for the judges keep the run running, and the alarm comes back for them.
      if (this.store.unjudgedCount() > 0) wakes.push(this.store.judgeWait()?.until ?? Date.now());
      if (wakes.length > 0) await this.ctx.storage.setAlarm(Math.max(Math.min(...wakes), Date.now()));
      return;
    }
    await this.finalize();
  }

  /** Writes the summary to D1; throwing here makes the runtime retry the alarm. */
  private async finalize(): Promise<void> {
    const settings = this.store.settings()!;
    if (this.store.status() === "running") this.store.setStatus("completed");
    const summary = computeRunMetrics(this.store.caseRefs(), this.store.results(false), settings.repeats);
    const status = this.store.status() === "cancelled" ? "cancelled" : "completed";
    await finishEvalRun(createDb(this.env.DB), settings.projectId, settings.runId, status, summary.metrics);
    this.store.markFinalized();
    this.summary = summary;
    this.ended?.resolve();
    this.ended = null;
  }

  /** Calls the candidate for every due task, `concurrency` at a time, until none is due or the budget is spent. */
  private async drive(): Promise<void> {
    const settings = this.store.settings()!;
    const began = Date.now();
    // Not awaited: the output gate holds every call until this watchdog is durable.
    void this.ctx.storage.setAlarm(began + WATCHDOG_MS).catch(() => {});
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

  /**
   * Asks the judges about the answers waiting for them, a batch at a time, for at most one
   * drive budget. An outage or a spent budget records when to try again and returns: the
   * answers stay, the run stays running, and nothing is decided without the judge.
   */
  private async judgeWaiting(settings: RunSettings): Promise<void> {
    const wait = this.store.judgeWait();
    if (wait && wait.until > Date.now()) return;
    const began = Date.now();
    await this.ctx.storage.setAlarm(began + WATCHDOG_MS);
    const judges = this.store.graders().filter(isJudge);
    const rules = settings.verdictRules ?? DEFAULT_VERDICT_RULES;
    while (this.store.status() === "running" && Date.now() - began <= DRIVE_BUDGET_MS) {
      const batch = this.store.unjudged(JUDGE_BATCH);
      if (batch.length === 0) return;
      let judged: Awaited<ReturnType<typeof judgeAnswers>>;
      try {
        judged = await judgeAnswers(this.env, settings.projectId, batch, judges, rules);
      } catch (err) {
        if (!isJudgeOutage(err)) throw err;
        const failures = (this.store.judgeWait()?.failures ?? 0) + 1;
        const until = Date.now() + retryDelayMs(failures - 1, JUDGE_RETRY_BASE_MS, JUDGE_RETRY_MAX_MS);
        this.store.setJudgeWait({ until, failures, problem: err.message });
        return;
      }
      this.transaction(() => {
        for (const answer of batch) {
          const { caseId, repeat, attempts, latencyMs, trace } = answer;
          const output = trace.output;
          this.store.recordJudged({ caseId, repeat, attempts, latencyMs, output, ...judged.graded.get(trace.id)! });
        }
        this.store.setJudgeUsage(addUsage(this.store.judgeUsage(), [judged.usage]));
        this.store.setJudgeWait(null);
      });
    }
  }

  /**
   * Grades an answer with the synchronous graders; with judges pinned, the answer is held
   * for them (its verdict is decided once they answer, see {@link judgeWaiting}).
   */
  private gradeOrHold(
    settings: RunSettings,
    item: EvalRunCase,
    repeat: number,
    answer: CandidateAnswer,
  ): Omit<ResultToRecord, "caseId" | "repeat" | "attempts" | "latencyMs"> {
    const trace = answerTrace(settings, item, repeat, answer);
    const graders = this.store.graders();
    const ruleScores = ruleScoresOf(trace, graders, item.expected);
    if (!graders.some(isJudge)) return decideAnswer(ruleScores, [], settings.verdictRules ?? DEFAULT_VERDICT_RULES);
    return { verdict: "error", reason: "waiting for the judge", scores: ruleScores, awaitingJudges: { trace } };
  }

  private recordOne(result: ResultToRecord): boolean {
    return result.awaitingJudges
      ? this.store.recordUnjudged({ ...result, awaitingJudges: result.awaitingJudges })
      : this.store.recordResult(result);
  }

  private writeAnswers(): void {
    if (this.unwritten.length === 0) return;
    const batch = this.unwritten;
    this.unwritten = [];
    this.transaction(() => {
      this.store.recordResults(batch.filter((result) => !result.awaitingJudges));
      for (const result of batch) if (result.awaitingJudges) this.recordOne(result);
    });
    for (const result of batch) this.inFlight.delete(taskKey(result.caseId, result.repeat));
  }

  /** The graded answer to record, or undefined when the call is retried later. */
  private async runTask(settings: RunSettings, task: DueTask): Promise<ResultToRecord | undefined> {
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
    let graded: ReturnType<EvalRun["gradeOrHold"]> = errorAnswer("");
    let latencyMs: number | null = null;
    let output: unknown;
    if (call.kind === "retry") graded = errorAnswer(`${call.problem} (gave up after ${attempts} attempts)`);
    else if (call.kind === "error") {
      graded = errorAnswer(call.problem);
      latencyMs = call.latencyMs;
    } else {
      latencyMs = call.latencyMs;
      const read = readCandidateAnswer(call.raw);
      if ("problem" in read) graded = errorAnswer(read.problem);
      else {
        output = read.answer.output;
        graded = this.gradeOrHold(settings, item, task.repeat, read.answer);
      }
    }
    return { caseId: task.caseId, repeat: task.repeat, ...graded, attempts, latencyMs, output };
  }
}
