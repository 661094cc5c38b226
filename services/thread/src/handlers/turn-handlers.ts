// Request handlers for turns: turn/start, turn/steer, turn/interrupt, thread/compact/start,
// review/start. They run
// on the keyed lane (exclusive on the thread) and stay short: admission is one ledger transaction
// (a redelivered command is answered as the first time and starts nothing), the model runs in the
// TurnRunner afterwards. Steering and interrupts reach the instance running the turn over turn
// control; when nobody answers there (its instance died), the turn is closed here instead.
import {
  INTERNAL_ERROR_CODE,
  INVALID_REQUEST_CODE,
  Method,
  Notification,
  type ReviewStartParams,
  type ReviewStartResponse,
  STEP_SETTINGS_FIELDS,
  SwitchyardError,
  type ThreadSettings,
  type ThreadSettingsUpdateParams,
  type Turn,
  type TurnError,
  type TurnInterruptParams,
  type TurnSettingsUpdateParams,
  type TurnSettingsUpdateResponse,
  type TurnStartParams,
  type TurnSteerParams,
  type UserInput,
  type WireError,
} from "@switchyard/protocol";
import { type EventPublisher, type HandlerContext, type HandlersFor, newId } from "@switchyard/runtime";
import type { LifecycleStore } from "../store/lifecycle-store.js";
import type { ThreadRow } from "../store/thread-store.js";
import type { StoredSettings } from "../thread-view.js";
import { reviewRequest } from "../turns/review.js";
import type { TurnBus } from "../turns/turn-bus.js";
import { admittedTurnView, previewOf, userInputItem } from "../turns/turn-items.js";
import { announceEnding, TURN_ENDING, type TurnRunner, turnThread } from "../turns/turn-runner.js";
import type { TurnRow, TurnStore } from "../turns/turn-store.js";
import { effectiveSettings, resolveCwd, updatedSettings } from "./lifecycle-handlers.js";
import type { ThreadDefaults } from "./thread-handlers.js";

type TurnMethodName =
  | "turn/start"
  | "turn/steer"
  | "turn/interrupt"
  | "turn/settings/update"
  | "thread/compact/start"
  | "review/start";

export interface TurnHandlerSettings {
  instanceId: string;
  leaseMs: number;
  /** How long turn control waits for the instance running a turn. */
  controlTimeoutMs: number;
}

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });
const unreachableError = (turnId: string): TurnError => ({
  message: `the Switchyard instance running turn ${turnId} stopped before it finished; send the prompt again`,
  codexErrorInfo: "other",
  additionalDetails: null,
  misalignment: null,
});

export function turnHandlers(deps: {
  lifecycle: LifecycleStore;
  turns: TurnStore;
  runner: TurnRunner;
  bus: TurnBus;
  events: EventPublisher;
  defaults: ThreadDefaults;
  settings: TurnHandlerSettings;
}): Pick<HandlersFor<"thread">, TurnMethodName> {
  const { lifecycle, turns, runner, bus, events, defaults, settings } = deps;
  const tenantOf = (context: HandlerContext) => context.request.caller.tenant;

  /**
   * Ends a running turn nobody answers for (no responders on its control subject) once its lease
   * has lapsed too: "no responders" alone may be a runner between NATS reconnects, or a subscription
   * still propagating in a cluster, and a live runner keeps renewing. Otherwise: busy, retry.
   */
  async function closeOrphan(tenant: string, running: TurnRow, status: "failed" | "interrupted"): Promise<void> {
    const ended = await turns.takeOver(tenant, running.thread_id, running.id, {
      status,
      error: status === "failed" ? unreachableError(running.id) : null,
      onlyIfLeaseExpired: true,
    });
    if (!ended) {
      // Ended meanwhile (by its runner or the sweeper) is fine; still running means someone holds it.
      if (await turns.runningTurn(undefined, tenant, running.thread_id)) throw busyError(running.id);
      return;
    }
    announceEnding(events, { tenant, threadId: running.thread_id }, ended, []);
  }

  /**
   * No turn runs on the thread: Codex says so only of a thread it has loaded; any other (unknown,
   * archived, unloaded) is not found.
   */
  async function noActiveTurn(tenant: string, threadId: string, action: "steer" | "interrupt"): Promise<never> {
    const row = await lifecycle.transaction(tenant, (tx) => lifecycle.lockThread(tx, tenant, threadId));
    if (!row?.loaded_at || row.archived_at) throw new SwitchyardError({ reason: "threadNotFound", threadId });
    throw invalid(`no active turn to ${action}`);
  }

  /** Admits a new turn (regular, compaction or review; `extra` joins its request) and starts it on this instance. */
  async function admit(
    context: HandlerContext,
    threadId: string,
    kind: TurnRow["kind"],
    input: UserInput[],
    params: Partial<TurnStartParams>,
    extra: Record<string, unknown> = {},
  ): Promise<{ turn: Turn }> {
    const tenant = tenantOf(context);
    const user =
      kind === "regular" && input.length > 0 ? userInputItem(input, params.clientUserMessageId ?? null, Date.now()) : undefined;
    let admitted: { row: ThreadRow; turn: TurnRow } | undefined;
    let changedSettings: ThreadSettings | undefined;
    const { result, isReplay } = await lifecycle.applyOnce(
      tenant,
      { commandId: context.request.commandId, method: context.request.method, threadId },
      async (tx) => {
        const row = await lifecycle.lockThread(tx, tenant, threadId);
        // Codex: an archived thread is not found; one that is stored but not loaded, not loaded.
        if (!row || row.archived_at) throw new SwitchyardError({ reason: "threadNotFound", threadId });
        if (!row.loaded_at) throw invalid(`thread not loaded: ${threadId}`);
        if (await turns.runningTurn(tx, tenant, threadId)) throw invalid("a turn is already running on this thread");
        // Per-turn overrides last for later turns too, and announce changed settings, as in Codex.
        const before = effectiveSettings(row, defaults.model);
        const overrides = {
          model: params.model,
          cwd: params.cwd,
          serviceTier: params.serviceTier,
          approvalPolicy: params.approvalPolicy,
          approvalsReviewer: params.approvalsReviewer,
          sandboxPolicy: params.sandboxPolicy,
          effort: params.effort as ThreadSettingsUpdateParams["effort"],
          summary: params.summary as ThreadSettingsUpdateParams["summary"],
          collaborationMode: params.collaborationMode as ThreadSettingsUpdateParams["collaborationMode"],
          disabledPluginIds: params.disabledPluginIds,
        };
        const { settings: nextSettings, model } = updatedSettings(row.settings as unknown as StoredSettings, overrides);
        const updated =
          JSON.stringify(nextSettings) !== JSON.stringify(row.settings) || model || params.cwd != null
            ? await lifecycle.updateThread(
                tx,
                tenant,
                threadId,
                "settings = $3::jsonb, model = coalesce($4, model), cwd = coalesce($5, cwd)",
                [JSON.stringify(nextSettings), model ?? null, params.cwd == null ? null : resolveCwd(defaults.cwd, params.cwd)],
              )
            : row;
        const after = effectiveSettings(updated, defaults.model);
        if (JSON.stringify(before) !== JSON.stringify(after)) changedSettings = after;
        const turnId = newId();
        const turn = await turns.admit(tx, {
          tenant,
          threadId,
          turnId,
          rootTurnId: params.rootTurnId ?? turnId,
          kind,
          owner: settings.instanceId,
          leaseMs: settings.leaseMs,
          request: {
            outputSchema: params.outputSchema ?? null,
            model: model ?? null,
            effort: nextSettings.effort ?? null,
            summary: params.summary ?? (updated.settings as { summary?: string }).summary ?? null,
            ...extra,
          },
          items: user ? [user] : [],
          preview: previewOf(input),
        });
        admitted = { row: updated, turn };
        return { turn: admittedTurnView(turn) };
      },
    );
    if (changedSettings && !isReplay) {
      events.emit(Notification.threadSettingsUpdated, { threadId, threadSettings: changedSettings }, { tenant, threadId });
    }
    if (!isReplay && admitted) {
      runner.start({
        thread: turnThread(admitted.row, defaults, context.request.caller.subject),
        turn: admitted.turn,
        userItems: user ? [user.item] : [],
      });
    }
    return result;
  }

  async function start(params: TurnStartParams, context: HandlerContext) {
    const tenant = tenantOf(context);
    // Checked before anything is admitted: input a cloud thread cannot take is refused whole.
    if (params.input.length > 0) userInputItem(params.input, null, 0);
    const running = await turns.runningTurn(undefined, tenant, params.threadId);
    if (running && running.kind !== "regular") throw notSteerable(running.kind, "start");
    if (running) {
      // As in Codex: turn/start while a turn runs adds its input to that turn and answers with it.
      const outcome = await bus.send(
        tenant,
        params.threadId,
        {
          type: "addInput",
          commandId: context.request.commandId,
          input: params.input,
          clientUserMessageId: params.clientUserMessageId ?? null,
        },
        settings.controlTimeoutMs,
      );
      if (outcome.ok) return { turn: admittedTurnView(running) };
      if ("error" in outcome && isTurnEnding(outcome.error)) {
        // It is closing and takes no more input: the prompt starts the next turn once it has ended.
        await waitForTurnEnd(turns, tenant, params.threadId, settings.controlTimeoutMs);
      } else if ("error" in outcome) {
        throw new SwitchyardError({ reason: "relayed", error: outcome.error });
      } else if (outcome.unreachable === "timeout") {
        throw busyError(running.id);
      } else {
        await closeOrphan(tenant, running, "failed");
      }
    }
    return admit(context, params.threadId, "regular", params.input, params);
  }

  async function steer(params: TurnSteerParams, context: HandlerContext) {
    const tenant = tenantOf(context);
    // Codex's order: the running turn, its id, then the input.
    const running = await turns.runningTurn(undefined, tenant, params.threadId);
    if (!running) return noActiveTurn(tenant, params.threadId, "steer");
    if (running.id !== params.expectedTurnId) {
      throw invalid(`expected active turn id \`${params.expectedTurnId}\` but found \`${running.id}\``);
    }
    if (running.kind !== "regular") throw notSteerable(running.kind, "steer");
    if (params.input.length === 0) throw invalid("input must not be empty");
    userInputItem(params.input, null, 0);
    const outcome = await bus.send(
      tenant,
      params.threadId,
      {
        type: "steer",
        commandId: context.request.commandId,
        expectedTurnId: params.expectedTurnId,
        input: params.input,
        clientUserMessageId: params.clientUserMessageId ?? null,
      },
      settings.controlTimeoutMs,
    );
    if (outcome.ok) return { turnId: outcome.turnId };
    if ("error" in outcome && isTurnEnding(outcome.error)) throw invalid("no active turn to steer");
    if ("error" in outcome) throw new SwitchyardError({ reason: "relayed", error: outcome.error });
    if (outcome.unreachable === "timeout") throw busyError(running.id);
    await closeOrphan(tenant, running, "failed");
    throw invalid("no active turn to steer");
  }

  /**
   * turn/settings/update as Codex 0.171.0 answers it with its `step_model_switching` feature off (its
   * default, and Switchyard switches no model mid-turn): a change to the turn's model steps (`model`,
   * `effort`, `summary`, `serviceTier`, even to null), or no change at all, is refused; the approvals
   * reviewer and the environments are published to the running turn (`applied`: Switchyard's turns
   * route no approvals and run in no environment, so nothing later differs), or there is no such turn
   * running (`targetUnavailable`). Only a loaded thread is found, as for steer and interrupt.
   */
  async function updateSettings(params: TurnSettingsUpdateParams, context: HandlerContext): Promise<TurnSettingsUpdateResponse> {
    // The thread is found first (Codex 0.171.0's order), then the update is read.
    const tenant = tenantOf(context);
    const row = await lifecycle.transaction(tenant, (tx) => lifecycle.lockThread(tx, tenant, params.threadId));
    if (!row?.loaded_at || row.archived_at) throw new SwitchyardError({ reason: "threadNotFound", threadId: params.threadId });
    const touchesSteps = STEP_SETTINGS_FIELDS.some((field) => field in params);
    if (touchesSteps || (params.approvalsReviewer == null && params.environments == null)) {
      throw invalid("turn settings updates require the step_model_switching feature");
    }
    const running = await turns.runningTurn(undefined, tenant, params.threadId);
    return { status: running?.id === params.turnId ? "applied" : "targetUnavailable" };
  }

  async function interrupt(params: TurnInterruptParams, context: HandlerContext) {
    const tenant = tenantOf(context);
    const running = await turns.runningTurn(undefined, tenant, params.threadId);
    if (!running) return noActiveTurn(tenant, params.threadId, "interrupt");
    if (running.id !== params.turnId) throw invalid(`expected active turn id ${params.turnId} but found ${running.id}`);
    const outcome = await bus.send(
      tenant,
      params.threadId,
      { type: "interrupt", commandId: context.request.commandId, turnId: params.turnId },
      settings.controlTimeoutMs,
    );
    if (outcome.ok) return {};
    // Already closing: its turn/completed is on its way, as an interrupt's would be.
    if ("error" in outcome && isTurnEnding(outcome.error)) return {};
    if ("error" in outcome) throw new SwitchyardError({ reason: "relayed", error: outcome.error });
    if (outcome.unreachable === "timeout") throw busyError(running.id);
    // Nobody runs it any more: the interrupt ends it here.
    await closeOrphan(tenant, running, "interrupted");
    return {};
  }

  /**
   * As Codex replaces a running task with a new one: the thread's running turn is interrupted and has
   * ended. Not for a redelivered command: the turn running may be the one it admitted the first time.
   */
  async function replaceRunning(tenant: string, threadId: string, context: HandlerContext): Promise<void> {
    if (await lifecycle.wasApplied(tenant, context.request.commandId)) return;
    const running = await turns.runningTurn(undefined, tenant, threadId);
    if (!running) return;
    await interrupt({ threadId, turnId: running.id }, context);
    await waitForTurnEnd(turns, tenant, threadId, settings.controlTimeoutMs);
  }

  async function compact(params: { threadId: string }, context: HandlerContext) {
    await replaceRunning(tenantOf(context), params.threadId, context);
    await admit(context, params.threadId, "compact", [], {});
    return {};
  }

  /**
   * review/start as Codex 0.171.0 takes it: the thread is found before the target is checked; a turn
   * running on it is interrupted first (Codex replaces it with the review). The answer is the review's
   * turn, its one item the review's label as a user message (under the turn's id), on the same thread.
   */
  async function review(params: ReviewStartParams, context: HandlerContext): Promise<ReviewStartResponse> {
    const tenant = tenantOf(context);
    const row = await lifecycle.transaction(tenant, (tx) => lifecycle.lockThread(tx, tenant, params.threadId));
    if (!row || row.archived_at) throw new SwitchyardError({ reason: "threadNotFound", threadId: params.threadId });
    const request = reviewRequest(params.target);
    await replaceRunning(tenant, params.threadId, context);
    const { turn } = await admit(context, params.threadId, "review", [], {}, { review: request });
    const label = {
      type: "userMessage",
      id: turn.id,
      clientId: null,
      content: [{ type: "text", text: request.hint, text_elements: [] }],
      startedAtMs: null,
      completedAtMs: null,
    };
    return { turn: { ...turn, rootTurnId: null, items: [label] }, reviewThreadId: params.threadId };
  }

  return {
    [Method.reviewStart]: review,
    [Method.turnStart]: start,
    [Method.turnSteer]: steer,
    [Method.turnInterrupt]: interrupt,
    [Method.turnSettingsUpdate]: updateSettings,
    [Method.threadCompactStart]: compact,
  };
}

const isTurnEnding = (error: WireError) => (error.data as { reason?: string } | undefined)?.reason === TURN_ENDING;

/** Waits (bounded) until the thread's closing turn has ended, so the next one can be admitted. */
async function waitForTurnEnd(turns: TurnStore, tenant: string, threadId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await turns.runningTurn(undefined, tenant, threadId))) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Input for a compaction or a review, which take none: a steer is refused as Codex refuses it (its turn
 * error as the error's data), a turn/start with Codex's internal error.
 */
function notSteerable(kind: "compact" | "review", action: "steer" | "start"): SwitchyardError {
  if (action === "start") {
    const turnKind = kind === "compact" ? "Compact" : "Review";
    return new SwitchyardError({
      reason: "relayed",
      error: {
        code: INTERNAL_ERROR_CODE,
        message: `failed to submit turn input: ActiveTurnNotSteerable { turn_kind: ${turnKind} }`,
      },
    });
  }
  const message = `cannot steer a ${kind} turn`;
  const data = {
    message,
    codexErrorInfo: { activeTurnNotSteerable: { turnKind: kind } },
    additionalDetails: null,
    misalignment: null,
  };
  return new SwitchyardError({ reason: "relayed", error: { code: INVALID_REQUEST_CODE, message, data } });
}

/** The running turn's instance is alive but did not answer in time. */
function busyError(turnId: string): SwitchyardError {
  return new SwitchyardError({
    reason: "invalidArgument",
    message: `the instance running turn ${turnId} did not answer in time; retry`,
  });
}
