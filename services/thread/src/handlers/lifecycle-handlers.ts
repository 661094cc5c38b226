// Handlers for the thread lifecycle beyond start/read/list/rename: resume, fork, archive, unarchive,
// delete, unsubscribe, loaded/list, metadata, goals, settings, turns and items pages, injected items,
// read state and realtime history. Error texts are Codex's (verified against the 0.171.0 binary).
import { posix } from "node:path";
import {
  clip,
  FULL_HISTORY_DEPRECATION,
  keptServiceTier,
  Method,
  Notification,
  type ResolvePermissionProfileResponse,
  type ResolveThreadConfigResponse,
  SwitchyardError,
  summaryThreadKey,
  type Thread,
  type ThreadForkParams,
  type ThreadGoal,
  type ThreadGoalSetParams,
  type ThreadMetadataUpdateParams,
  type ThreadReadState,
  type ThreadResumeParams,
  type ThreadResumeResponse,
  type ThreadSettings,
  type ThreadSettingsUpdateParams,
  type ThreadStartResponse,
  type ThreadTurnsListResponse,
  type TokenUsageBreakdown,
  type Turn,
  type TurnItemsView,
} from "@switchyard/protocol";
import { type BusRequest, type HandlerContext, type HandlersFor, newId, type TenantQueryable } from "@switchyard/runtime";
import { CLIENT_THREAD_SOURCE } from "../source-kinds.js";
import type { AttachmentStore } from "../store/attachment-store.js";
import { type LifecycleStore, type NewItem, NO_THREAD, type StoredItemRow } from "../store/lifecycle-store.js";
import { decodePageCursor, openingCursor, pageBounds, pageCursors } from "../store/page-cursor.js";
import { isProjectGone, type ProjectStore } from "../store/project-store.js";
import { isThreadId, type ThreadRow, type ThreadStore } from "../store/thread-store.js";
import { decodeTurnCursor, isTurnCursor, turnCursorBounds } from "../store/turn-cursor.js";
import {
  hasNoRollout,
  hasNothingRecorded,
  readStateView,
  type StoredSettings,
  sandboxPolicy,
  sessionView,
  type TurnState,
  threadView,
  turnsView,
} from "../thread-view.js";
import { FALLBACK_REPORTED_CONTEXT_WINDOW } from "../turns/context-window.js";
import { goalInOrder } from "../turns/goal-turns.js";
import { ZERO_USAGE } from "../turns/turn-runner.js";
import type { NextTurn } from "../turns/turn-store.js";
import { pageSize } from "./page-size.js";
import { projectNotFound } from "./project-handlers.js";
import {
  answeredSession,
  configOverridesOf,
  instructionsOf,
  sessionSettings,
  type ThreadConfigSource,
  type ThreadDefaults,
} from "./thread-handlers.js";

type LifecycleMethodName =
  | "getConversationSummary"
  | "thread/prepareApprovedPlan"
  | "thread/resume"
  | "thread/fork"
  | "thread/archive"
  | "thread/unarchive"
  | "thread/revert"
  | "thread/delete"
  | "thread/unsubscribe"
  | "thread/loaded/list"
  | "thread/metadata/update"
  | "thread/goal/set"
  | "thread/goal/get"
  | "thread/goal/clear"
  | "thread/settings/update"
  | "thread/turns/list"
  | "thread/items/list"
  | "thread/inject_items"
  | "thread/readState/update";

const MAX_PAGE_SIZE = 200;
const MAX_LOADED_PAGE = 1_000;

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });
const noRollout = (threadId: string) => invalid(`no rollout found for thread id ${threadId}`);
const noArchivedRollout = (threadId: string) => invalid(`no archived rollout found for thread id ${threadId}`);
const isArchivedError = (threadId: string) =>
  invalid(`session ${threadId} is archived. Run \`codex unarchive ${threadId}\` to unarchive it first.`);
const threadNotFound = (threadId: string, wording?: "notLoaded" | "noRollout") =>
  new SwitchyardError({ reason: "threadNotFound", threadId, wording });
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * A cwd a client names, as Codex 0.171.0 takes it (checked against the binary): relative to the
 * server's own directory, which for a cloud thread is the deployment's default cwd
 * (`THREAD_DEFAULT_CWD`), and normalized (`.` and `..` segments, a trailing slash), so `""` and `.`
 * name that directory and `/x/../y/` is `/y`.
 */
export function resolveCwd(defaultCwd: string, cwd: string): string {
  return posix.resolve(defaultCwd, cwd);
}

/** The effective settings a thread/settings/updated notification carries. */
export function effectiveSettings(row: ThreadRow, defaultModel: string): ThreadSettings {
  const stored = row.settings as unknown as StoredSettings;
  const model = row.model ?? defaultModel;
  return {
    cwd: row.cwd,
    model,
    modelProvider: row.model_provider,
    serviceTier: stored.serviceTier ?? null,
    approvalPolicy: stored.approvalPolicy ?? "on-request",
    approvalsReviewer: stored.approvalsReviewer ?? "user",
    sandboxPolicy: stored.sandbox ?? sandboxPolicy(null),
    // As Codex 0.171.0: the mode's settings are the thread's model and effort (updatedSettings).
    collaborationMode: {
      mode: stored.collaborationMode?.mode ?? "default",
      settings: {
        model,
        reasoning_effort: stored.effort ?? stored.collaborationMode?.settings.reasoning_effort ?? null,
        developer_instructions: stored.collaborationMode?.settings.developer_instructions ?? null,
      },
    },
    effort: stored.effort ?? null,
    summary: stored.summary ?? null,
    disabledPluginIds: stored.disabledPluginIds ?? [],
    environments: null,
    activePermissionProfile: stored.activePermissionProfile ?? null,
    multiAgentMode: "explicitRequestOnly",
    personality: null,
  };
}

/**
 * A Responses API item given by a client (thread/inject_items, thread/resume's `history`), checked as
 * Codex checks it and kept for the model only: Codex 0.171.0 shows none of them as thread items
 * (probed). Throws Codex's "not a valid response item" for anything that is not an item at all.
 */
function modelOnly(value: unknown, index: number): null {
  renderResponseItem(value, index);
  return null;
}

/**
 * A Responses API item as a thread item: user and assistant messages render as userMessage and
 * agentMessage; every other kind (reasoning, tool calls, system text) is kept model-visible only.
 * Throws Codex's "not a valid response item" for anything that is not an item at all.
 */
export function renderResponseItem(value: unknown, index: number): Record<string, unknown> | null {
  const refuse = (why: string) => invalid(`items[${index}] is not a valid response item: ${why}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw refuse("expected an object");
  const item = value as Record<string, unknown>;
  if (typeof item.type !== "string") throw refuse("missing field `type`");
  if (item.type !== "message") return null;
  if (typeof item.role !== "string") throw refuse("missing field `role`");
  if (!Array.isArray(item.content)) throw refuse("missing field `content`");
  const texts = item.content
    .filter(
      (part): part is { text: string } =>
        typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string",
    )
    .map((part) => part.text);
  if (item.role === "user") {
    return { type: "userMessage", id: newId(), content: texts.map((text) => ({ type: "text", text, text_elements: [] })) };
  }
  if (item.role === "assistant") return { type: "agentMessage", id: newId(), text: texts.join("") };
  return null;
}

function firstUserText(items: Pick<NewItem, "item">[]): string | null {
  for (const entry of items) {
    if (entry.item?.type !== "userMessage") continue;
    const content = entry.item.content as { text: string }[];
    const text = content
      .map((part) => part.text)
      .join(" ")
      .trim();
    if (text) return text.slice(0, 1_000);
  }
  return null;
}

function turnView(
  turnId: string,
  items: StoredItemRow[],
  itemsView: Turn["itemsView"],
  startedAt: Date,
  completedAt: Date,
  state: TurnState | undefined,
): Turn {
  const visible =
    itemsView === "full"
      ? items.map((row) => row.item)
      : itemsView === "summary"
        ? items.filter((_row, index) => index === 0 || index === items.length - 1).map((row) => row.item)
        : [];
  const started = state?.started_at ?? startedAt;
  const completed = state ? state.completed_at : completedAt;
  return {
    id: turnId,
    rootTurnId: state?.root_turn_id ?? turnId,
    items: visible as Turn["items"],
    itemsView,
    status: state?.status ?? "completed",
    error: (state?.error as Turn["error"]) ?? null,
    startedAt: seconds(started),
    completedAt: completed ? seconds(completed) : null,
    durationMs: completed ? completed.getTime() - started.getTime() : null,
  };
}

/** What starts the turn a thread is owed (a queued submission, a goal's continuation): the TurnRunner. */
export interface NextTurns {
  continueThread(tenant: string, threadId: string, subject: string): Promise<NextTurn>;
  /** A running turn's progress on the thread's goal accounted (before a client changes the goal). */
  settleGoal(tenant: string, threadId: string): Promise<void>;
  /** A client changed the active goal's objective: a running turn's model is told. */
  tellGoalObjective(tenant: string, threadId: string, goal: ThreadGoal, commandId: string): Promise<void>;
}

export function lifecycleHandlers(
  store: LifecycleStore,
  threads: ThreadStore,
  defaults: ThreadDefaults,
  config: ThreadConfigSource,
  /** thread/metadata/update puts a thread in one of its tenant's projects. */
  projects: ProjectStore,
  nextTurns?: NextTurns,
  /** A fork copies its source's attachments (as Codex's fork does). */
  attachments?: AttachmentStore,
): Pick<HandlersFor<"thread">, LifecycleMethodName> {
  const tenantOf = (context: HandlerContext) => context.request.caller.tenant;
  const command = (context: HandlerContext, threadId: string) => ({
    commandId: context.request.commandId,
    method: context.request.method,
    threadId: isThreadId(threadId) ? threadId : NO_THREAD,
  });

  async function lockExisting(tx: TenantQueryable, tenant: string, threadId: string, missing: () => SwitchyardError) {
    const row = await store.lockThread(tx, tenant, threadId);
    if (!row) throw missing();
    return row;
  }

  /**
   * The session a thread without turns loads with when it is resumed while not loaded: as Codex
   * 0.171.0 records a thread's settings only with its turns, it resumes such a thread with the config
   * as it is now and the resume's overrides, as a start would (probed: a thread started with another
   * model, effort, approval policy and sandbox came back with the config's after it was unloaded).
   * The config service resolves it and stores it as the thread's config snapshot. Undefined for any
   * other thread (a loaded one keeps its session; one with turns loads with what they recorded).
   */
  async function settingsAfresh(params: ThreadResumeParams, context: HandlerContext) {
    const { request } = context;
    const row = await threads.read(tenantOf(context), params.threadId);
    if (!row || row.loaded_at || row.model_recorded || row.archived_at || hasNoRollout(row)) return undefined;
    const cwd = params.cwd == null ? row.cwd : resolveCwd(defaults.cwd, params.cwd);
    return config.resolve(
      { threadId: row.id, cwd, overrides: configOverridesOf(params), clientVersion: request.clientVersion || "0.0.0" },
      request,
    );
  }

  /**
   * Subscribes the caller and, when the thread is not loaded, loads it: with the session resolved
   * afresh (settingsAfresh), else with its own and the overrides; `wasLoaded` when it was loaded here.
   */
  async function attach(
    tx: TenantQueryable,
    tenant: string,
    row: ThreadRow,
    connection: string,
    overrides: ThreadResumeParams,
    afresh?: ResolveThreadConfigResponse,
  ) {
    await store.subscribe(tx, tenant, row.id, connection);
    if (row.loaded_at) return { row, wasLoaded: false };
    // Resumes run one at a time per thread (the keyed lane), so the row is as settingsAfresh read it.
    if (afresh && !row.model_recorded) {
      const loaded = await store.updateThread(
        tx,
        tenant,
        row.id,
        "loaded_at = now(), model = $3, model_provider = $4, cwd = coalesce($5, cwd), settings = $6",
        [
          afresh.model || defaults.model,
          afresh.modelProvider || defaults.modelProvider,
          overrides.cwd == null ? null : resolveCwd(defaults.cwd, overrides.cwd),
          JSON.stringify({ ...sessionSettings(afresh), ...instructionsOf(overrides) }),
        ],
      );
      return { row: loaded, wasLoaded: true };
    }
    const settings = { ...(row.settings as unknown as StoredSettings) };
    if (overrides.approvalPolicy) settings.approvalPolicy = overrides.approvalPolicy;
    if (overrides.approvalsReviewer) settings.approvalsReviewer = overrides.approvalsReviewer;
    if (overrides.sandbox) settings.sandbox = sandboxPolicy(overrides.sandbox);
    if (overrides.serviceTier !== undefined) settings.serviceTier = keptServiceTier(overrides.serviceTier);
    const loaded = await store.updateThread(
      tx,
      tenant,
      row.id,
      "loaded_at = now(), model = coalesce($3, model), model_provider = coalesce($4, model_provider), cwd = coalesce($5, cwd), settings = $6",
      [
        overrides.model ?? null,
        overrides.modelProvider ?? null,
        overrides.cwd == null ? null : resolveCwd(defaults.cwd, overrides.cwd),
        JSON.stringify(settings),
      ],
    );
    return { row: loaded, wasLoaded: true };
  }

  /**
   * A fork's session, as Codex 0.171.0's (probed): its model, provider, reasoning effort and service
   * tier come from the config as it is now with the fork's overrides, never from its source; its
   * approval policy and sandbox are its source's when the source has a session (it is loaded, or its
   * turns recorded one), else the config's; an override wins either way. Its source's disabled
   * plugins carry over; its collaboration mode and reasoning summary do not. The config service resolves the
   * fork afresh, keeping its source's session config (what an orchestrator set for it), and stores
   * that as the fork's snapshot. Should it refuse (the config changed since the source started), the
   * fork keeps a copy of its source's snapshot and settings, as it was created. Once settled, the
   * fork's ledger entry says so (in the transaction that settles it): a replay of the command (its
   * first delivery committed and its instance died before the ack) settles the fork only if the
   * first delivery did not, so a config written in between never changes a fork already answered.
   * Either way the answer, with the fork's turns unless they are excluded, is built from the row as
   * it ends up.
   */
  async function settleForkSession(
    tenant: string,
    created: ThreadStartResponse,
    params: ThreadForkParams,
    context: HandlerContext,
  ): Promise<ThreadStartResponse> {
    const { request } = context;
    const forkId = created.thread.id;
    const markSettled = (tx: TenantQueryable) => store.markForkSettled(tx, tenant, request.commandId);
    let session: ResolveThreadConfigResponse;
    try {
      session = await config.resolve(
        {
          threadId: forkId,
          cwd: created.cwd,
          forkedFromId: params.threadId,
          overrides: configOverridesOf(params),
          clientVersion: request.clientVersion || "0.0.0",
        },
        request,
      );
    } catch (error) {
      if (!(error instanceof SwitchyardError)) throw error;
      await config.fork(forkId, params.threadId, request);
      await store.transaction(tenant, markSettled);
      return settledForkAnswer(tenant, created, params, request);
    }
    const source = await threads.read(tenant, params.threadId);
    const settings = sessionSettings(session);
    const sourceSettings = source?.settings as unknown as StoredSettings | undefined;
    if (source && sourceSettings && (source.loaded_at !== null || source.model_recorded)) {
      settings.approvalPolicy = params.approvalPolicy ?? sourceSettings.approvalPolicy;
      settings.approvalsReviewer = params.approvalsReviewer ?? sourceSettings.approvalsReviewer;
      settings.sandbox = params.sandbox ? sandboxPolicy(params.sandbox) : sourceSettings.sandbox;
    }
    const fork = await store.transaction(tenant, async (tx) => {
      const row = await store.lockThread(tx, tenant, forkId);
      if (!row) throw noRollout(forkId);
      // Of what the source's settings held beyond the session, its disabled plugins and instructions
      // stay (Codex's fork copies them with the history its turns recorded), the fork's own winning;
      // its collaboration mode and summary do not (the fork's mode is the default one, on its model).
      const copied = row.settings as unknown as StoredSettings;
      const kept: StoredSettings = {
        ...settings,
        disabledPluginIds: copied.disabledPluginIds ?? [],
        ...instructionsOf(copied),
        ...instructionsOf(params),
      };
      await markSettled(tx);
      return store.updateThread(tx, tenant, forkId, "model = $3, model_provider = $4, settings = $5", [
        session.model || defaults.model,
        session.modelProvider || defaults.modelProvider,
        JSON.stringify(kept),
      ]);
    });
    const thread = await withTurns(fork, tenant, params.excludeTurns);
    return { ...created, ...(await answeredSession(config, fork, thread, defaults.model, request, session.modelServiceTiers)) };
  }

  /** A settled fork's answer: its session as its row holds it now. */
  async function settledForkAnswer(
    tenant: string,
    created: ThreadStartResponse,
    params: ThreadForkParams,
    origin: BusRequest,
  ): Promise<ThreadStartResponse> {
    const fork = await threads.read(tenant, created.thread.id);
    if (!fork) throw noRollout(created.thread.id);
    const thread = await withTurns(fork, tenant, params.excludeTurns);
    return { ...created, ...(await answeredSession(config, fork, thread, defaults.model, origin)) };
  }

  async function withTurns(row: ThreadRow, tenant: string, excludeTurns: boolean | null | undefined): Promise<Thread> {
    if (excludeTurns) return threadView(row);
    const items = await store.itemsPage(tenant, row.id, {
      turnId: null,
      afterSeq: null,
      beforeSeq: null,
      direction: "asc",
      limit: 10_000,
    });
    return threadView(
      row,
      turnsView(
        items.map((entry) => ({ turnId: entry.turn_id, item: entry.item })),
        await store.turnStates(tenant, row.id),
      ),
    );
  }

  /**
   * `history` wins over `path` and the stored thread (Codex's precedence): a thread that does not
   * exist yet is created under the given id with the history as its items, loaded, the caller
   * subscribed. A live thread refuses it (Codex's text); a stored one is not overwritten.
   */
  async function resumeFromHistory(params: ThreadResumeParams, context: HandlerContext, history: unknown[]) {
    const tenant = tenantOf(context);
    const { request, events } = context;
    if (!isThreadId(params.threadId)) throw invalid(`invalid session id: ${params.threadId}`);
    const existing = await threads.read(tenant, params.threadId);
    if (existing?.loaded_at) {
      throw invalid(`cannot resume thread ${params.threadId} with history while it is already running`);
    }
    if (existing) {
      throw invalid(`thread ${params.threadId} already has a stored history: resume it without \`history\``);
    }
    // As Codex 0.171.0 (probed): the history is the model's only: no thread item shows it, it does
    // not list the thread and it is no stored preview; only the resume's own answer shows its first
    // user text as the preview.
    const preview = firstUserText(history.map((value, index) => ({ item: renderResponseItem(value, index) })));
    const items: NewItem[] = history.map((value) => ({ turnId: "", item: null, responseItem: value }));
    const settings: StoredSettings = {
      approvalPolicy: params.approvalPolicy ?? "on-request",
      approvalsReviewer: params.approvalsReviewer ?? "user",
      sandbox: sandboxPolicy(params.sandbox),
      serviceTier: params.serviceTier === undefined ? null : keptServiceTier(params.serviceTier),
    };
    const created = await threads.create({
      tenant,
      id: params.threadId,
      cwd: resolveCwd(defaults.cwd, params.cwd ?? defaults.cwd),
      modelProvider: params.modelProvider ?? defaults.modelProvider,
      model: params.model ?? defaults.model,
      ...CLIENT_THREAD_SOURCE,
      threadSource: null,
      historyMode: "legacy",
      isEphemeral: false,
      cliVersion: request.clientVersion || "0.0.0",
      projectId: null,
      settings: settings as unknown as Record<string, unknown>,
      createdBy: request.caller.subject,
      subscriber: request.connection,
      originator: request.clientName || null,
    });
    if (items.length > 0) {
      const turnId = newId();
      await store.transaction(tenant, (tx) =>
        store.appendItems(
          tx,
          tenant,
          created.id,
          items.map((entry) => ({ ...entry, turnId })),
          null,
        ),
      );
    }
    const stored = (await threads.read(tenant, created.id)) ?? created;
    // The live thread shows the history's preview (the stored one stays empty, as Codex's does).
    const row = { ...stored, preview: preview ?? stored.preview };
    events.emit(Notification.threadStarted, { thread: threadView(row) }, { tenant });
    const thread = await withTurns(row, tenant, params.excludeTurns);
    return resumeAnswer(tenant, row, params, await answeredSession(config, row, thread, defaults.model, request));
  }

  /** A page of thread/turns/list (also resume's `initialTurnsPage`). */
  async function turnsListPage(
    tenant: string,
    threadId: string,
    params: {
      cursor?: string | null;
      sortDirection?: "asc" | "desc" | null;
      limit?: number | null;
      itemsView?: TurnItemsView | null;
    },
  ): Promise<ThreadTurnsListResponse> {
    // A turn cursor (from thread/searchOccurrences) opens the page at its turn; a page cursor goes on from its page.
    const cursor = params.cursor ?? undefined;
    const isTurn = cursor !== undefined && isTurnCursor(cursor);
    const position = cursor && !isTurn ? decodePageCursor("turns", cursor) : undefined;
    const direction = position?.direction ?? params.sortDirection ?? "desc";
    const bounds = cursor && isTurn ? turnCursorBounds(decodeTurnCursor(cursor, threadId), direction) : pageBounds(position);
    const limit = pageSize(params.limit, MAX_PAGE_SIZE);
    const turns = await store.turnsPage(tenant, threadId, { ...bounds, direction, limit: limit + 1 });
    const page = turns.slice(0, limit);
    // As the 0.171.0 schema says and Codex does: a page without `itemsView` is a summary.
    const itemsView = params.itemsView ?? "summary";
    const items =
      itemsView === "notLoaded"
        ? []
        : await store.itemsOfTurns(
            tenant,
            threadId,
            page.map((turn) => turn.turn_id),
          );
    const states = await store.turnStates(tenant, threadId);
    const data = page.map((turn) =>
      turnView(
        turn.turn_id,
        items.filter((item) => item.turn_id === turn.turn_id),
        itemsView,
        turn.started_at,
        turn.completed_at,
        states.get(turn.turn_id),
      ),
    );
    return {
      data,
      ...pageCursors(
        "turns",
        direction,
        page.map((turn) => turn.first_seq),
        turns.length > limit,
      ),
    };
  }

  /**
   * What resume answers beyond a start, as Codex 0.171.0: the effective collaboration mode, the turns
   * page `initialTurnsPage` asks for (newest first, in summary, unless it says otherwise), and the
   * cursors a client hydrates a paginated history with: thread/turns/list and thread/items/list pages
   * that open at the newest turn and item and go on to older ones (null while there is none).
   */
  async function resumeAnswer(
    tenant: string,
    row: ThreadRow,
    params: Pick<ThreadResumeParams, "initialTurnsPage">,
    session: ThreadStartResponse,
  ): Promise<ThreadResumeResponse> {
    const [cursors, initialTurnsPage] = await Promise.all([
      backwardsCursors(tenant, row.id),
      params.initialTurnsPage ? turnsListPage(tenant, row.id, params.initialTurnsPage) : null,
    ]);
    return {
      ...session,
      collaborationMode: effectiveSettings(row, defaults.model).collaborationMode,
      initialTurnsPage,
      ...cursors,
    };
  }

  /** Cursors that page a thread's turns and items backwards from its newest (resume's and revert's answers). */
  async function backwardsCursors(tenant: string, threadId: string) {
    const newest = { afterSeq: null, beforeSeq: null, direction: "desc", limit: 1 } as const;
    const [[newestTurn], [newestItem]] = await Promise.all([
      store.turnsPage(tenant, threadId, newest),
      store.itemsPage(tenant, threadId, { ...newest, turnId: null }),
    ]);
    return {
      turnsBackwardsCursor: newestTurn ? openingCursor("turns", newestTurn.first_seq) : null,
      itemsBackwardsCursor: newestItem ? openingCursor("items", newestItem.seq) : null,
    };
  }

  return {
    async [Method.threadResume](params, context) {
      const tenant = tenantOf(context);
      const { request, events } = context;
      const path = params.path?.trim() ?? "";
      if (params.history !== null && params.history !== undefined) {
        return resumeFromHistory(params, context, params.history);
      }
      const afresh = path ? undefined : await settingsAfresh(params, context);
      const outcome = await store.transaction(tenant, async (tx) => {
        const existing = await store.lockThread(tx, tenant, params.threadId);
        if (path) throw noRollout(params.threadId); // Switchyard threads have no rollout file: any path is stale
        if (!existing) throw noRollout(params.threadId);
        if (existing.archived_at) throw isArchivedError(params.threadId);
        if (hasNoRollout(existing)) throw noRollout(params.threadId);
        return attach(tx, tenant, existing, request.connection, params, afresh);
      });
      const { row } = outcome;
      if (outcome.wasLoaded) {
        events.emit(Notification.threadStatusChanged, { threadId: row.id, status: { type: "idle" } }, { tenant });
      }
      // Codex 0.171.0's order: the deprecation notice before the answer; after it (the gateway holds
      // them, see the method's `announcedAfterAnswer`) the usage as of the last model call, when the
      // answer carries the turns, to the resuming client only, and the thread's goal, to every
      // connection of the tenant (as every goal notification).
      const caller = request.connection;
      const withHistory = !params.excludeTurns;
      if (withHistory && row.history_mode === "paginated") {
        events.emit(Notification.deprecationNotice, FULL_HISTORY_DEPRECATION.resumeOrFork, { connection: caller });
      }
      // The config service's answer names the tiers of the model a thread loaded afresh runs.
      const offered = afresh && row.model === (afresh.model || defaults.model) ? afresh.modelServiceTiers : undefined;
      const thread = await withTurns(row, tenant, params.excludeTurns);
      const session = await answeredSession(config, row, thread, defaults.model, request, offered);
      const answer = await resumeAnswer(tenant, row, params, session);
      const usage = withHistory ? historyUsage(row.id, row) : undefined;
      if (usage) events.emitToConnection(Notification.threadTokenUsageUpdated, usage, caller);
      const goal = row.goal as ThreadGoal | null;
      if (goal) events.emit(Notification.threadGoalUpdated, { threadId: row.id, turnId: null, goal }, { tenant });
      else events.emit(Notification.threadGoalCleared, { threadId: row.id }, { tenant });
      // As Codex 0.171.0 (probed): a resumed thread whose goal is active takes it up again, even after
      // an interrupt had stopped its continuations (admitted after this answer: a database round trip
      // later, and only if no turn runs).
      if (goal?.status === "active") setImmediate(() => void nextTurns?.continueThread(tenant, row.id, request.caller.subject));
      return answer;
    },

    async [Method.threadFork](params, context) {
      const tenant = tenantOf(context);
      const { request, events } = context;
      if (params.path?.trim()) throw noRollout(params.threadId);
      // Codex warns as soon as it has the source, before the fork point can fail.
      let warned = false;
      const warnOfFullHistory = (historyMode: string) => {
        if (params.excludeTurns || historyMode !== "paginated" || warned) return;
        warned = true;
        events.emit(Notification.deprecationNotice, FULL_HISTORY_DEPRECATION.resumeOrFork, { connection: request.connection });
      };
      const { result, isReplay } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const source = await lockExisting(tx, tenant, params.threadId, () => noRollout(params.threadId));
        if (source.archived_at) throw isArchivedError(params.threadId);
        if (hasNoRollout(source)) throw noRollout(params.threadId);
        warnOfFullHistory(source.history_mode);
        const throughSeq = await forkPoint(tx, tenant, params, source.id);
        const settings = { ...(source.settings as unknown as StoredSettings) };
        if (params.approvalPolicy) settings.approvalPolicy = params.approvalPolicy;
        if (params.sandbox) settings.sandbox = sandboxPolicy(params.sandbox);
        const forkId = newId();
        // A fork of the whole history keeps its source's token usage (Codex's fork replays the
        // source's usage records); one cut at a turn starts without (usage is not kept per turn).
        // It keeps the source's name, as Codex 0.171.0's does.
        await tx.query(
          "insert fork",
          `INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, model, source, source_kind, thread_source,
             history_mode, is_ephemeral, cli_version, project_id, settings, created_by, forked_from_id, loaded_at, preview,
             token_usage, last_token_usage, originator, name, model_recorded)
           SELECT tenant, $3, $3, coalesce($4, cwd), coalesce($5, model_provider), coalesce($6, model), source, source_kind,
                  coalesce($7, thread_source), history_mode, coalesce($8, is_ephemeral), $9, project_id, $10, $11, id, now(), preview,
                  CASE WHEN $12 THEN token_usage END, CASE WHEN $12 THEN last_token_usage END, $13, name, model_recorded
             FROM thread.threads WHERE tenant = $1 AND id = $2`,
          [
            tenant,
            source.id,
            forkId,
            params.cwd == null ? null : resolveCwd(defaults.cwd, params.cwd),
            params.modelProvider ?? null,
            params.model ?? null,
            params.threadSource ?? null,
            params.ephemeral ?? null,
            request.clientVersion || source.cli_version,
            JSON.stringify(settings),
            request.caller.subject,
            throughSeq === null,
            request.clientName || null,
          ],
        );
        await store.copyHistory(tx, tenant, source.id, forkId, throughSeq);
        if (!(params.ephemeral ?? source.is_ephemeral)) await attachments?.copy(tx, tenant, source.id, forkId);
        const fork = await store.updateThread(
          tx,
          tenant,
          forkId,
          `materialized_at = CASE WHEN EXISTS (SELECT 1 FROM thread.items WHERE tenant = $1 AND thread_id = $2) THEN now() END,
           has_read_state = NOT is_ephemeral AND EXISTS (SELECT 1 FROM thread.items WHERE tenant = $1 AND thread_id = $2),
           copied_history_from = CASE WHEN NOT is_ephemeral AND EXISTS (SELECT 1 FROM thread.items WHERE tenant = $1 AND thread_id = $2)
                                      THEN forked_from_id END`,
          [],
        );
        await store.subscribe(tx, tenant, forkId, request.connection);
        // The ledger keeps the answer without turns: settleForkSession builds the one sent.
        return sessionView(fork, threadView(fork), defaults.model);
      });
      if (isReplay) await store.transaction(tenant, (tx) => store.subscribe(tx, tenant, result.thread.id, request.connection));
      const { isSettled, ...created } = result as ThreadStartResponse & { isSettled?: true };
      const answer = isSettled
        ? await settledForkAnswer(tenant, created, params, request)
        : await settleForkSession(tenant, created, params, context);
      // Codex 0.171.0's order, as for a resume: the deprecation notice before the answer; after it
      // (held by the gateway) the fork's usage as of its last model call, then thread/started.
      if (!params.excludeTurns) {
        warnOfFullHistory(answer.thread.historyMode); // a replay's (its transaction did not run)
        const fork = await threads.read(tenant, answer.thread.id);
        const usage = fork && historyUsage(fork.id, fork);
        if (usage) events.emitToConnection(Notification.threadTokenUsageUpdated, usage, request.connection);
      }
      events.emit(Notification.threadStarted, { thread: { ...answer.thread, turns: [] } }, { tenant });
      return answer;
    },

    async [Method.threadArchive](params, context) {
      const tenant = tenantOf(context);
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => noRollout(params.threadId));
        // An ephemeral thread has nothing to archive: Codex refuses it as it refuses an archived one.
        if (row.archived_at || row.is_ephemeral) throw noRollout(params.threadId);
        const family = await store.withDescendants(tx, tenant, row.id);
        // As Codex 0.171.0: archiving touches the thread (updatedAt, recencyAt) and records its read
        // state; the archived list shows it even if it never had content (the live list does not).
        const archived = await tx.query<{ id: string; was_loaded: boolean }>(
          "archive threads",
          `UPDATE thread.threads AS t SET archived_at = now(), loaded_at = NULL, updated_at = now(), recency_at = now(),
                  has_read_state = NOT t.is_ephemeral
             FROM (SELECT id, loaded_at IS NOT NULL AS was_loaded FROM thread.threads
                    WHERE tenant = $1 AND id = ANY($2::uuid[]) AND archived_at IS NULL FOR UPDATE) AS before
            WHERE t.tenant = $1 AND t.id = before.id
           RETURNING t.id, before.was_loaded`,
          [tenant, family],
        );
        await store.dropSubscribers(tx, tenant, family);
        return archived.rows;
      });
      for (const thread of result) {
        if (thread.was_loaded) {
          context.events.emit(
            Notification.threadStatusChanged,
            { threadId: thread.id, status: { type: "notLoaded" } },
            { tenant },
          );
        }
        context.events.emit(Notification.threadArchived, { threadId: thread.id }, { tenant });
      }
      return {};
    },

    async [Method.threadRevert](params, context) {
      const tenant = tenantOf(context);
      const { request, events } = context;
      // Codex 0.171.0's checks and words, in its order; an archived thread is not found.
      const threadNotFound = () => invalid(`thread not found: ${params.threadId}`);
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const existing = await lockExisting(tx, tenant, params.threadId, threadNotFound);
        if (existing.archived_at) throw threadNotFound();
        if (existing.is_ephemeral) throw invalid("ephemeral threads do not support thread/revert");
        if (existing.history_mode !== "paginated") throw invalid("thread/revert only supports paginated threads");
        const bounds = await store.turnBounds(tx, tenant, existing.id, params.beforeTurnId);
        if (!bounds) throw invalid(`turn not found: ${params.beforeTurnId}`);
        // Ours: Codex drops a running turn along with the history; here the revert is refused until
        // the turn ends (turn/interrupt ends it), so no instance is left running a turn that is gone.
        if (existing.active_turn_id) {
          throw invalid(
            `cannot revert thread ${existing.id} while turn ${existing.active_turn_id} is running; interrupt it first`,
          );
        }
        const cutTurns = await store.cutHistory(tx, tenant, existing.id, params.beforeTurnId, bounds.first);
        const { row } = await attach(tx, tenant, existing, request.connection, { threadId: existing.id });
        // The history changed (updatedAt, as Codex's); usage is not kept per turn, so the cut thread has
        // none until its next model call (as a fork cut at a turn); a first unread turn that is gone is forgotten.
        const firstUnread = row.first_unread?.type === "turn" ? row.first_unread.turnId : null;
        const forgetsUnread = firstUnread !== null && cutTurns.includes(firstUnread);
        await store.updateThread(
          tx,
          tenant,
          row.id,
          `updated_at = now(), token_usage = NULL, last_token_usage = NULL,
           first_unread = CASE WHEN $3 THEN NULL ELSE first_unread END,
           read_revision = read_revision + CASE WHEN $3 THEN 1 ELSE 0 END`,
          [forgetsUnread],
        );
        return { wasLoaded: existing.loaded_at !== null };
      });
      // As Codex: the thread is unloaded (when it was loaded) and loaded again before the answer.
      const target = { tenant, threadId: params.threadId };
      if (result.wasLoaded)
        events.emit(Notification.threadStatusChanged, { threadId: params.threadId, status: { type: "notLoaded" } }, target);
      events.emit(Notification.threadStatusChanged, { threadId: params.threadId, status: { type: "idle" } }, target);
      events.emit(Notification.threadReverted, { threadId: params.threadId }, target);
      const row = await threads.read(tenant, params.threadId);
      if (!row) throw threadNotFound();
      return { thread: threadView(row), ...(await backwardsCursors(tenant, row.id)) };
    },

    async [Method.threadUnarchive](params, context) {
      const tenant = tenantOf(context);
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => noArchivedRollout(params.threadId));
        // Not archived: Codex 0.171.0 says a loaded thread has a writer, any other (an ephemeral one too)
        // has no archived rollout.
        if (!row.archived_at && row.loaded_at && !row.is_ephemeral)
          throw invalid(`thread ${params.threadId} already has an active writer`);
        if (!row.archived_at) throw noArchivedRollout(params.threadId);
        const restored = await store.updateThread(tx, tenant, row.id, "archived_at = NULL", []);
        return { thread: threadView(restored) };
      });
      context.events.emit(Notification.threadUnarchived, { threadId: result.thread.id }, { tenant });
      return result;
    },

    async [Method.threadDelete](params, context) {
      const tenant = tenantOf(context);
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => noRollout(params.threadId));
        // As Codex 0.171.0: not while a fork's history refers to it (migration 0032).
        const referenced = await tx.query(
          "forks referring",
          "SELECT 1 FROM thread.threads WHERE tenant = $1 AND copied_history_from = $2 LIMIT 1",
          [tenant, row.id],
        );
        if (referenced.rows.length > 0) throw invalid(`cannot delete thread ${row.id}: forked history still references it`);
        await tx.query("delete thread", "DELETE FROM thread.threads WHERE tenant = $1 AND id = $2", [tenant, row.id]);
        // Its subscriptions go with it (no foreign key cascades them since migration 0034).
        await store.dropSubscribers(tx, tenant, [row.id]);
        return { wasLoaded: row.loaded_at !== null };
      });
      // Codex 0.171.0 tells every client, subscribed or not (as every status change), that a loaded
      // thread it deletes is no longer loaded, before its answer; then, after it, that the thread is gone.
      if ((result as { wasLoaded?: boolean }).wasLoaded) {
        context.events.emit(
          Notification.threadStatusChanged,
          { threadId: params.threadId, status: { type: "notLoaded" } },
          { tenant },
        );
      }
      context.events.emit(Notification.threadDeleted, { threadId: params.threadId }, { tenant });
      return {};
    },

    /**
     * Codex's v1 summary of a stored thread, as the 0.171.0 binary answers it (probed): what its
     * rollout's first line records, for a thread that has one (something recorded, not ephemeral;
     * archived too). A Switchyard thread has no rollout file: `path` is empty, and a rollout path
     * names no file (Codex's text; a relative one is not resolved against any home).
     */
    async [Method.getConversationSummary](params, context) {
      if ("rolloutPath" in params && typeof params.rolloutPath === "string") {
        throw invalid(`failed to resolve rollout path \`${clip(params.rolloutPath, 200)}\`: file does not exist`);
      }
      const threadId = summaryThreadKey(params);
      const row = await threads.read(tenantOf(context), threadId);
      if (!row || hasNoRollout(row)) throw invalid(`no rollout found for conversation id ${threadId}`);
      const thread = threadView(row);
      return {
        summary: {
          conversationId: row.id,
          path: "",
          preview: thread.preview,
          timestamp: row.created_at.toISOString(),
          updatedAt: row.updated_at.toISOString(),
          modelProvider: thread.modelProvider,
          cwd: thread.cwd,
          cliVersion: thread.cliVersion,
          source: thread.source,
          gitInfo: thread.gitInfo,
        },
      };
    },

    async [Method.threadUnsubscribe](params, context) {
      const tenant = tenantOf(context);
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await store.lockThread(tx, tenant, params.threadId);
        if (!row?.loaded_at) return { status: "notLoaded" as const };
        const wasSubscribed = await store.unsubscribe(tx, tenant, row.id, context.request.connection);
        return { status: wasSubscribed ? ("unsubscribed" as const) : ("notSubscribed" as const) };
      });
      return result;
    },

    async [Method.threadLoadedList](params, context) {
      const tenant = tenantOf(context);
      const limit = pageSize(params.limit, MAX_LOADED_PAGE);
      let after: string | null = null;
      if (params.cursor) {
        after = Buffer.from(params.cursor, "base64url").toString("utf8");
        if (!isThreadId(after))
          throw new SwitchyardError({
            reason: "invalidCursor",
            cursor: params.cursor,
            expected: "not a thread/loaded/list cursor",
          });
      }
      const ids = await store.loadedPage(tenant, after, limit + 1);
      const page = ids.slice(0, limit);
      const last = page[page.length - 1];
      return { data: page, nextCursor: ids.length > limit && last ? Buffer.from(last, "utf8").toString("base64url") : null };
    },

    async [Method.threadMetadataUpdate](params, context) {
      const tenant = tenantOf(context);
      if (params.gitInfo == null && params.projectId == null && params.daybreakEnabled == null) {
        throw invalid("thread metadata update must include at least one field");
      }
      // Absent or null: the project stays; "": out of any project; an id: into that project (-32600
      // when the tenant has none so named, or it is deleted meanwhile: the foreign key refuses it).
      const givenProject = params.projectId ?? undefined;
      const projectGone = () => invalid(projectNotFound(givenProject as string));
      let projectId: string | null | undefined = givenProject === "" ? null : givenProject;
      if (typeof projectId === "string") {
        projectId = await projects.named(tenant, projectId);
        if (projectId === undefined) throw projectGone();
      }
      const applied = await store
        .applyOnce(tenant, command(context, params.threadId), async (tx) => {
          const row = await lockExisting(tx, tenant, params.threadId, () => threadNotFound(params.threadId, "noRollout"));
          const git = mergeGitInfo(row.git_info, params.gitInfo);
          const movesProject = projectId !== undefined && projectId !== row.project_id;
          const updated = await store.updateThread(
            tx,
            tenant,
            row.id,
            // Recorded metadata gives the thread a read state, as in Codex (migration 0027).
            `git_info = $3::jsonb, project_id = CASE WHEN $4 THEN $5 ELSE project_id END, has_read_state = NOT is_ephemeral`,
            [git ? JSON.stringify(git) : null, movesProject, projectId ?? null],
          );
          return { thread: threadView(updated, [], { isStoredView: true }), movedToProject: movesProject };
        })
        .catch((error) => {
          throw isProjectGone(error) ? projectGone() : error;
        });
      const { movedToProject, ...answer } = applied.result;
      // Announced to the tenant before the answer, as Codex does (again on a redelivery).
      if (movedToProject) {
        context.events.emit(
          Notification.threadProjectUpdated,
          { threadId: answer.thread.id, projectId: answer.thread.projectId },
          { tenant },
        );
      }
      return answer;
    },

    async [Method.threadGoalSet](params, context) {
      const tenant = tenantOf(context);
      // As Codex: what a running turn has spent toward the goal is accounted before it changes.
      await nextTurns?.settleGoal(tenant, params.threadId);
      const { result: applied } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => threadNotFound(params.threadId));
        const goal = nextGoal(row, params);
        const before = row.goal as ThreadGoal | null;
        // As in Codex 0.171.0 a goal materializes the thread: it is listed from then on, its objective
        // the preview of a thread that had none (probed; a later turn does not replace it). An active
        // goal is owed a continuation (migration 0031), admitted below, or by another instance's
        // goal sweeper if this one stops first; any other status owes none.
        await store.updateThread(
          tx,
          tenant,
          row.id,
          `goal = $3::jsonb, has_read_state = NOT is_ephemeral, materialized_at = coalesce(materialized_at, now()),
           goal_root_turn_id = NULL,
           preview = CASE WHEN preview = '' THEN $5 ELSE preview END,
           next_turn_due_at = CASE WHEN $4::text IS NULL THEN NULL ELSE now() END, next_turn_subject = $4::text`,
          [JSON.stringify(goal), goal.status === "active" ? context.request.caller.subject : null, goal.objective],
        );
        return { goal, isNewObjective: before !== null && before.objective !== goal.objective };
      });
      const { isNewObjective, ...result } = applied;
      context.events.emit(
        Notification.threadGoalUpdated,
        { threadId: params.threadId, turnId: null, goal: result.goal },
        { tenant },
      );
      // As Codex 0.171.0: an active goal on an idle thread sets it working (a continuation turn);
      // on a thread running a turn, that turn's end continues it, and its model is told of a new
      // objective before it is asked again (probed).
      if (result.goal.status === "active") {
        if (isNewObjective) {
          await nextTurns?.tellGoalObjective(tenant, result.goal.threadId, result.goal, context.request.commandId);
        }
        void nextTurns?.continueThread(tenant, result.goal.threadId, context.request.caller.subject);
      }
      return result;
    },

    async [Method.threadGoalGet](params, context) {
      const row = await threads.read(tenantOf(context), params.threadId);
      if (!row) throw threadNotFound(params.threadId);
      // In Codex's field order (a stored goal comes back in jsonb's).
      return { goal: row.goal ? goalInOrder(row.goal as ThreadGoal) : null };
    },

    async [Method.threadGoalClear](params, context) {
      const tenant = tenantOf(context);
      await nextTurns?.settleGoal(tenant, params.threadId);
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => threadNotFound(params.threadId));
        if (!row.goal) return { cleared: false };
        await store.updateThread(
          tx,
          tenant,
          row.id,
          "goal = NULL, goal_root_turn_id = NULL, next_turn_due_at = NULL, next_turn_subject = NULL",
          [],
        );
        return { cleared: true };
      });
      if (result.cleared) {
        context.events.emit(Notification.threadGoalCleared, { threadId: params.threadId }, { tenant });
      }
      return result;
    },

    async [Method.threadSettingsUpdate](params, context) {
      const tenant = tenantOf(context);
      const conflicting = () => invalid("`permissions` cannot be combined with `sandboxPolicy`");
      // A permission profile, as Codex 0.171.0 switches one (probed): after the thread's lookup and
      // the combination check, the thread's config reloaded with it (the config service), refused in
      // Codex's words (`failed to load configuration: …`) before anything changes.
      let profile: ResolvePermissionProfileResponse | undefined;
      if (params.permissions != null) {
        if (!(await threads.read(tenant, params.threadId))) throw threadNotFound(params.threadId);
        if (params.sandboxPolicy != null) throw conflicting();
        profile = await config.permissionProfile({ threadId: params.threadId, profile: params.permissions }, context.request);
      }
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => threadNotFound(params.threadId));
        if (params.permissions != null && params.sandboxPolicy != null) throw conflicting();
        const before = effectiveSettings(row, defaults.model);
        const { settings, model } = updatedSettings(row.settings as unknown as StoredSettings, params, profile);
        // Any update, one that changes nothing too, records the thread's settings as a turn does
        // (Codex 0.171.0, probed): unloaded, it is then read with its model, resumed with its own
        // settings, and forked with its approval policy and sandbox.
        const updated = await store.updateThread(
          tx,
          tenant,
          row.id,
          "settings = $3::jsonb, model = coalesce($4, model), cwd = coalesce($5, cwd), model_recorded = true",
          [JSON.stringify(settings), model ?? null, params.cwd == null ? null : resolveCwd(defaults.cwd, params.cwd)],
        );
        const after = effectiveSettings(updated, defaults.model);
        return { changed: JSON.stringify(before) !== JSON.stringify(after), settings: after };
      });
      for (const warning of profile?.warnings ?? []) {
        context.events.emit(Notification.configWarning, warning, { connection: context.request.connection });
      }
      // Only when the effective settings change, and only to the thread's subscribers (as Codex).
      if (result.changed) {
        context.events.emit(
          Notification.threadSettingsUpdated,
          { threadId: params.threadId, threadSettings: result.settings },
          { tenant, threadId: params.threadId },
        );
      }
      return {};
    },

    async [Method.threadTurnsList](params, context) {
      const tenant = tenantOf(context);
      const row = await threads.read(tenant, params.threadId);
      if (!row) throw threadNotFound(params.threadId, "notLoaded");
      if (hasNothingRecorded(row)) throw new SwitchyardError({ reason: "notMaterialized", threadId: row.id, what: "turnsList" });
      return turnsListPage(tenant, row.id, params);
    },

    async [Method.threadItemsList](params, context) {
      const tenant = tenantOf(context);
      const row = await threads.read(tenant, params.threadId);
      if (!row) throw threadNotFound(params.threadId);
      if (hasNothingRecorded(row)) throw new SwitchyardError({ reason: "notMaterialized", threadId: row.id, what: "itemsList" });
      if (params.cursor !== undefined && params.cursor !== null && typeof params.cursor !== "string") {
        throw invalid("item anchors are not supported: pass the cursors thread/items/list returns");
      }
      const position = params.cursor ? decodePageCursor("items", params.cursor) : undefined;
      const direction = position?.direction ?? params.sortDirection ?? "asc";
      const limit = pageSize(params.limit, MAX_PAGE_SIZE);
      const rows = await store.itemsPage(tenant, row.id, {
        turnId: params.turnId ?? null,
        ...pageBounds(position),
        direction,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      // Every item's whole output is kept, so none is deferred: Codex leaves `outputDeferred` out then.
      // An entry's times are its item's (as Codex's), or when it was stored for an item without them.
      const msOf = (value: unknown, stored: Date) => (typeof value === "number" ? value : stored.getTime());
      const data = page.map((entry) => ({
        turnId: entry.turn_id,
        item: entry.item,
        startedAtMs: msOf(entry.item.startedAtMs, entry.created_at),
        completedAtMs: msOf(entry.item.completedAtMs, entry.created_at),
      }));
      return {
        data,
        ...pageCursors(
          "items",
          direction,
          page.map((entry) => entry.seq),
          rows.length > limit,
        ),
      };
    },

    async [Method.threadInjectItems](params, context) {
      const tenant = tenantOf(context);
      // As Codex 0.171.0 (probed): injected items join the model's history only. Thread items come
      // from turns; these are not shown, listed, searched or made a preview.
      const items: NewItem[] = params.items.map((value, index) => ({
        turnId: "",
        item: modelOnly(value, index),
        responseItem: value,
      }));
      await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => threadNotFound(params.threadId));
        if (items.length === 0) throw invalid("items must not be empty");
        const turnId = newId();
        await store.appendItems(
          tx,
          tenant,
          row.id,
          items.map((entry) => ({ ...entry, turnId })),
          null,
        );
        return {};
      });
      return {};
    },

    /**
     * As Codex 0.171.0 (probed): for a loaded thread, the approved plan joins the model's history as
     * Codex records it (the output of its `proposed_plan` agent tool, seen by the model only, not a
     * thread item), and the answer is the prompt the client sends to start implementing it. Codex's
     * checks in its order: the thread loaded, then `attachmentPath` (where the client keeps a copy;
     * nothing is read from it), then a plan that is not blank.
     */
    async [Method.threadPrepareApprovedPlan](params, context) {
      const tenant = tenantOf(context);
      await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await store.lockThread(tx, tenant, params.threadId);
        if (!row?.loaded_at || row.archived_at) throw threadNotFound(params.threadId);
        if (params.attachmentPath != null && !posix.isAbsolute(params.attachmentPath)) {
          throw new SwitchyardError({
            reason: "invalidParams",
            message: "`attachmentPath` must be absolute on the app server",
          });
        }
        if (params.markdown.trim() === "") throw invalid("The approved plan is empty.");
        const plan = {
          type: "function_call_output",
          id: `fco_${newId()}`,
          name: "proposed_plan",
          namespace: "agent",
          output: params.markdown,
        };
        await store.appendItems(tx, tenant, row.id, [{ turnId: newId(), item: null, responseItem: plan }], null);
        return {};
      });
      return { prompt: "Implement the plan." };
    },

    async [Method.threadReadStateUpdate](params, context) {
      const tenant = tenantOf(context);
      const { result } = await store.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockExisting(tx, tenant, params.threadId, () => threadNotFound(params.threadId, "notLoaded"));
        // Codex's checks and words: nothing recorded about the thread yet, then a stale revision
        // (whose error carries the current read state).
        const current = readStateView(row);
        if (!current) throw invalid("thread read state unavailable");
        if (params.expectedRevision !== current.revision) {
          throw new SwitchyardError({ reason: "readStateConflict", readState: current });
        }
        const firstUnread: ThreadReadState["firstUnread"] = params.operation.type === "read" ? null : { type: "threadStart" };
        const updated = await store.updateThread(
          tx,
          tenant,
          row.id,
          "read_revision = read_revision + 1, first_unread = $3::jsonb",
          [firstUnread ? JSON.stringify(firstUnread) : null],
        );
        return { readState: { revision: String(updated.read_revision), firstUnread } };
      });
      context.events.emit(
        Notification.threadReadStateChanged,
        { threadId: params.threadId, readState: result.readState },
        { tenant },
      );
      return result;
    },
  };

  async function forkPoint(
    tx: TenantQueryable,
    tenant: string,
    params: ThreadForkParams,
    sourceId: string,
  ): Promise<string | null> {
    const turnId = params.lastTurnId ?? params.beforeTurnId;
    if (!turnId) return null;
    const bounds = await store.turnBounds(tx, tenant, sourceId, turnId);
    if (!bounds) throw invalid(`turn not found: ${turnId}`);
    return params.lastTurnId ? bounds.last : String(BigInt(bounds.first) - 1n);
  }
}

/**
 * thread/tokenUsage/updated as Codex 0.171.0 sends it to a client that resumed or forked `row` with
 * its turns (after the answer, `threadId` the resumed thread or the fork): the thread's usage as of
 * its last model call, with that call's turn. Undefined when the thread has made none.
 */
function historyUsage(threadId: string, row: ThreadRow) {
  const last = row.last_token_usage;
  if (!last || !row.token_usage) return undefined;
  const breakdown = (usage: Record<string, number>): TokenUsageBreakdown => ({ ...ZERO_USAGE, ...usage });
  return {
    threadId,
    turnId: last.turnId,
    tokenUsage: {
      total: breakdown(row.token_usage),
      last: breakdown(last.usage),
      modelContextWindow: last.modelContextWindow === undefined ? FALLBACK_REPORTED_CONTEXT_WINDOW : last.modelContextWindow,
    },
  };
}

function mergeGitInfo(current: ThreadRow["git_info"], update: ThreadMetadataUpdateParams["gitInfo"]): ThreadRow["git_info"] {
  if (update === undefined || update === null) return current;
  if (update.sha === undefined && update.branch === undefined && update.originUrl === undefined) {
    throw invalid("gitInfo must include at least one field");
  }
  const merged = { sha: current?.sha ?? null, branch: current?.branch ?? null, originUrl: current?.originUrl ?? null };
  for (const field of ["sha", "branch", "originUrl"] as const) {
    const value = update[field];
    if (value === undefined) continue;
    if (value !== null && value.trim() === "") throw invalid(`gitInfo.${field} must not be empty`);
    merged[field] = value;
  }
  return merged.sha === null && merged.branch === null && merged.originUrl === null ? null : merged;
}

function nextGoal(row: ThreadRow, params: ThreadGoalSetParams): ThreadGoal {
  const now = Math.floor(Date.now() / 1000);
  const current = row.goal as ThreadGoal | null;
  const objective = params.objective?.trim();
  // Codex 0.171.0's checks, in its order and words.
  if (params.tokenBudget !== undefined && params.tokenBudget !== null && params.tokenBudget <= 0) {
    throw invalid("goal budgets must be positive when provided");
  }
  if (params.objective !== undefined && params.objective !== null && !objective)
    throw invalid("goal objective must not be empty");
  if (!current) {
    if (!objective) throw invalid(`cannot update goal for thread ${row.id}: no goal exists`);
    return {
      threadId: row.id,
      objective,
      status: params.status ?? "active",
      tokenBudget: params.tokenBudget ?? null,
      tokensUsed: 0,
      timeUsedSeconds: 0,
      createdAt: now,
      updatedAt: now,
    };
  }
  // As Codex 0.171.0 (probed): a spent budget outranks a pause.
  const isSpentPaused = params.status === "paused" && current.status === "budgetLimited";
  return goalInOrder({
    ...current,
    objective: objective ?? current.objective,
    status: isSpentPaused ? current.status : (params.status ?? current.status),
    tokenBudget: params.tokenBudget === undefined ? current.tokenBudget : params.tokenBudget,
    updatedAt: now,
  });
}

/**
 * A thread's settings after an update (thread/settings/update, or a turn/start's overrides), and the
 * model it names, if any, as Codex 0.171.0 applies one (probed on the binary): a collaboration mode
 * carries the thread's model and reasoning effort. Given one, its model and its effort (null too)
 * become the thread's, over any `model` and `effort` in the same update, and its developer
 * instructions are kept as given; a later model or effort moves the mode's settings with it
 * (effectiveSettings reads them from the thread's).
 */
export function updatedSettings(
  current: StoredSettings,
  params: Omit<ThreadSettingsUpdateParams, "threadId">,
  /** The permission profile `params.permissions` names, as the config service resolved it. */
  profile?: Pick<ResolvePermissionProfileResponse, "sandbox" | "activePermissionProfile">,
): { settings: StoredSettings; model: string | undefined } {
  const next: StoredSettings = { ...current };
  let model = params.model ?? undefined;
  if (params.approvalPolicy) next.approvalPolicy = params.approvalPolicy;
  if (params.approvalsReviewer) next.approvalsReviewer = params.approvalsReviewer;
  // As Codex 0.171.0: a profile sets the sandbox it grants and becomes the active one; a sandbox
  // policy given alone is the legacy path, which has no active profile.
  if (profile) {
    next.sandbox = sandboxPolicy(profile.sandbox);
    next.activePermissionProfile = profile.activePermissionProfile;
  }
  if (params.sandboxPolicy) {
    next.sandbox = params.sandboxPolicy;
    next.activePermissionProfile = null;
  }
  // As Codex keeps it: `fast` is `priority`, and null is explicit standard routing (`default`).
  if (params.serviceTier !== undefined) next.serviceTier = keptServiceTier(params.serviceTier);
  if (params.effort) next.effort = params.effort;
  if (params.summary) next.summary = params.summary;
  if (params.collaborationMode) {
    const { mode, settings } = params.collaborationMode;
    next.collaborationMode = { mode, settings: { developer_instructions: settings.developer_instructions ?? null } };
    model = settings.model;
    next.effort = settings.reasoning_effort ?? null;
  }
  if (params.disabledPluginIds) next.disabledPluginIds = params.disabledPluginIds;
  return { settings: next, model };
}
