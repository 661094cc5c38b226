// Request handlers for the thread/* family: thread/start, thread/read, thread/list, thread/name/set.
import {
  Method,
  Notification,
  SwitchyardError,
  type ThreadListParams,
  type ThreadListResponse,
  type ThreadReadParams,
  type ThreadReadResponse,
  type ThreadSetNameParams,
  type ThreadStartParams,
  type ThreadStartResponse,
} from "@switchyard/protocol";
import { type HandlerContext, type HandlersFor, newId } from "@switchyard/runtime";
import type { SortColumn } from "../store/cursor.js";
import type { ThreadStore } from "../store/thread-store.js";
import { threadView, turnsView } from "../thread-view.js";

export interface ThreadDefaults {
  model: string;
  modelProvider: string;
  cwd: string;
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;
const MAX_EXCLUDED_IDS = 100;

function sandboxPolicy(mode: ThreadStartParams["sandbox"]): ThreadStartResponse["sandbox"] {
  switch (mode) {
    case "danger-full-access":
      return { type: "dangerFullAccess" };
    case "workspace-write":
      return {
        type: "workspaceWrite",
        writableRoots: [],
        networkAccess: false,
        excludeTmpdirEnvVar: false,
        excludeSlashTmp: false,
      };
    default:
      return { type: "readOnly", networkAccess: false };
  }
}

export function threadHandlers(store: ThreadStore, defaults: ThreadDefaults): HandlersFor<"thread"> {
  const threadNotFound = (threadId: string) => new SwitchyardError({ reason: "threadNotFound", threadId });

  async function start(params: ThreadStartParams, { request, events }: HandlerContext): Promise<ThreadStartResponse> {
    const cwd = params.cwd ?? defaults.cwd;
    if (!cwd.startsWith("/")) {
      throw new SwitchyardError({ reason: "invalidArgument", message: `cwd must be an absolute path, got ${cwd}` });
    }
    const settings = {
      approvalPolicy: params.approvalPolicy ?? "on-request",
      approvalsReviewer: params.approvalsReviewer ?? "user",
      sandbox: sandboxPolicy(params.sandbox),
      serviceTier: params.serviceTier ?? null,
    };
    const row = await store.create({
      tenant: request.caller.tenant,
      id: newId(),
      cwd,
      modelProvider: params.modelProvider ?? defaults.modelProvider,
      model: params.model ?? defaults.model,
      source: "appServer",
      sourceKind: "appServer",
      threadSource: params.threadSource ?? null,
      historyMode: params.historyMode ?? "legacy",
      isEphemeral: params.ephemeral ?? false,
      cliVersion: request.clientVersion || "0.0.0",
      projectId: params.projectId ?? null,
      settings,
      createdBy: request.caller.subject,
    });
    const thread = threadView(row);
    events.emit(Notification.threadStarted, { thread }, { tenant: request.caller.tenant });
    return {
      thread,
      model: row.model ?? defaults.model,
      modelProvider: row.model_provider,
      serviceTier: settings.serviceTier,
      cwd: row.cwd,
      approvalPolicy: settings.approvalPolicy,
      approvalsReviewer: settings.approvalsReviewer,
      sandbox: settings.sandbox,
      reasoningEffort: null,
      instructionSources: [],
      runtimeWorkspaceRoots: [],
    };
  }

  async function read(params: ThreadReadParams, { request }: HandlerContext): Promise<ThreadReadResponse> {
    const row = await store.read(request.caller.tenant, params.threadId);
    if (!row) throw threadNotFound(params.threadId);
    const turns = params.includeTurns ? turnsView(await store.readItems(request.caller.tenant, row.id)) : [];
    return { thread: threadView(row, turns) };
  }

  async function list(params: ThreadListParams, { request }: HandlerContext): Promise<ThreadListResponse> {
    const excludedIds = params.excludedThreadIds ?? [];
    if (excludedIds.length > MAX_EXCLUDED_IDS) {
      throw new SwitchyardError({
        reason: "invalidArgument",
        message: `excludedThreadIds accepts at most ${MAX_EXCLUDED_IDS} ids, got ${excludedIds.length}`,
      });
    }
    // section_position has no meaning without sections yet; it orders like updated_at.
    const sortKey: SortColumn = params.sortKey === "section_position" || !params.sortKey ? "updated_at" : params.sortKey;
    const cwds = params.cwd === null || params.cwd === undefined ? null : Array.isArray(params.cwd) ? params.cwd : [params.cwd];
    const page = await store.list({
      tenant: request.caller.tenant,
      sortKey,
      direction: params.sortDirection ?? "desc",
      limit: Math.min(Math.max(params.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE),
      cursor: params.cursor ?? null,
      isArchived: params.archived === true,
      cwds,
      modelProviders: params.modelProviders ?? null,
      sourceKinds: params.sourceKinds ?? null,
      searchTerm: params.searchTerm?.trim() || null,
      excludedIds,
    });
    return {
      data: page.rows.map((row) => threadView(row)),
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
    if (outcome === "threadNotFound") throw threadNotFound(params.threadId);
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
