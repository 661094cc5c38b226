// Request handlers for the thread/* family: thread/start, thread/read, thread/list, thread/name/set.
import {
  canonicalUuid,
  codexUuidError,
  Method,
  Notification,
  needsOfferedTier,
  offeredServiceTier,
  type ResolvePermissionProfileParams,
  type ResolvePermissionProfileResponse,
  type ResolveThreadConfigParams,
  type ResolveThreadConfigResponse,
  SwitchyardError,
  type Thread,
  type ThreadListParams,
  type ThreadListResponse,
  type ThreadReadParams,
  type ThreadReadResponse,
  type ThreadReadState,
  type ThreadSetNameParams,
  type ThreadStartParams,
  type ThreadStartResponse,
} from "@switchyard/protocol";
import { type BusRequest, FAILPOINTS, failpoint, type HandlerContext, type HandlersFor, newId } from "@switchyard/runtime";
import { CLIENT_THREAD_SOURCE, selectedSourceKinds } from "../source-kinds.js";
import { StartTemplates } from "../start-templates.js";
import { decodeCursor, type ListSortKey } from "../store/cursor.js";
import { isProjectGone, type ProjectStore } from "../store/project-store.js";
import { sectionIdOf } from "../store/section-store.js";
import { isThreadTaken, type NewThread, type ThreadRow, type ThreadStore } from "../store/thread-store.js";
import {
  hasNothingRecorded,
  readStateView,
  type StoredSettings,
  sandboxPolicy,
  sessionView,
  threadView,
  turnsView,
} from "../thread-view.js";
import { resolveCwd } from "./lifecycle-handlers.js";
import { projectNotFound } from "./project-handlers.js";

/** What a thread/start asks of the config (as do a resume that loads a thread afresh and a fork): its overrides. */
export function configOverridesOf(
  params: Pick<
    ThreadStartParams,
    "model" | "modelProvider" | "serviceTier" | "approvalPolicy" | "approvalsReviewer" | "sandbox" | "permissions" | "config"
  >,
): ResolveThreadConfigParams["overrides"] {
  return {
    model: params.model,
    modelProvider: params.modelProvider,
    serviceTier: params.serviceTier,
    // Codex keeps three states: absent (config or unset), null (explicit standard routing), a tier.
    serviceTierGiven: "serviceTier" in params,
    approvalPolicy: params.approvalPolicy,
    approvalsReviewer: params.approvalsReviewer,
    sandbox: params.sandbox,
    // A named permission profile: the config resolves it (built-in, or its `[permissions]` table).
    permissions: params.permissions,
    config: params.config,
  };
}

/** The instructions a start, resume or fork gives its thread (StoredSettings), those it names only. */
export function instructionsOf(
  params: Pick<ThreadStartParams, "baseInstructions" | "developerInstructions">,
): Pick<StoredSettings, "baseInstructions" | "developerInstructions"> {
  return {
    ...(params.baseInstructions != null ? { baseInstructions: params.baseInstructions } : {}),
    ...(params.developerInstructions != null ? { developerInstructions: params.developerInstructions } : {}),
  };
}

/** A thread's stored settings as the config service resolved its session. */
export function sessionSettings(session: ResolveThreadConfigResponse): StoredSettings {
  return {
    approvalPolicy: session.approvalPolicy,
    approvalsReviewer: session.approvalsReviewer,
    sandbox: sandboxPolicy(session.sandbox),
    serviceTier: session.serviceTier,
    effort: session.reasoningEffort,
    activePermissionProfile: session.activePermissionProfile,
  };
}

export interface ThreadDefaults {
  model: string;
  modelProvider: string;
  cwd: string;
}

/** Where a new thread's settings come from: the config service (internal/config/*). */
export interface ThreadConfigSource {
  resolve(params: ResolveThreadConfigParams, origin: BusRequest): Promise<ResolveThreadConfigResponse>;
  /** A fork's config snapshot: a copy of its source's. */
  fork(threadId: string, sourceThreadId: string, origin: BusRequest): Promise<void>;
  /** The service tiers the tenant's model catalog lists for a model (service-tier.ts). */
  serviceTiers(model: string, modelProvider: string, origin: BusRequest): Promise<string[]>;
  /** What a permission profile gives a thread (thread/settings/update's `permissions`), or Codex's refusal. */
  permissionProfile(params: ResolvePermissionProfileParams, origin: BusRequest): Promise<ResolvePermissionProfileResponse>;
}

/**
 * The session answer of thread/start, resume and fork, its tier shown as the thread's model offers
 * it (service-tier.ts; the thread keeps the tier it was given). `offered` are the model's tiers when
 * the caller has them at hand (the config service's answer for this session and model); otherwise
 * the config service is asked, only when the tier is one a model must list.
 */
export async function answeredSession(
  config: ThreadConfigSource,
  row: ThreadRow,
  thread: Thread,
  defaultModel: string,
  origin: BusRequest,
  offered?: readonly string[],
): Promise<ThreadStartResponse> {
  const session = sessionView(row, thread, defaultModel);
  if (!needsOfferedTier(session.serviceTier)) return session;
  const tiers = offered ?? (await config.serviceTiers(session.model, session.modelProvider, origin));
  return { ...session, serviceTier: offeredServiceTier(session.serviceTier, tiers) };
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;
/** excludedThreadIds and includedThreadIds hold at most this many ids each (Codex's limit). */
const MAX_LISTED_IDS = 100;

type ThreadMethodName = "thread/start" | "thread/read" | "thread/list" | "thread/name/set";

export function threadHandlers(
  store: ThreadStore,
  defaults: ThreadDefaults,
  config: ThreadConfigSource,
  /** A thread's project must be one of its tenant's (thread/start, thread/list by project). */
  projects: ProjectStore,
  /** Reusable config answers of recent starts (start-templates.ts); one per process. */
  templates: StartTemplates = new StartTemplates(),
): Pick<HandlersFor<"thread">, ThreadMethodName> {
  const threadNotFound = (threadId: string, wording?: "notLoaded" | "noRollout") =>
    new SwitchyardError({ reason: "threadNotFound", threadId, wording });

  async function start(params: ThreadStartParams, context: HandlerContext): Promise<ThreadStartResponse> {
    const projectId = params.projectId ?? null;
    if (projectId === null) return startIn(null, params, context);
    // Refused as Codex refuses it (-32600); a project deleted while the thread is created refuses it
    // too (the foreign key on the thread's project fails it).
    const gone = () => new SwitchyardError({ reason: "invalidArgument", message: projectNotFound(projectId) });
    const id = await projects.named(context.request.caller.tenant, projectId);
    if (id === undefined) throw gone();
    try {
      return await startIn(id, params, context);
    } catch (error) {
      throw isProjectGone(error) ? gone() : error;
    }
  }

  async function startIn(
    projectId: string | null,
    params: ThreadStartParams,
    { request, events }: HandlerContext,
  ): Promise<ThreadStartResponse> {
    const cwd = resolveCwd(defaults.cwd, params.cwd ?? defaults.cwd);
    // The gateway names the thread (and has subscribed its caller to it already); a request without a
    // name (another sender, an older gateway) gets one here.
    const threadId = request.newThreadId ?? newId();
    const { tenant, subject } = request.caller;
    const inputs = { cwd, overrides: configOverridesOf(params), clientVersion: request.clientVersion || "0.0.0" };
    const newThread = (session: ResolveThreadConfigResponse): NewThread => ({
      tenant,
      id: threadId,
      cwd,
      modelProvider: session.modelProvider || defaults.modelProvider,
      model: session.model || defaults.model,
      ...CLIENT_THREAD_SOURCE,
      threadSource: params.threadSource ?? null,
      // Codex 0.171.0 reports `paginated` for a thread started without a history mode.
      historyMode: params.historyMode ?? "paginated",
      isEphemeral: params.ephemeral ?? false,
      cliVersion: inputs.clientVersion,
      projectId,
      settings: { ...sessionSettings(session), ...instructionsOf(params) },
      createdBy: subject,
      subscriber: request.connection,
      dynamicTools: params.dynamicTools ?? [],
      originator: request.clientName || null,
    });
    // The same inputs as a recent start: the thread and its config snapshot in one statement, unless
    // the tenant's config has changed since (then the config service resolves it afresh).
    const templateKey = StartTemplates.keyOf(tenant, subject, inputs);
    const template = templateKey === undefined ? undefined : templates.get(templateKey);
    let session = template?.answer;
    let row: ThreadRow | undefined;
    try {
      row =
        template &&
        (await store.createWithSnapshot(newThread(template.answer), {
          subject,
          ...template.snapshotJson,
          generation: template.generation,
        }));
      if (!row || !session) {
        if (templateKey !== undefined) templates.forget(templateKey);
        // The config service resolves the layers, the orchestrator's session config and the requirements
        // (and stores the thread's config snapshot); its refusals reach the client as they are.
        session = await config.resolve({ threadId, ...inputs }, request);
        if (templateKey !== undefined) templates.remember(templateKey, session);
        row = await store.create(newThread(session));
      }
    } catch (error) {
      // A second ask of this start (the gateway asked again because the first one's answer was late:
      // its instance died or stalls) finds the thread the first one made. The gateway names each
      // start's thread afresh (a UUIDv7 no client chooses), so a thread under that name in this
      // tenant is this request's. It answers with that thread and announces it again: the first ask
      // may have died between its commit and its announcement, and a gateway passes on one
      // thread/started per thread (fanout.ts), so a client hears it once either way.
      const made = isThreadTaken(error) && request.newThreadId ? await store.read(tenant, threadId) : undefined;
      if (!made) throw error;
      const thread = threadView(made);
      events.emit(Notification.threadStarted, { thread }, { tenant });
      return answeredSession(config, made, thread, defaults.model, request);
    }
    failpoint(FAILPOINTS.threadStartCommitted);
    for (const warning of session.warnings) {
      events.emit(Notification.configWarning, warning, { connection: request.connection });
    }
    const thread = threadView(row);
    events.emit(Notification.threadStarted, { thread }, { tenant });
    return answeredSession(config, row, thread, defaults.model, request, session.modelServiceTiers);
  }

  async function read(params: ThreadReadParams, { request }: HandlerContext): Promise<ThreadReadResponse> {
    const row = await store.read(request.caller.tenant, params.threadId);
    if (!row) throw threadNotFound(params.threadId, "notLoaded");
    if (params.includeTurns && hasNothingRecorded(row)) {
      throw new SwitchyardError({ reason: "notMaterialized", threadId: row.id, what: "readTurns" });
    }
    const turns = params.includeTurns
      ? turnsView(await store.readItems(request.caller.tenant, row.id), await store.turnStates(request.caller.tenant, row.id))
      : [];
    return { thread: threadView(row, turns), readState: readStateView(row) };
  }

  async function list(params: ThreadListParams, { request }: HandlerContext): Promise<ThreadListResponse> {
    // Refusals in Codex 0.171.0's words (-32600 here); a well-formed id of another tenant is not
    // refused, it just matches nothing, as an unknown id does.
    const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });
    // Ids parsed as Codex parses them (its diagnosis in the text; -32602 for the id lists), and named
    // by their canonical form.
    const validIds = (ids: string[], what: string, asInvalidParams = false) =>
      ids.map((id) => {
        const error = codexUuidError(id);
        if (error === undefined) return canonicalUuid(id);
        const message = `invalid ${what} id: ${error}`;
        throw new SwitchyardError(
          asInvalidParams ? { reason: "invalidParams", message } : { reason: "invalidArgument", message },
        );
      });
    const validId = (id: string | null | undefined, what: string) => (id ? validIds([id], what)[0] : undefined);
    const givenExcludedIds = params.excludedThreadIds ?? [];
    if (givenExcludedIds.length > MAX_LISTED_IDS) throw invalid(`excludedThreadIds accepts at most ${MAX_LISTED_IDS} entries`);
    const givenIncludedIds = params.includedThreadIds ?? null;
    if (givenIncludedIds && givenIncludedIds.length > MAX_LISTED_IDS) {
      throw invalid(`includedThreadIds accepts at most ${MAX_LISTED_IDS} entries`);
    }
    if (params.parentThreadId && params.ancestorThreadId) {
      throw invalid("parentThreadId and ancestorThreadId are mutually exclusive");
    }
    if (params.attachedToThreadId && (params.parentThreadId || params.ancestorThreadId)) {
      throw invalid("attachedToThreadId cannot be combined with parentThreadId or ancestorThreadId");
    }
    const excludedIds = validIds(givenExcludedIds, "excluded thread", true);
    const includedIds = givenIncludedIds && validIds(givenIncludedIds, "included thread", true);
    const parentThreadId = validId(params.parentThreadId, "parent thread");
    const ancestorThreadId = validId(params.ancestorThreadId, "ancestor thread");
    const attachedTo = validId(params.attachedToThreadId, "attached thread parent");
    // A thread's place in its section orders only one section's threads (Codex's refusal otherwise),
    // first place first unless asked otherwise; the timestamps order newest first.
    if (params.sortKey === "section_position" && typeof params.sectionId !== "string") {
      throw invalid("section-position sorting requires a section filter");
    }
    const sortKey: ListSortKey = params.sortKey ?? "updated_at";
    const direction = params.sortDirection ?? (sortKey === "section_position" ? "asc" : "desc");
    // Taken as a thread's own cwd is (resolveCwd), so `./sub` and `/workspace/x/../sub/` find a thread started in `sub`.
    const cwds =
      params.cwd === null || params.cwd === undefined
        ? null
        : (Array.isArray(params.cwd) ? params.cwd : [params.cwd]).map((cwd) => resolveCwd(defaults.cwd, cwd));
    const limit = Math.min(params.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    // A project is named exactly (as Codex matches it), and must be one of the tenant's (-32602).
    if (typeof params.projectId === "string" && (await projects.named(request.caller.tenant, params.projectId)) === undefined) {
      throw new SwitchyardError({ reason: "invalidParams", message: projectNotFound(params.projectId) });
    }
    // Nothing can match: Switchyard has no attachments yet (every thread is unattached), a section id
    // that is not one as stored names no section, an empty inclusion list matches nothing, and a page of 0 is
    // empty. A cursor is still checked, as any page checks it. The empty page has its (empty) read
    // states, as Codex 0.171.0's has.
    const sectionId = typeof params.sectionId === "string" ? sectionIdOf(params.sectionId) : params.sectionId;
    const namesNoSection = typeof params.sectionId === "string" && sectionId === undefined;
    const matchesNothing = attachedTo !== undefined || namesNoSection || includedIds?.length === 0 || limit === 0;
    if (matchesNothing) {
      if (params.cursor) decodeCursor(params.cursor, sortKey);
      return { data: [], readStates: {}, nextCursor: null, backwardsCursor: null };
    }
    const page = await store.list({
      tenant: request.caller.tenant,
      sortKey,
      direction,
      limit,
      cursor: params.cursor ?? null,
      isArchived: params.archived === true,
      cwds,
      modelProviders: params.modelProviders ?? null,
      originators: params.originators ?? null,
      sourceKinds: selectedSourceKinds(params.sourceKinds),
      searchTerm: params.searchTerm?.trim() || null,
      excludedIds,
      includedIds,
      parentThreadId: parentThreadId ?? null,
      ancestorThreadId: ancestorThreadId ?? null,
      // Omitted: any project; null: threads without one (the schema's distinction, kept by zod).
      projectId: params.projectId,
      // Likewise for sections.
      sectionId,
    });
    // The read states of the page's threads that have one, by id (Codex leaves the others out).
    const readStates: Record<string, ThreadReadState> = {};
    for (const row of page.rows) {
      const readState = readStateView(row);
      if (readState) readStates[row.id] = readState;
    }
    return {
      data: page.rows.map((row) => threadView(row, [], { isStoredView: true })),
      readStates,
      nextCursor: page.nextCursor,
      backwardsCursor: page.backwardsCursor,
    };
  }

  async function setName(params: ThreadSetNameParams, { request, events }: HandlerContext): Promise<Record<string, never>> {
    const name = params.name.trim();
    if (name.length === 0) {
      throw new SwitchyardError({ reason: "invalidArgument", message: "thread name must not be empty" });
    }
    const outcome = await store.setName(request.caller.tenant, params.threadId, name, request.commandId);
    if (outcome === "threadNotFound") throw threadNotFound(params.threadId, "noRollout");
    // Announced again on a redelivery too: the first delivery may have died before announcing it.
    events.emit(
      Notification.threadNameUpdated,
      { threadId: params.threadId, threadName: name },
      { tenant: request.caller.tenant },
    );
    return {};
  }

  return {
    [Method.threadStart]: start,
    [Method.threadRead]: read,
    [Method.threadList]: list,
    [Method.threadNameSet]: setName,
  };
}
