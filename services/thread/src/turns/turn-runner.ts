// Runs admitted turns on this instance, outside the keyed lane: streams the thread's model provider,
// emits Codex's notification sequence to the thread's subscribers, stores items as they complete,
// holds the turn's lease (renewed every third of its length; losing it stops the run silently —
// whoever took the turn over has already ended it), serves turn control (interrupt, steer, input
// added by turn/start) and asks clients to run their dynamic tools.
//
// Codex 0.171.0's order, which the interop reference test pins: thread/status/changed active,
// turn/started, userMessage item/started + item/completed, then per model response its items
// (reasoning with summary deltas, agentMessage with text deltas, dynamicToolCall around the client's
// answer), thread/tokenUsage/updated, and at the end thread/status/changed idle + turn/completed
// (completed or interrupted), or thread/status/changed systemError + error + turn/completed failed.
import {
  type DynamicToolCallResponse,
  DynamicToolCallResponse as DynamicToolCallResponseSchema,
  type DynamicToolSpec,
  Notification,
  type RateLimitSnapshot,
  type ResolveModelProviderResponse,
  requestServiceTier,
  ServerRequestMethod,
  SwitchyardError,
  type ThreadGoal,
  type ThreadItem,
  type TokenUsageBreakdown,
  type TurnControlReply,
  type TurnControlRequest,
  type TurnError,
  toWireError,
  type UserInput,
} from "@switchyard/protocol";
import type { EventPublisher, Logger } from "@switchyard/runtime";
import { newId } from "@switchyard/runtime";
import type { ProviderEgress } from "../provider/egress.js";
import { dynamicToolToFunctionTool, findDynamicTool, responsesRequestBody } from "../provider/request-body.js";
import {
  isAborted,
  ProviderError,
  type ResponsesStreamEvent,
  streamResponses,
  UNKNOWN_RATE_LIMITS,
} from "../provider/responses-client.js";
import type { PauseReading } from "../store/elicitation-store.js";
import type { ThreadRow } from "../store/thread-store.js";
import type { StoredSettings } from "../thread-view.js";
import { FALLBACK_REPORTED_CONTEXT_WINDOW, reportedContextWindow } from "./context-window.js";
import {
  GOAL_TOOL_NAMES,
  GOAL_TOOL_REFUSALS,
  GOAL_TOOLS,
  type GoalProgress,
  goalBudgetSpentItem,
  goalObjectiveUpdatedItem,
  goalTokens,
  goalToolAnswer,
  isGoalTool,
  requestedGoal,
  requestedGoalStatus,
} from "./goal-turns.js";
import { type PlanSegment, ProposedPlanSplitter, splitProposedPlan } from "./proposed-plan.js";
import { REVIEW_INSTRUCTIONS, type ReviewRequest, reviewModeItem, reviewText, reviewUserAction } from "./review.js";
import type { TurnBus } from "./turn-bus.js";
import { contextInput, type ThreadInstructions, threadInput, threadInstructions } from "./turn-context.js";
import {
  agentMessageItem,
  asRequestInput,
  COMPACTION_PROMPT,
  compactionResponseItem,
  contextCompactionItem,
  dynamicToolCallItem,
  historyInput,
  planItem,
  reasoningItem,
  toolOutput,
  turnAbortedMessage,
  turnView,
  userInputItem,
} from "./turn-items.js";
import type { NextTurn, TurnItem, TurnLease, TurnRow, TurnStore } from "./turn-store.js";

export interface TurnRunnerSettings {
  instanceId: string;
  leaseMs: number;
  /** How long a dynamic tool call waits for a client's answer (time paused by elicitations not counted). */
  toolCallTimeoutMs: number;
  /** The thread's pause clock (out-of-band elicitations, store/elicitation-store.ts); absent: never paused. */
  pauseClock?: PauseClock;
  /** How long shutdown lets running turns finish before ending them as failed. */
  shutdownGraceMs: number;
  /** The deployment's model and provider, for a thread that names none (goal continuations build their thread). */
  defaults: { model: string; modelProvider: string };
  /** How model providers are reached: through the deployment's egress policy. */
  providerEgress: ProviderEgress;
}

/** A thread's pause clock: whether its waits are paused now, and for how long they have been in all. */
export type PauseClock = (tenant: string, threadId: string) => Promise<PauseReading>;

/** Resolves the thread's model provider for a turn that runs `model` (the config service: internal/config/modelProvider). */
export type ProviderSource = (thread: TurnThread, model: string) => Promise<ResolveModelProviderResponse>;

/** What the runner needs of the thread it runs a turn on. */
export interface TurnThread {
  tenant: string;
  /** Who started the turn: a thread without a config snapshot resolves that user's config. */
  subject: string;
  threadId: string;
  model: string;
  modelProvider: string;
  dynamicTools: Record<string, unknown>[];
  tokenUsage: Record<string, number> | null;
  /** The usage of the thread's last model call (what a compaction restates first). */
  lastTokenUsage: Record<string, number> | null;
  /** The `modelContextWindow` the last model call's usage was announced with (undefined: not kept). */
  lastContextWindow: number | null | undefined;
  /** The instructions its settings hold (turn-context.ts), as they were when the turn was admitted. */
  instructions: ThreadInstructions;
  /** In plan mode, a proposed plan in the agent's text becomes a plan item (proposed-plan.ts). */
  planMode: boolean;
  /** The tier the thread keeps (service-tier.ts): its model requests carry it when the model offers it. */
  serviceTier: string | null;
}

/** What a turn needs of its thread's row; `subject` is who started it (a continuation: who set the goal going). */
export function turnThread(row: ThreadRow, defaults: { model: string; modelProvider: string }, subject: string): TurnThread {
  return {
    tenant: row.tenant,
    subject,
    threadId: row.id,
    model: row.model ?? defaults.model,
    modelProvider: row.model_provider || defaults.modelProvider,
    dynamicTools: row.dynamic_tools ?? [],
    tokenUsage: row.token_usage,
    lastTokenUsage: row.last_token_usage?.usage ?? null,
    lastContextWindow: row.last_token_usage?.modelContextWindow,
    instructions: threadInstructions(row.settings as unknown as StoredSettings),
    planMode: (row.settings as unknown as StoredSettings).collaborationMode?.mode === "plan",
    serviceTier: (row.settings as unknown as StoredSettings).serviceTier ?? null,
  };
}

export interface AdmittedTurn {
  thread: TurnThread;
  turn: TurnRow;
  /** The userMessage items admission stored (announced first). */
  userItems: ThreadItem[];
}

type Ending =
  | { kind: "completed"; items: ThreadItem[] }
  | { kind: "interrupted" }
  | { kind: "failed"; error: TurnError }
  | { kind: "fencedOut" };

interface RunningTurn {
  lease: TurnLease;
  abort: AbortController;
  /** Why the run was aborted. */
  abortReason?: "interrupt" | "fencedOut" | "shutdown";
  /**
   * Set (in the same tick as the last look at `pendingInput`) once the turn takes no more input: from
   * then on input is refused with `turnEnding`, so the sender starts a new turn instead of handing
   * input to a turn that will not read it.
   */
  isEnding: boolean;
  kind: TurnRow["kind"];
  /** Command ids of the control requests applied (a redelivered keyed command must not add input twice). */
  appliedCommands: Set<string>;
  pendingInput: { input: UserInput[]; clientUserMessageId: string | null }[];
  /** Model-only messages that join the turn before the next model request (a client's new goal objective). */
  pendingModelItems: TurnItem[];
  /**
   * The model call in flight, while new input may cut it short: as Codex 0.171.0 does (probed), input
   * that joins the turn abandons the call (what it streamed is not kept) and the turn asks again with it.
   */
  inFlightSample?: AbortController;
  /** The last model call's response, once it began: its rate limits (an interrupt then announces them). */
  openedCall?: { rateLimits: RateLimitSnapshot };
  /** The usage of the turn's last model call (stored with its ending: what a resume reports as `last`). */
  lastUsage?: TokenUsageBreakdown;
  /** The `modelContextWindow` this turn's usage is announced with, once its provider is resolved. */
  contextWindow?: number | null;
  /**
   * What the turn has spent toward its thread's goal since that was last accounted (its tokens, and
   * the time since `sinceMs`), and whether the model was told the goal's budget is spent (once).
   */
  goalMeter: { tokens: number; sinceMs: number; isBudgetSpentTold: boolean };
  /** The turn's root (its own id, or the turn a goal's continuation hangs under). */
  rootTurnId: string;
  /** A goal this turn's progress has just made budget-limited, until the model is told (tellBudgetSpent). */
  budgetSpentGoal?: ThreadGoal;
  /** Once ended: the thread is owed its next turn (a queued submission, or its active goal's continuation). */
  owesNextTurn: boolean;
  done: Promise<void>;
}

/** How long a goal/set or goal/clear waits for a running turn to account what it spent so far. */
const SETTLE_GOAL_TIMEOUT_MS = 2_000;

/** `data.reason` of a turn-control refusal: the turn takes no more input (it is closing). */
export const TURN_ENDING = "turnEnding";

const turnEnding = (): TurnControlReply => ({
  ok: false,
  error: { ...toWireError({ reason: "invalidArgument", message: "the turn is ending" }), data: { reason: TURN_ENDING } },
});

/** A usage breakdown with every count at zero (stored usage is spread over it: older rows lack newer fields). */
export const ZERO_USAGE: TokenUsageBreakdown = {
  totalTokens: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  outputTokens: 0,
  reasoningOutputTokens: 0,
};

const otherError = (message: string): TurnError => ({
  message,
  codexErrorInfo: "other",
  additionalDetails: null,
  misalignment: null,
});

export class TurnRunner {
  private readonly running = new Map<string, RunningTurn>();
  private isStopping = false;

  constructor(
    private readonly store: TurnStore,
    private readonly events: EventPublisher,
    private readonly bus: TurnBus,
    private readonly providers: ProviderSource,
    private readonly settings: TurnRunnerSettings,
    private readonly log: Logger,
  ) {}

  get runningCount(): number {
    return this.running.size;
  }

  /** Starts running an admitted turn in the background. */
  start(admitted: AdmittedTurn): void {
    const { thread, turn } = admitted;
    const key = `${thread.tenant}/${thread.threadId}`;
    const lease: TurnLease = {
      tenant: thread.tenant,
      threadId: thread.threadId,
      turnId: turn.id,
      fence: turn.fence,
      owner: this.settings.instanceId,
    };
    const running: RunningTurn = {
      lease,
      abort: new AbortController(),
      pendingInput: [],
      pendingModelItems: [],
      isEnding: false,
      kind: turn.kind,
      appliedCommands: new Set(),
      goalMeter: { tokens: 0, sinceMs: Date.now(), isBudgetSpentTold: false },
      rootTurnId: turn.root_turn_id ?? turn.id,
      owesNextTurn: false,
      done: Promise.resolve(),
    };
    if (this.isStopping) {
      running.abortReason = "shutdown";
      running.abort.abort();
    }
    this.running.set(key, running);
    const stopListening = this.bus.listen(thread.tenant, thread.threadId, (request) => this.control(running, request));
    const renew = setInterval(
      () => {
        this.store
          .renewLease(lease, this.settings.leaseMs)
          .then((isHeld) => {
            if (!isHeld && !running.abort.signal.aborted) {
              running.abortReason = "fencedOut";
              running.abort.abort();
            }
          })
          .catch((error) => this.log.warn({ err: (error as Error).message, turnId: turn.id }, "turn lease renewal failed"));
      },
      Math.max(50, Math.floor(this.settings.leaseMs / 3)),
    );
    this.log.info({ tenant: thread.tenant, threadId: thread.threadId, turnId: turn.id, kind: turn.kind }, "turn started");
    running.done = this.run(admitted, running)
      .catch((error) => this.log.error({ err: (error as Error).message, turnId: turn.id }, "turn runner failed"))
      .finally(() => {
        clearInterval(renew);
        stopListening();
        if (this.running.get(key) === running) this.running.delete(key);
        // Once this turn is fully closed (its control subscription gone): the goal's next turn.
        if (running.owesNextTurn) void this.continueThread(thread.tenant, thread.threadId, thread.subject);
      });
  }

  /**
   * Starts the turn a thread is owed on this instance, if it has one: its next queued submission,
   * else a continuation of its active goal (after a turn ends, a submission is queued on an idle
   * thread, a goal/set makes a goal active, and for the next-turn sweeper). `subject` is who a goal's
   * continuation runs as; a submission runs as whoever queued it. Resolves with what was admitted; a
   * stopping instance admits nothing (what it owes stays marked for another instance's sweeper).
   */
  async continueThread(tenant: string, threadId: string, subject: string): Promise<NextTurn> {
    if (this.isStopping) return { kind: "none" };
    try {
      const next = await this.store.admitNextTurn(tenant, threadId, this.nextTurnLease());
      this.startNext(tenant, threadId, next, subject);
      return next;
    } catch (error) {
      // Still marked as owed: the next-turn sweeper tries again.
      this.log.error({ err: (error as Error).message, tenant, threadId }, "next turn failed to start");
      return { kind: "none" };
    }
  }

  /** A new turn's id and this instance's lease on it, for an admission of the thread's next turn. */
  nextTurnLease(): { turnId: string; owner: string; leaseMs: number } {
    return { turnId: newId(), owner: this.settings.instanceId, leaseMs: this.settings.leaseMs };
  }

  /** Runs an admitted next turn (a queued submission's announced as taken from the queue first). */
  startNext(tenant: string, threadId: string, next: NextTurn, subject: string): void {
    if (next.kind !== "queued" && next.kind !== "goal") return;
    if (next.kind === "queued") this.events.emit(Notification.threadQueueChanged, { threadId }, { tenant, threadId });
    this.log.info({ tenant, threadId, turnId: next.turn.id, source: next.kind }, "next turn admitted");
    const runAs = next.kind === "queued" ? next.subject : subject;
    this.start({ thread: turnThread(next.row, this.settings.defaults, runAs), turn: next.turn, userItems: next.userItems });
  }

  /** Shutdown: lets running turns finish for a while, then ends the rest as failed. */
  async stop(): Promise<void> {
    this.isStopping = true;
    const all = [...this.running.values()];
    const finished = Promise.all(all.map((running) => running.done));
    const grace = new Promise((resolve) => setTimeout(resolve, this.settings.shutdownGraceMs).unref());
    await Promise.race([finished, grace]);
    for (const running of this.running.values()) {
      running.abortReason = "shutdown";
      running.abort.abort();
    }
    await Promise.all([...this.running.values()].map((running) => running.done));
  }

  private control(running: RunningTurn, request: TurnControlRequest): TurnControlReply | Promise<TurnControlReply> {
    const turnId = running.lease.turnId;
    // A closing turn (or a compaction, which takes no input) refuses input: the sender starts the next turn.
    const takesNoInput =
      running.isEnding || running.abort.signal.aborted || running.kind === "compact" || running.kind === "review";
    // A redelivered control request (its keyed command ran twice) was applied already.
    if (running.appliedCommands.has(request.commandId)) return { ok: true, turnId };
    switch (request.type) {
      case "interrupt":
        if (request.turnId !== turnId) {
          return {
            ok: false,
            error: toWireError({
              reason: "invalidArgument",
              message: `expected active turn id ${request.turnId} but found ${turnId}`,
            }),
          };
        }
        // Already closing: its turn/completed is on its way, as an interrupt's would be.
        if (!running.isEnding && !running.abort.signal.aborted) {
          running.abortReason = "interrupt";
          running.abort.abort();
        }
        return { ok: true, turnId };
      case "steer":
        if (request.expectedTurnId !== turnId) {
          return {
            ok: false,
            error: toWireError({
              reason: "invalidArgument",
              message: `expected active turn id \`${request.expectedTurnId}\` but found \`${turnId}\``,
            }),
          };
        }
        if (takesNoInput) return turnEnding();
        running.appliedCommands.add(request.commandId);
        running.pendingInput.push({ input: request.input as UserInput[], clientUserMessageId: request.clientUserMessageId });
        running.inFlightSample?.abort();
        return { ok: true, turnId };
      case "addInput":
        if (takesNoInput) return turnEnding();
        running.appliedCommands.add(request.commandId);
        running.pendingInput.push({ input: request.input as UserInput[], clientUserMessageId: request.clientUserMessageId });
        running.inFlightSample?.abort();
        return { ok: true, turnId };
      case "goalObjectiveUpdated":
        // Told before the model is asked again; the call in flight goes on (Codex does not cut it short).
        if (!takesNoInput) {
          running.appliedCommands.add(request.commandId);
          running.pendingModelItems.push(goalObjectiveUpdatedItem(request.goal));
        }
        return { ok: true, turnId };
      case "settleGoal": {
        // Answered once accounted: the goal/set or goal/clear waiting on it then changes the goal.
        const { tenant, threadId } = running.lease;
        return this.accountGoal(running, { tenant, threadId }, { threadId, turnId }).then(
          () => ({ ok: true, turnId }),
          () => ({ ok: true, turnId }), // fenced out: the turn is someone else's, with its own accounting
        );
      }
    }
  }

  /**
   * A client changed the active goal's objective: a turn running on the thread is told (if one runs),
   * once per `commandId` (the goal/set's: a redelivered one does not tell it twice).
   */
  async tellGoalObjective(tenant: string, threadId: string, goal: ThreadGoal, commandId: string): Promise<void> {
    await this.bus.send(tenant, threadId, { commandId, type: "goalObjectiveUpdated", goal }, SETTLE_GOAL_TIMEOUT_MS);
  }

  /**
   * Before a client changes or clears the thread's goal: what a running turn (on whichever instance)
   * has spent toward it so far is accounted, as Codex does. No running turn: nothing to settle.
   */
  async settleGoal(tenant: string, threadId: string): Promise<void> {
    // Unanswered (the runner is stuck or gone): the change goes ahead; the turn accounts its own later.
    await this.bus.send(tenant, threadId, { commandId: newId(), type: "settleGoal" }, SETTLE_GOAL_TIMEOUT_MS);
  }

  private async run(admitted: AdmittedTurn, running: RunningTurn): Promise<void> {
    const { thread, turn } = admitted;
    const target = { tenant: thread.tenant, threadId: thread.threadId };
    const ids = { threadId: thread.threadId, turnId: turn.id };
    const review = turn.kind === "review" ? (turn.request.review as ReviewRequest) : undefined;
    // A review opens with its label, before the thread turns active (Codex's order).
    if (review) {
      const entered = reviewModeItem("enteredReviewMode", newId(), review.hint, Date.now());
      try {
        await this.storeOrFence(running, [{ item: entered, responseItem: null }]);
        this.announceStoredItem(target, ids, entered);
      } catch (error) {
        await this.finish(admitted, running, this.endingOf(error, running), { ...ZERO_USAGE });
        return;
      }
    }
    this.events.emit(
      Notification.threadStatusChanged,
      { threadId: thread.threadId, status: { type: "active", activeFlags: [] } },
      target,
    );
    this.events.emit(Notification.turnStarted, { threadId: thread.threadId, turn: turnView(turn) }, target);
    for (const item of admitted.userItems) this.announceStoredItem(target, ids, item);

    const totals = { ...ZERO_USAGE, ...(thread.tokenUsage ?? {}) } as TokenUsageBreakdown;
    let ending: Ending;
    try {
      ending = await this.converse(admitted, running, totals);
    } catch (error) {
      running.isEnding = true;
      ending = this.endingOf(error, running);
    }
    // A review that did not finish still closes its review mode, saying so, before its turn ends: an
    // interrupted one at once, a failed one after its error (Codex's orders).
    let closing: ThreadItem[] = [];
    if (review && (ending.kind === "interrupted" || ending.kind === "failed")) closing = await this.closeReview(running);
    if (ending.kind === "interrupted") {
      for (const item of closing) this.announceStoredItem(target, ids, item);
      closing = [];
    }
    await this.finish(admitted, running, ending, totals, closing);
  }

  /**
   * Closes a review: its text (reviewText) as the exitedReviewMode item and the turn's agent message,
   * the user's action and that message in the model history; the items, stored, to announce.
   * `answer` undefined: the reviewer never answered. After a failure, what cannot be stored is left out.
   */
  private async closeReview(running: RunningTurn, answer?: string): Promise<ThreadItem[]> {
    const shown = reviewText(answer);
    const now = Date.now();
    const exited = reviewModeItem("exitedReviewMode", newId(), shown.review, now);
    const message = agentMessageItem(`msg_${newId()}`, shown.message, now, now);
    const assistant = { type: "message", role: "assistant", content: [{ type: "output_text", text: shown.message }] };
    try {
      await this.storeOrFence(running, [
        { item: exited, responseItem: null },
        { item: null, responseItem: reviewUserAction(shown.results) },
        { item: message, responseItem: assistant },
      ]);
    } catch (error) {
      if (answer !== undefined) throw error;
      this.log.warn(
        { err: (error as Error).message, turnId: running.lease.turnId },
        "could not store an unfinished review's close",
      );
    }
    return [exited, message];
  }

  /** The model conversation of one turn: samples until the model answers without a tool call. */
  private async converse(admitted: AdmittedTurn, running: RunningTurn, totals: TokenUsageBreakdown): Promise<Ending> {
    const { thread, turn } = admitted;
    const target = { tenant: thread.tenant, threadId: thread.threadId };
    const ids = { threadId: thread.threadId, turnId: turn.id };
    const signal = running.abort.signal;
    const isCompaction = turn.kind === "compact";
    const review = turn.kind === "review" ? (turn.request.review as ReviewRequest) : undefined;
    const compaction = isCompaction ? contextCompactionItem(newId(), Date.now(), null) : undefined;
    // Codex 0.171.0 announces a compaction's usage three times: as it stands when it starts, after the
    // summary's model call, and once the history is replaced (`last` then estimates the new context).
    // As Codex reports it (context-window.ts): from the thread's config once its provider is resolved
    // (`running.contextWindow`); until then (a compaction's first restatement) the one its last model
    // call was announced with.
    const modelContextWindow = () =>
      running.contextWindow !== undefined
        ? running.contextWindow
        : thread.lastContextWindow !== undefined
          ? thread.lastContextWindow
          : FALLBACK_REPORTED_CONTEXT_WINDOW;
    const announceUsage = (last: TokenUsageBreakdown, rateLimits: RateLimitSnapshot) => {
      this.events.emit(
        Notification.threadTokenUsageUpdated,
        { ...ids, tokenUsage: { total: { ...totals }, last, modelContextWindow: modelContextWindow() } },
        target,
      );
      // Codex follows every usage update with the account's rate limits (all null when the provider
      // reported none).
      this.events.emit(Notification.accountRateLimitsUpdated, { rateLimits }, target);
    };
    /**
     * What Codex 0.171.0 announces when a model call fails (probed): once the response had begun, the
     * usage as it stands (when there is any) and the rate limits; a context window exceeded then fills
     * the thread's usage to the window (`last` the rest of it), followed by the rate limits only when
     * the response had begun.
     */
    const failedSampleUsage = (rateLimits: RateLimitSnapshot | undefined, error?: TurnError) => {
      const lastKnown = running.lastUsage ?? (thread.lastTokenUsage ? { ...ZERO_USAGE, ...thread.lastTokenUsage } : undefined);
      if (rateLimits && lastKnown) {
        // Restated in this turn, so this turn's is the thread's last usage (a resume or fork names it).
        running.lastUsage = lastKnown;
        announceUsage(lastKnown, rateLimits);
      } else if (rateLimits) this.events.emit(Notification.accountRateLimitsUpdated, { rateLimits }, target);
      const window = modelContextWindow();
      if (error?.codexErrorInfo !== "contextWindowExceeded" || window === null) return;
      running.lastUsage = { ...ZERO_USAGE, totalTokens: Math.max(0, window - totals.totalTokens) };
      Object.assign(totals, { ...ZERO_USAGE, totalTokens: window });
      this.events.emit(
        Notification.threadTokenUsageUpdated,
        { ...ids, tokenUsage: { total: { ...totals }, last: running.lastUsage, modelContextWindow: window } },
        target,
      );
      if (rateLimits) this.events.emit(Notification.accountRateLimitsUpdated, { rateLimits }, target);
    };
    if (compaction) {
      this.events.emit(Notification.itemStarted, { ...ids, item: compaction, startedAtMs: Date.now() }, target);
      // A thread no model call has been made for yet has no usage to restate: Codex sends only the rate limits.
      if (thread.lastTokenUsage) announceUsage({ ...ZERO_USAGE, ...thread.lastTokenUsage }, UNKNOWN_RATE_LIMITS);
      else this.events.emit(Notification.accountRateLimitsUpdated, { rateLimits: UNKNOWN_RATE_LIMITS }, target);
    }

    const request = turn.request as {
      outputSchema?: unknown;
      model?: string | null;
      effort?: string | null;
      summary?: string | null;
    };
    let model = request.model ?? thread.model;
    let resolved = await this.providers(thread, model);
    // A review runs the config's `review_model` when it names one, as in Codex.
    if (review && resolved.reviewModel && resolved.reviewModel !== model) {
      model = resolved.reviewModel;
      resolved = await this.providers(thread, model);
    }
    running.contextWindow = reportedContextWindow(resolved.modelContextWindow, resolved.catalogWindow);
    // A compaction and a review offer the model no tools: a review's reviewer has no working tree here.
    const tools = isCompaction || review ? [] : (thread.dynamicTools as DynamicToolSpec[]).map(dynamicToolToFunctionTool);
    // The goal tools, in every turn that offers tools, as Codex 0.171.0 offers them (probed).
    if (!isCompaction && !review) tools.push(...GOAL_TOOLS);
    let lastAgentMessage: ThreadItem | undefined;
    // A review's conversation is its own: the reviewer's instructions in place of the thread's, its
    // prompt (shown as the user's message, kept out of the thread), and its own tool calls' answers.
    const reviewInput: Record<string, unknown>[] = [];
    if (review) {
      const prompt = userInputItem([{ type: "text", text: review.prompt }], null, Date.now());
      this.announceStoredItem(target, ids, prompt.item);
      reviewInput.push(
        ...contextInput({ ...thread.instructions, base: REVIEW_INSTRUCTIONS }, resolved.developerInstructions),
        prompt.responseItem as Record<string, unknown>,
      );
    }

    for (;;) {
      await this.takePendingInput(running, target, ids);
      const input = review
        ? [...reviewInput]
        : threadInput(
            thread.instructions,
            resolved.developerInstructions,
            await this.store.history(thread.tenant, thread.threadId),
          );
      if (isCompaction) input.push({ type: "message", role: "user", content: [{ type: "input_text", text: COMPACTION_PROMPT }] });
      const body = responsesRequestBody({
        model,
        input,
        tools,
        outputSchema: isCompaction ? undefined : request.outputSchema,
        reasoningEffort: request.effort ?? resolved.reasoningEffort,
        reasoningSummary: request.summary ?? resolved.reasoningSummary,
        promptCacheKey: thread.threadId,
        serviceTier: requestServiceTier(thread.serviceTier, resolved.serviceTiers),
      });
      const mode = isCompaction ? "compaction" : review ? "review" : "turn";
      let sampled: Awaited<ReturnType<TurnRunner["sample"]>>;
      try {
        sampled = await this.sample(resolved, body, running, target, ids, mode, thread.planMode, reviewInput);
      } catch (error) {
        if (error instanceof ProviderError) failedSampleUsage(error.rateLimits, error.turnError);
        // An interrupt of a call whose response had begun: its rate limits too, as Codex 0.171.0 (probed).
        else if (isAborted(error) && running.abortReason === "interrupt") failedSampleUsage(running.openedCall?.rateLimits);
        throw error;
      }
      // Cut short by input that joined the turn: announced as a call that ended early, then asked again with it.
      if (sampled.preempted) {
        failedSampleUsage(running.openedCall?.rateLimits);
        continue;
      }
      addUsage(totals, sampled.usage);
      running.lastUsage = sampled.usage;
      running.goalMeter.tokens += goalTokens(sampled.usage);
      // A turn's tool calls run before its call's usage is announced, as Codex 0.171.0 orders them (probed).
      const runsTools = !isCompaction && !review && sampled.toolCalls.length > 0;
      if (!runsTools) announceUsage(sampled.usage, sampled.rateLimits);
      if (sampled.lastAgentMessage) lastAgentMessage = sampled.lastAgentMessage;
      if (isCompaction && compaction) {
        const done = { ...compaction, completedAtMs: Date.now() };
        await this.storeOrFence(running, [{ item: done, responseItem: compactionResponseItem(sampled.text) }]);
        // The replaced history's size, estimated as Codex does it (about four bytes a token).
        const compacted = historyInput(await this.store.history(thread.tenant, thread.threadId));
        running.lastUsage = { ...ZERO_USAGE, totalTokens: Math.ceil(JSON.stringify(compacted).length / 4) };
        announceUsage(running.lastUsage, sampled.rateLimits);
        this.events.emit(
          Notification.itemCompleted,
          { ...ids, item: done, completedAtMs: done.completedAtMs as number, contentTokenCount: null },
          target,
        );
        running.isEnding = true;
        return { kind: "completed", items: [] };
      }
      if (review) {
        if (sampled.toolCalls.length > 0) {
          // The reviewer's tools are Codex's own (a shell in its working tree): none runs here.
          for (const call of sampled.toolCalls) {
            reviewInput.push(asRequestInput(call.responseItem), {
              type: "function_call_output",
              call_id: call.callId,
              output: `unsupported call: ${call.name}`,
            });
          }
          continue;
        }
        const closing = await this.closeReview(running, sampled.text);
        for (const item of closing) this.announceStoredItem(target, ids, item);
        running.isEnding = true;
        return { kind: "completed", items: closing.slice(-1) };
      }
      if (runsTools) {
        for (const call of sampled.toolCalls) {
          // The goal's progress is accounted after each tool that ran (update_goal accounts its own).
          const ran =
            call.name === GOAL_TOOL_NAMES.update
              ? await this.updateGoal(running, call, target, ids)
              : isGoalTool(call.name)
                ? await this.goalToolCall(running, call, target, ids)
                : await this.callTool(admitted, running, call, target, ids, signal);
          if (ran) await this.accountGoal(running, target, ids);
        }
        await this.tellBudgetSpent(running);
        announceUsage(sampled.usage, sampled.rateLimits);
        continue;
      }
      if (running.pendingInput.length > 0) continue;
      running.isEnding = true;
      return { kind: "completed", items: lastAgentMessage ? [lastAgentMessage] : [] };
    }
  }

  /**
   * Steered input (and input added by turn/start) joins the turn before the next model request, as
   * do model-only messages for it.
   */
  private async takePendingInput(
    running: RunningTurn,
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
  ) {
    if (running.pendingModelItems.length > 0) await this.storeOrFence(running, running.pendingModelItems.splice(0));
    while (running.pendingInput.length > 0) {
      const next = running.pendingInput.shift() as RunningTurn["pendingInput"][number];
      const user = userInputItem(next.input, next.clientUserMessageId, Date.now());
      await this.storeOrFence(running, [user]);
      this.announceStoredItem(target, ids, user.item);
    }
  }

  /** One model response: its items announced, streamed and stored as they complete. */
  private async sample(
    resolved: ResolveModelProviderResponse,
    body: Record<string, unknown>,
    running: RunningTurn,
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
    mode: "turn" | "compaction" | "review",
    planMode: boolean,
    /** A review's own conversation: what it outputs besides messages and tool calls joins it, not the thread. */
    reviewInput: Record<string, unknown>[],
  ) {
    const isCompaction = mode === "compaction";
    // A compaction's and a review's messages are not streamed: their text is the summary or the review
    // (a review's message is announced as started, as Codex's is).
    const isSilent = mode !== "turn";
    const usage: TokenUsageBreakdown = { ...ZERO_USAGE };
    const toolCalls: {
      callId: string;
      name: string;
      namespace: string | null;
      arguments: string;
      responseItem: Record<string, unknown>;
    }[] = [];
    /** Items being streamed; a message in plan mode also splits out its proposed plan (`plan`). */
    const open = new Map<
      string,
      { item: ThreadItem; text: string; summary: string[]; plan?: { splitter: ProposedPlanSplitter; item?: ThreadItem } }
    >();
    /** A plan-mode message's streamed text as the splitter cuts it: the message's deltas, the plan's. */
    const streamSplit = (itemId: string, plan: { item?: ThreadItem }, segments: PlanSegment[]) => {
      for (const segment of segments) {
        if (segment.kind === "message") {
          this.events.emit(Notification.agentMessageDelta, { ...ids, itemId, delta: segment.text }, target);
        } else if (segment.kind === "planStart" && !plan.item) {
          const now = Date.now();
          plan.item = planItem(newId(), "", now, null);
          this.events.emit(Notification.itemStarted, { ...ids, item: plan.item, startedAtMs: now }, target);
        } else if (segment.kind === "plan" && plan.item) {
          this.events.emit(Notification.planDelta, { ...ids, itemId: plan.item.id, delta: segment.text }, target);
        }
        // planEnd: the plan completes with its message, as Codex's does.
      }
    };
    let lastAgentMessage: ThreadItem | undefined;
    let text = "";
    let rateLimits: RateLimitSnapshot = UNKNOWN_RATE_LIMITS;
    const onRetry = (retry: { attempt: number; max: number; error: TurnError }) =>
      this.events.emit(
        Notification.error,
        {
          ...ids,
          error: { ...retry.error, message: `${retry.error.message} (retrying ${retry.attempt}/${retry.max})` },
          willRetry: true,
        },
        target,
      );
    // A turn's own call may be cut short by new input (RunningTurn.inFlightSample); a compaction's or a
    // review's takes none.
    const preempt = new AbortController();
    if (mode === "turn") running.inFlightSample = preempt;
    const stream: AsyncIterable<ResponsesStreamEvent> = streamResponses(resolved.provider, body, {
      signal: AbortSignal.any([running.abort.signal, preempt.signal]),
      egress: this.settings.providerEgress,
      onRetry,
    });
    // Once the response begins (its first event arrives), a call cut short announces its rate limits.
    running.openedCall = undefined;
    try {
      for await (const event of stream) {
        running.openedCall = { rateLimits };
        switch (event.type) {
          case "outputItemAdded": {
            const raw = event.item as Record<string, unknown>;
            const id = typeof raw.id === "string" && raw.id ? raw.id : newId();
            const now = Date.now();
            if (raw.type === "message" && mode === "review") {
              const item = agentMessageItem(id, "", now, null);
              this.events.emit(Notification.itemStarted, { ...ids, item, startedAtMs: now }, target);
            } else if (raw.type === "message" && !isSilent) {
              const item = agentMessageItem(id, "", now, null);
              open.set(id, {
                item,
                text: "",
                summary: [],
                plan: planMode ? { splitter: new ProposedPlanSplitter() } : undefined,
              });
              this.events.emit(Notification.itemStarted, { ...ids, item, startedAtMs: now }, target);
            } else if (raw.type === "reasoning" && !isSilent) {
              const item = reasoningItem(id, [], now, null);
              open.set(id, { item, text: "", summary: [] });
              this.events.emit(Notification.itemStarted, { ...ids, item, startedAtMs: now }, target);
            }
            break;
          }
          case "outputTextDelta": {
            text += event.delta;
            const entry = open.get(event.itemId);
            if (!entry) break;
            entry.text += event.delta;
            if (entry.plan) streamSplit(event.itemId, entry.plan, entry.plan.splitter.push(event.delta));
            else this.events.emit(Notification.agentMessageDelta, { ...ids, itemId: event.itemId, delta: event.delta }, target);
            break;
          }
          case "reasoningSummaryPartAdded": {
            const entry = open.get(event.itemId);
            if (!entry) break;
            entry.summary[event.summaryIndex] = entry.summary[event.summaryIndex] ?? "";
            this.events.emit(
              Notification.reasoningSummaryPartAdded,
              { ...ids, itemId: event.itemId, summaryIndex: event.summaryIndex },
              target,
            );
            break;
          }
          case "reasoningSummaryTextDelta": {
            const entry = open.get(event.itemId);
            if (!entry) break;
            entry.summary[event.summaryIndex] = (entry.summary[event.summaryIndex] ?? "") + event.delta;
            this.events.emit(
              Notification.reasoningSummaryTextDelta,
              { ...ids, itemId: event.itemId, delta: event.delta, summaryIndex: event.summaryIndex },
              target,
            );
            break;
          }
          case "outputItemDone": {
            const raw = event.item as Record<string, unknown>;
            if (raw.type === "function_call") {
              toolCalls.push({
                callId: String(raw.call_id ?? newId()),
                name: String(raw.name ?? ""),
                namespace: typeof raw.namespace === "string" ? raw.namespace : null,
                arguments: typeof raw.arguments === "string" ? raw.arguments : JSON.stringify(raw.arguments ?? {}),
                responseItem: raw,
              });
              break;
            }
            const id = typeof raw.id === "string" ? raw.id : "";
            const entry = open.get(id);
            const now = Date.now();
            if (raw.type === "message") {
              const finalText = messageText(raw) ?? entry?.text ?? "";
              if (isSilent) {
                if (mode === "review") reviewInput.push(asRequestInput(raw));
                text = finalText;
                break;
              }
              // In plan mode the proposed plan is an item of its own, completed just before its message;
              // the message keeps the text around it (the model's own item, sent back to it, keeps all).
              let plan: ThreadItem | undefined;
              let messageTextShown = finalText;
              if (planMode) {
                const planState: { item?: ThreadItem } = entry?.plan ?? {};
                if (entry?.plan) streamSplit(id, entry.plan, entry.plan.splitter.finish());
                const split = splitProposedPlan(finalText);
                messageTextShown = split.message;
                if (split.plan !== null) {
                  if (!planState.item) streamSplit(id, planState, [{ kind: "planStart" }]);
                  const started = planState.item as ThreadItem;
                  plan = planItem(started.id, split.plan, started.startedAtMs as number, now);
                }
              }
              const item = agentMessageItem(id || newId(), messageTextShown, (entry?.item.startedAtMs as number) ?? now, now);
              open.delete(id);
              await this.storeOrFence(running, [
                ...(plan ? [{ item: plan, responseItem: null }] : []),
                { item, responseItem: raw },
              ]);
              if (plan) {
                this.events.emit(
                  Notification.itemCompleted,
                  { ...ids, item: plan, completedAtMs: now, contentTokenCount: null },
                  target,
                );
              }
              this.events.emit(Notification.itemCompleted, { ...ids, item, completedAtMs: now, contentTokenCount: null }, target);
              lastAgentMessage = item;
            } else if (mode === "review") {
              reviewInput.push(asRequestInput(raw));
            } else if (raw.type === "reasoning") {
              const summary = reasoningSummary(raw) ?? entry?.summary ?? [];
              const item = reasoningItem(id || newId(), summary, (entry?.item.startedAtMs as number) ?? now, now);
              open.delete(id);
              await this.storeOrFence(running, [{ item: isCompaction ? null : item, responseItem: raw }]);
              if (!isCompaction) {
                this.events.emit(
                  Notification.itemCompleted,
                  { ...ids, item, completedAtMs: now, contentTokenCount: null },
                  target,
                );
              }
            } else {
              // Other output (web search calls, …): kept for the model, not shown.
              await this.storeOrFence(running, [{ item: null, responseItem: raw }]);
            }
            break;
          }
          case "rateLimits":
            rateLimits = event.snapshot;
            running.openedCall = { rateLimits };
            break;
          case "completed":
            if (event.usage) {
              usage.inputTokens = event.usage.inputTokens;
              usage.cachedInputTokens = event.usage.cachedInputTokens;
              usage.outputTokens = event.usage.outputTokens;
              usage.reasoningOutputTokens = event.usage.reasoningOutputTokens;
              usage.totalTokens = event.usage.totalTokens;
            }
            break;
          default:
            break;
        }
      }
    } catch (error) {
      // Cut short by new input (not by an interrupt or the turn's end): the turn asks again.
      if (isAborted(error) && preempt.signal.aborted && !running.abort.signal.aborted) {
        return { usage, toolCalls: [], lastAgentMessage: undefined, text: "", rateLimits, preempted: true };
      }
      throw error;
    } finally {
      if (running.inFlightSample === preempt) running.inFlightSample = undefined;
    }
    return { usage, toolCalls, lastAgentMessage, text, rateLimits, preempted: false };
  }

  /** A dynamic tool the client declared: the clients are asked, the first answer goes to the model. */
  private async callTool(
    admitted: AdmittedTurn,
    running: RunningTurn,
    call: { callId: string; name: string; namespace: string | null; arguments: string; responseItem: Record<string, unknown> },
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
    signal: AbortSignal,
  ): Promise<boolean> {
    const found = findDynamicTool(admitted.thread.dynamicTools as DynamicToolSpec[], call.name);
    const tool = found ? { name: found.name, namespace: found.namespace ?? null } : undefined;
    const startedAtMs = Date.now();
    let args: unknown;
    try {
      args = JSON.parse(call.arguments || "{}");
    } catch {
      args = call.arguments;
    }
    if (!tool) {
      // The model named a tool nobody declared: it is told so, in the binary's words, and goes on.
      const output = { type: "function_call_output", call_id: call.callId, output: `unsupported call: ${call.name}` };
      await this.storeOrFence(running, [
        { item: null, responseItem: call.responseItem },
        { item: null, responseItem: output },
      ]);
      return false;
    }
    const base = { callId: call.callId, namespace: tool.namespace, tool: tool.name, arguments: args, startedAtMs };
    const started = dynamicToolCallItem({
      ...base,
      status: "inProgress",
      contentItems: null,
      success: null,
      completedAtMs: null,
    });
    this.events.emit(Notification.itemStarted, { ...ids, item: started, startedAtMs }, target);
    const { pauseClock } = this.settings;
    const answer = await this.bus.askClients(
      target.tenant,
      target.threadId,
      {
        method: ServerRequestMethod.dynamicToolCall,
        threadId: target.threadId,
        params: { ...ids, callId: call.callId, namespace: tool.namespace, tool: tool.name, arguments: args },
      },
      this.settings.toolCallTimeoutMs,
      signal,
      pauseClock && (() => pauseClock(target.tenant, target.threadId)),
    );
    let response: DynamicToolCallResponse;
    if (!answer) {
      response = {
        success: false,
        contentItems: [
          {
            type: "inputText",
            text: `no client answered the ${tool.name} tool call within ${this.settings.toolCallTimeoutMs} ms`,
          },
        ],
      };
    } else if ("error" in answer) {
      // Codex 0.171.0's words, whatever the client said (probed): for an error answer, and for a
      // result the gateway could not use (the wrong shape, too large; its `data.reason`).
      const isInvalid = (answer.error.data as { reason?: unknown } | undefined)?.reason === "invalidResponse";
      const text = isInvalid ? "dynamic tool response was invalid" : "dynamic tool request failed";
      response = { success: false, contentItems: [{ type: "inputText", text }] };
    } else {
      const parsed = DynamicToolCallResponseSchema.safeParse(answer.result);
      response = parsed.success
        ? parsed.data
        : {
            success: false,
            contentItems: [{ type: "inputText", text: "dynamic tool response was invalid" }],
          };
    }
    const completedAtMs = Date.now();
    const completed = dynamicToolCallItem({
      ...base,
      status: response.success ? "completed" : "failed",
      contentItems: response.contentItems,
      success: response.success,
      completedAtMs,
    });
    await this.storeOrFence(running, [
      { item: completed, responseItem: call.responseItem },
      { item: null, responseItem: toolOutput(call.callId, response.contentItems as Record<string, unknown>[]) },
    ]);
    this.events.emit(Notification.itemCompleted, { ...ids, item: completed, completedAtMs, contentTokenCount: null }, target);
    return true;
  }

  /** What the turn has spent toward its goal since it was last accounted, and that it has been. */
  private takeGoalProgress(running: RunningTurn): GoalProgress {
    const meter = running.goalMeter;
    const seconds = Math.floor((Date.now() - meter.sinceMs) / 1000);
    const progress = { tokens: meter.tokens, seconds };
    meter.tokens = 0;
    meter.sinceMs += seconds * 1000;
    return progress;
  }

  /** The turn's progress on the thread's goal, accounted and announced when it counted. */
  private async accountGoal(
    running: RunningTurn,
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
  ): Promise<void> {
    if (running.goalMeter.tokens === 0) return;
    const goal = await this.store.accountGoalProgress(running.lease, this.takeGoalProgress(running));
    if (goal === false) this.fencedOut(running);
    if (goal) this.announceGoal(running, goal, target, ids);
  }

  private announceGoal(
    running: RunningTurn,
    goal: ThreadGoal,
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
  ): void {
    this.events.emit(Notification.threadGoalUpdated, { ...ids, goal }, target);
    if (goal.status === "budgetLimited" && !running.goalMeter.isBudgetSpentTold) running.budgetSpentGoal = goal;
  }

  /** A goal whose budget this turn's tool calls spent: the model is told to wrap up, once, before it is asked again. */
  private async tellBudgetSpent(running: RunningTurn): Promise<void> {
    const goal = running.budgetSpentGoal;
    if (!goal) return;
    running.budgetSpentGoal = undefined;
    running.goalMeter.isBudgetSpentTold = true;
    await this.storeOrFence(running, [goalBudgetSpentItem(goal)]);
  }

  /**
   * The model's `update_goal`, as Codex 0.171.0 answers it (probed): arguments it cannot use are
   * refused in Codex's words with nothing accounted; otherwise the turn's progress is accounted
   * first, then the new status stored; each announced. It accounts its own progress (false).
   */
  private async updateGoal(
    running: RunningTurn,
    call: { callId: string; arguments: string; responseItem: Record<string, unknown> },
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
  ): Promise<false> {
    const requested = requestedGoalStatus(call.arguments);
    let output: string;
    if ("error" in requested) {
      output = requested.error;
    } else {
      const changed = await this.store.setGoalStatus(running.lease, requested.status, this.takeGoalProgress(running));
      if (changed === false) this.fencedOut(running);
      if (changed) {
        if (changed.accounted) this.announceGoal(running, changed.accounted, target, ids);
        this.events.emit(Notification.threadGoalUpdated, { ...ids, goal: changed.goal }, target);
        output = goalToolAnswer(changed.goal, { justCompleted: requested.status === "complete" });
      } else {
        output = GOAL_TOOL_REFUSALS.noGoal;
      }
    }
    await this.storeToolOutput(running, call, output);
    return false;
  }

  /**
   * The model's `get_goal` (the goal as stored, before this call's progress is accounted) and
   * `create_goal` (a new active goal, unless one is unfinished; what the turn spent before it counts
   * toward none), answered as Codex 0.171.0 answers them (probed). The tool ran: true.
   */
  private async goalToolCall(
    running: RunningTurn,
    call: { callId: string; name: string; arguments: string; responseItem: Record<string, unknown> },
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
  ): Promise<true> {
    const { tenant, threadId } = running.lease;
    let output: string;
    if (call.name === GOAL_TOOL_NAMES.get) {
      output = goalToolAnswer(await this.store.goalOf(tenant, threadId));
    } else {
      const wanted = requestedGoal(call.arguments);
      if ("error" in wanted) {
        output = wanted.error;
      } else {
        const created = await this.store.createGoal(running.lease, wanted, running.rootTurnId);
        if (created === false) this.fencedOut(running);
        if ("unfinished" in created) {
          output = GOAL_TOOL_REFUSALS.unfinishedGoal;
        } else {
          this.takeGoalProgress(running);
          running.goalMeter.isBudgetSpentTold = false;
          this.events.emit(Notification.threadGoalUpdated, { ...ids, goal: created.goal }, target);
          output = goalToolAnswer(created.goal);
        }
      }
    }
    await this.storeToolOutput(running, call, output);
    return true;
  }

  /** A model-only tool call and its output, stored in the thread's history. */
  private async storeToolOutput(
    running: RunningTurn,
    call: { callId: string; responseItem: Record<string, unknown> },
    output: string,
  ): Promise<void> {
    await this.storeOrFence(running, [
      { item: null, responseItem: call.responseItem },
      { item: null, responseItem: { type: "function_call_output", call_id: call.callId, output } },
    ]);
  }

  /** The turn is no longer this runner's: its run stops here. */
  private fencedOut(running: RunningTurn): never {
    running.abortReason = "fencedOut";
    running.abort.abort();
    throw new FencedOut();
  }

  /** Stores items under the lease; a lost fence aborts the run (someone else ended the turn). */
  private async storeOrFence(running: RunningTurn, items: TurnItem[]): Promise<void> {
    const isStored = await this.store.appendItems(running.lease, items);
    if (!isStored) this.fencedOut(running);
  }

  private announceStoredItem(
    target: { tenant: string; threadId: string },
    ids: { threadId: string; turnId: string },
    item: ThreadItem,
  ) {
    const at = (item.completedAtMs as number | undefined) ?? Date.now();
    this.events.emit(Notification.itemStarted, { ...ids, item: { ...item, completedAtMs: null }, startedAtMs: at }, target);
    this.events.emit(Notification.itemCompleted, { ...ids, item, completedAtMs: at, contentTokenCount: null }, target);
  }

  private endingOf(error: unknown, running: RunningTurn): Ending {
    if (error instanceof FencedOut || running.abortReason === "fencedOut") return { kind: "fencedOut" };
    if (running.abortReason === "interrupt") return { kind: "interrupted" };
    if (running.abortReason === "shutdown") {
      return {
        kind: "failed",
        error: otherError("the Switchyard instance running this turn shut down before it finished; send the prompt again"),
      };
    }
    if (error instanceof ProviderError) return { kind: "failed", error: error.turnError };
    if (error instanceof SwitchyardError) return { kind: "failed", error: otherError(error.message) };
    if (isAborted(error)) return { kind: "interrupted" };
    this.log.error({ err: (error as Error).message }, "turn failed unexpectedly");
    return { kind: "failed", error: otherError(`internal error: ${(error as Error).message}`) };
  }

  /**
   * Ends the turn, retrying while Postgres is briefly unavailable (the lease is still being renewed
   * meanwhile, so nobody takes the turn over); after the last attempt the sweeper ends it.
   */
  private async completeWithRetries(lease: TurnLease, ending: Parameters<TurnStore["complete"]>[1]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.complete(lease, ending);
      } catch (error) {
        if (attempt >= 6) throw error;
        this.log.warn(
          { err: (error as Error).message, turnId: lease.turnId, attempt },
          "could not store a turn's ending; retrying",
        );
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  private async finish(
    admitted: AdmittedTurn,
    running: RunningTurn,
    ending: Ending,
    totals: TokenUsageBreakdown,
    closing: ThreadItem[] = [],
  ): Promise<void> {
    if (ending.kind === "fencedOut") {
      this.log.warn({ turnId: admitted.turn.id }, "turn lease lost: another instance ended it; stopping quietly");
      return;
    }
    const { thread } = admitted;
    const target = { tenant: thread.tenant, threadId: thread.threadId };
    const ended = await this.completeWithRetries(running.lease, {
      status: ending.kind,
      error: ending.kind === "failed" ? ending.error : null,
      items: ending.kind === "interrupted" ? [{ item: null, responseItem: turnAbortedMessage(admitted.turn.kind) }] : [],
      tokenUsage: totals,
      lastTokenUsage: running.lastUsage && {
        turnId: running.lease.turnId,
        usage: running.lastUsage,
        ...(running.contextWindow === undefined ? {} : { modelContextWindow: running.contextWindow }),
      },
      goalProgress: { ...this.takeGoalProgress(running), blocksOnFailure: running.abortReason !== "shutdown" },
      // A completed turn owes an active goal its next turn, and so does one our shutdown ended (the
      // goal carries on elsewhere); an interrupt or a failure does not, as in Codex. Nor does a turn
      // whose instance died (its sweeper's take-over): a turn that kills its instance must not hop
      // from instance to instance.
      continueGoalAs: ending.kind === "completed" || running.abortReason === "shutdown" ? thread.subject : undefined,
    });
    if (!ended) return; // taken over meanwhile: its taker announced the ending
    // Codex's order: the goal's usage after the turn's, before the thread goes idle.
    if (ended.goal) {
      this.events.emit(Notification.threadGoalUpdated, { threadId: thread.threadId, turnId: ended.id, goal: ended.goal }, target);
    }
    announceEnding(this.events, target, ended, ending.kind === "completed" ? ending.items : [], closing);
    running.owesNextTurn = ended.owesNextTurn === true;
    const durationMs = ended.completed_at ? ended.completed_at.getTime() - ended.started_at.getTime() : null;
    const fields = { tenant: thread.tenant, threadId: thread.threadId, turnId: ended.id, status: ended.status, durationMs };
    if (ending.kind === "failed") this.log.warn({ ...fields, error: ending.error.message }, "turn failed");
    else this.log.info({ ...fields, totalTokens: totals.totalTokens }, "turn ended");
  }
}

/** The notifications that close a turn, in Codex's order. */
export function announceEnding(
  events: EventPublisher,
  target: { tenant: string; threadId: string },
  ended: TurnRow,
  items: ThreadItem[],
  /** Items that close the turn (an unfinished review's), announced just before turn/completed. */
  closing: ThreadItem[] = [],
): void {
  const threadId = target.threadId;
  // To the tenant (another subject than the turn's): its order against the turn's notifications is not fixed.
  if (ended.readState)
    events.emit(Notification.threadReadStateChanged, { threadId, readState: ended.readState }, { tenant: target.tenant });
  if (ended.status === "failed") {
    events.emit(Notification.threadStatusChanged, { threadId, status: { type: "systemError" } }, target);
    const error = ended.error ?? otherError("the turn failed");
    events.emit(Notification.error, { threadId, turnId: ended.id, error, willRetry: false }, target);
  } else {
    events.emit(Notification.threadStatusChanged, { threadId, status: { type: "idle" } }, target);
  }
  for (const item of closing) {
    const at = (item.completedAtMs as number | undefined) ?? Date.now();
    events.emit(
      Notification.itemStarted,
      { threadId, turnId: ended.id, item: { ...item, completedAtMs: null }, startedAtMs: at },
      target,
    );
    events.emit(
      Notification.itemCompleted,
      { threadId, turnId: ended.id, item, completedAtMs: at, contentTokenCount: null },
      target,
    );
  }
  const turn = turnView(ended, items, items.length > 0 ? "summary" : "notLoaded");
  events.emit(Notification.turnCompleted, { threadId, turn }, target);
}

class FencedOut extends Error {
  constructor() {
    super("the turn's lease is held by someone else");
  }
}

function addUsage(totals: TokenUsageBreakdown, last: TokenUsageBreakdown): void {
  totals.inputTokens += last.inputTokens;
  totals.cachedInputTokens += last.cachedInputTokens;
  totals.outputTokens += last.outputTokens;
  totals.reasoningOutputTokens += last.reasoningOutputTokens;
  totals.totalTokens += last.totalTokens;
}

/** The text of a model `message` output item (its output_text parts), if it has any. */
export function messageText(raw: Record<string, unknown>): string | undefined {
  if (!Array.isArray(raw.content)) return undefined;
  return (raw.content as Record<string, unknown>[])
    .filter((part) => part.type === "output_text" && typeof part.text === "string")
    .map((part) => part.text as string)
    .join("");
}

function reasoningSummary(raw: Record<string, unknown>): string[] | undefined {
  if (!Array.isArray(raw.summary)) return undefined;
  return (raw.summary as Record<string, unknown>[]).map((part) => String(part.text ?? ""));
}
