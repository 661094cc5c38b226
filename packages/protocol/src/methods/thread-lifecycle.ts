// The thread lifecycle beyond start/read/list/rename, as the official 0.171.0 schema shapes it:
// resume, fork, archive, unarchive, delete, unsubscribe, loaded/list, metadata, goals, settings,
// turns and items pages, injected items, read state, realtime history. Scopes follow Codex's
// declarations (codex-wire "Serialization scopes"): thread-keyed methods are exclusive on the thread
// id; the pages and lists are unkeyed.
import { z } from "zod";
import { canonicalUuid, codexUuidError } from "../codex-uuid.js";
import { defineMethods, defineNotifications } from "../define.js";
import { I64, PathString, serdeEnum, serdeStruct, U32, U64 } from "../serde-types.js";
import {
  ApprovalsReviewer,
  AskForApproval,
  MultiAgentMode,
  Personality,
  SandboxPolicy,
  SessionOverrides,
  SortDirection,
  Thread,
  ThreadNotification,
  ThreadReadState,
  ThreadStartResponse,
  ThreadStatus,
} from "./thread.js";
import { ThreadItemEntry } from "./thread-search.js";
import { ReasoningEffort, ReasoningSummary, ThreadItem, Turn, TurnError, TurnNotification, TurnStatus } from "./turn.js";

const threadKey = (params: { threadId: string }) => params.threadId;
const ThreadIdParams = z.object({ threadId: z.string() });

/** Session overrides a resume or fork may carry (applied on a cold resume, ignored on a live one). */
const ResumeOverrides = {
  ...SessionOverrides,
  permissions: z.string().nullish(),
  runtimeWorkspaceRoots: z.array(z.string()).nullish(),
};

export const TurnItemsView = z.enum(["notLoaded", "summary", "full"]);
export type TurnItemsView = z.infer<typeof TurnItemsView>;

/** A thread/turns/list page to answer with (from the newest turn and in summary unless it says otherwise). */
export const ThreadResumeInitialTurnsPage = serdeStruct("ThreadResumeInitialTurnsPageParams", {
  limit: U32.nullish(),
  sortDirection: z.enum(["asc", "desc"]).nullish(),
  itemsView: TurnItemsView.nullish(),
});

export const ThreadResumeParams = z.object({
  threadId: z.string(),
  history: z.array(z.unknown()).nullish(),
  path: PathString.nullish(),
  excludeTurns: z.boolean().nullish(),
  initialTurnsPage: ThreadResumeInitialTurnsPage.nullish(),
  personality: Personality.nullish(),
  ...ResumeOverrides,
});
export type ThreadResumeParams = z.infer<typeof ThreadResumeParams>;

export const ThreadForkParams = z.object({
  threadId: z.string(),
  path: PathString.nullish(),
  // Accepted and checked as Codex checks them; a cloud fork has no use for them.
  deferGoalContinuation: z.boolean().optional(),
  experimentalDisablePredictionMcp: z.boolean().optional(),
  experimentalPredictionMode: z.boolean().optional(),
  /** Fork before this turn (it and later turns are left out). */
  beforeTurnId: z.string().nullish(),
  /** Fork after this turn (later turns are left out). */
  lastTurnId: z.string().nullish(),
  ephemeral: z.boolean().nullish(),
  excludeTurns: z.boolean().nullish(),
  threadSource: z.string().nullish(),
  attachToSource: z.boolean().nullish(),
  ...ResumeOverrides,
});
export type ThreadForkParams = z.infer<typeof ThreadForkParams>;
export const ThreadForkResponse = ThreadStartResponse;

export type ThreadIdParams = z.infer<typeof ThreadIdParams>;
export const EmptyResponse = z.object({});
export const ThreadUnarchiveResponse = z.object({ thread: Thread });
export const ThreadRevertParams = z.object({ threadId: z.string(), beforeTurnId: z.string() });
export const ThreadRevertResponse = z.object({
  /** The thread as it is after the revert; `turns` is always empty (thread/turns/list pages them). */
  thread: Thread,
  turnsBackwardsCursor: z.string().nullish(),
  itemsBackwardsCursor: z.string().nullish(),
});
export const ThreadUnsubscribeResponse = z.object({ status: z.enum(["unsubscribed", "notSubscribed", "notLoaded"]) });

export const ThreadLoadedListParams = z.object({
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export const ThreadLoadedListResponse = z.object({ data: z.array(z.string()), nextCursor: z.string().nullable() });

export const ThreadMetadataUpdateParams = z.object({
  threadId: z.string(),
  projectId: z.string().nullish(),
  gitInfo: serdeStruct("ThreadMetadataGitInfoUpdateParams", {
    sha: z.string().nullish(),
    branch: z.string().nullish(),
    originUrl: z.string().nullish(),
  }).nullish(),
  daybreakEnabled: z.boolean().nullish(),
});
export type ThreadMetadataUpdateParams = z.infer<typeof ThreadMetadataUpdateParams>;
export const ThreadMetadataUpdateResponse = z.object({ thread: Thread });

export const ThreadGoalStatus = z.enum(["active", "paused", "blocked", "usageLimited", "budgetLimited", "complete"]);
export const ThreadGoal = z.object({
  threadId: z.string(),
  objective: z.string(),
  status: ThreadGoalStatus,
  tokenBudget: z.number().int().nullable(),
  tokensUsed: z.number().int(),
  timeUsedSeconds: z.number().int(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type ThreadGoal = z.infer<typeof ThreadGoal>;
/** Who changed a goal: its provenance, not an authorization. */
const ThreadGoalMutationOrigin = serdeEnum(["user", "automatic"]);
export const ThreadGoalSetParams = z.object({
  threadId: z.string(),
  objective: z.string().nullish(),
  status: ThreadGoalStatus.nullish(),
  // Any integer: a budget that is not positive gets Codex's own refusal from the thread service.
  tokenBudget: I64.nullish(),
  origin: ThreadGoalMutationOrigin.nullish(),
});
export type ThreadGoalSetParams = z.infer<typeof ThreadGoalSetParams>;
export const ThreadGoalClearParams = z.object({ threadId: z.string(), origin: ThreadGoalMutationOrigin.nullish() });

export const ThreadSettings = z.object({
  cwd: z.string(),
  model: z.string(),
  modelProvider: z.string(),
  serviceTier: z.string().nullable(),
  approvalPolicy: AskForApproval,
  approvalsReviewer: ApprovalsReviewer,
  sandboxPolicy: SandboxPolicy,
  collaborationMode: serdeStruct("CollaborationMode", {
    mode: z.enum(["plan", "default"]),
    settings: z.object({
      model: z.string(),
      reasoning_effort: z.string().nullish(),
      developer_instructions: z.string().nullish(),
    }),
  }),
  effort: z.string().nullable(),
  summary: z.string().nullable(),
  disabledPluginIds: z.array(z.string()),
  environments: z.null(),
  activePermissionProfile: z.object({ id: z.string(), extends: z.string().nullable() }).nullable(),
  /** Deprecated in Codex 0.171.0 and always this value. */
  multiAgentMode: z.literal("explicitRequestOnly"),
  personality: z.null(),
});
export type ThreadSettings = z.infer<typeof ThreadSettings>;
export const ThreadSettingsUpdateParams = z.object({
  threadId: z.string(),
  cwd: PathString.nullish(),
  model: z.string().nullish(),
  serviceTier: z.string().nullish(),
  approvalPolicy: AskForApproval.nullish(),
  approvalsReviewer: ApprovalsReviewer.nullish(),
  sandboxPolicy: SandboxPolicy.nullish(),
  collaborationMode: ThreadSettings.shape.collaborationMode.nullish(),
  effort: ReasoningEffort.nullish(),
  summary: ReasoningSummary.nullish(),
  disabledPluginIds: z.array(z.string()).nullish(),
  personality: Personality.nullish(),
  permissions: z.string().nullish(),
  environments: z.array(z.unknown()).nullish(),
  multiAgentMode: MultiAgentMode.nullish(),
});
export type ThreadSettingsUpdateParams = z.infer<typeof ThreadSettingsUpdateParams>;

export const ThreadTurnsListParams = z.object({
  threadId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  sortDirection: SortDirection.nullish(),
  itemsView: TurnItemsView.nullish(),
});
export type ThreadTurnsListParams = z.infer<typeof ThreadTurnsListParams>;
export const ThreadTurnsListResponse = z.object({
  data: z.array(Turn),
  nextCursor: z.string().nullable(),
  backwardsCursor: z.string().nullable(),
});
export type ThreadTurnsListResponse = z.infer<typeof ThreadTurnsListResponse>;

/**
 * Resume answers more than a start (as Codex 0.171.0): the thread's effective collaboration mode, the
 * turns page `initialTurnsPage` asked for (else null), and cursors to hydrate a paginated history
 * backwards from its newest turn and item (null while it has none).
 */
export const ThreadResumeResponse = ThreadStartResponse.extend({
  collaborationMode: ThreadSettings.shape.collaborationMode.nullish(),
  initialTurnsPage: ThreadTurnsListResponse.nullish(),
  turnsBackwardsCursor: z.string().nullish(),
  itemsBackwardsCursor: z.string().nullish(),
});
export type ThreadResumeResponse = z.infer<typeof ThreadResumeResponse>;

export const ThreadItemsListParams = z.object({
  threadId: z.string(),
  turnId: z.string().nullish(),
  cursor: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  limit: U32.nullish(),
  sortDirection: SortDirection.nullish(),
  deferOutput: serdeStruct("ThreadItemOutputDeferral", {
    commandExecution: z.boolean().optional(),
    mcpToolCall: z.boolean().optional(),
  }).nullish(),
});
export type ThreadItemsListParams = z.infer<typeof ThreadItemsListParams>;
export const ThreadItemsListResponse = z.object({
  data: z.array(ThreadItemEntry),
  nextCursor: z.string().nullable(),
  backwardsCursor: z.string().nullable(),
});

/**
 * thread/timeline/list (experimental, as Codex 0.171.0 gates it): a thread's history as one ordered
 * list of turn boundaries and items, paged backwards from the newest. Shaped as the binary sends it
 * (probed): `turnId`, `startedAt`, `completedAt` and `durationMs` in camelCase on every entry, where
 * the official schema spells the boundaries' fields in snake_case; the binary is what clients read.
 * `position` orders entries (Codex's is a rollout line; Switchyard's is derived from the items' log,
 * thread-store.ts `timelinePage`), and `realtime` entries never occur (no realtime sessions here).
 */
export const ThreadTimelineListParams = serdeStruct("ThreadTimelineListParams", {
  threadId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export type ThreadTimelineListParams = z.infer<typeof ThreadTimelineListParams>;
const TimelinePosition = z.number().int().nonnegative();
const UnixSeconds = z.number().int().nullable();
export const ThreadTimelineEntry = z.discriminatedUnion("type", [
  z.object({ type: z.literal("turnStarted"), position: TimelinePosition, turnId: z.string(), startedAt: UnixSeconds }),
  z.object({ type: z.literal("item"), position: TimelinePosition, turnId: z.string(), item: ThreadItem }),
  z.object({ type: z.literal("realtime"), position: TimelinePosition, item: z.looseObject({ type: z.string() }) }),
  z.object({
    type: z.literal("turnCompleted"),
    position: TimelinePosition,
    turnId: z.string(),
    status: TurnStatus,
    error: TurnError.nullable(),
    startedAt: UnixSeconds,
    completedAt: UnixSeconds,
    durationMs: z.number().int().nullable(),
  }),
]);
export type ThreadTimelineEntry = z.infer<typeof ThreadTimelineEntry>;
export const ThreadTimelineListResponse = z.object({
  data: z.array(ThreadTimelineEntry),
  nextCursor: z.string().nullable(),
  activeRealtimeSessionAtPageStart: z.string().nullable(),
});
export type ThreadTimelineListResponse = z.infer<typeof ThreadTimelineListResponse>;

export const ThreadInjectItemsParams = z.object({ threadId: z.string(), items: z.array(z.unknown()) });
/** thread/prepareApprovedPlan: a plan the user approved, and where the client keeps a copy of it. */
export const ThreadPrepareApprovedPlanParams = serdeStruct("ThreadPrepareApprovedPlanParams", {
  threadId: z.string(),
  markdown: z.string(),
  attachmentPath: z.string().nullish(),
});
export type ThreadPrepareApprovedPlanParams = z.infer<typeof ThreadPrepareApprovedPlanParams>;
export const ThreadPrepareApprovedPlanResponse = z.object({ prompt: z.string() });
export type ThreadInjectItemsParams = z.infer<typeof ThreadInjectItemsParams>;

// Fields in Codex's declaration order: a request missing several is refused naming the first, as serde does.
export const ThreadReadStateUpdateParams = z.object({
  threadId: z.string(),
  operation: z.discriminatedUnion("type", [z.object({ type: z.literal("read") }), z.object({ type: z.literal("unread") })], {
    error: "expected internally tagged enum ThreadReadStateOperation",
  }),
  expectedRevision: z.string(),
});
export type ThreadReadStateUpdateParams = z.infer<typeof ThreadReadStateUpdateParams>;
export const ThreadReadStateUpdateResponse = z.object({ readState: ThreadReadState });

export const ThreadRealtimeListParams = z.object({
  threadId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  sessionId: z.string().nullish(),
  eventId: z.string().nullish(),
  order: serdeEnum(["observedAt", "position"]).nullish(),
  afterPosition: U64.nullish(),
  fromObservedAtMs: I64.nullish(),
  toObservedAtMs: I64.nullish(),
  requiredThroughPosition: U64.nullish(),
  snapshotEnd: U64.nullish(),
});
export const ThreadRealtimeListResponse = z.object({
  data: z.array(z.unknown()),
  nextCursor: z.string().nullable(),
  snapshotEnd: z.number().int(),
  projectedThroughItemIndex: z.number().int(),
  coverage: z.enum(["unsupported", "pending", "ready"]),
});

/**
 * getConversationSummary, Codex's v1 method (its 0.171.0 schema no longer lists it; the binary still
 * answers it): serde reads an untagged enum, a rollout path first, else a thread id (any form Codex's
 * UUID parser takes); anything else is its one refusal.
 */
export type GetConversationSummaryParams = { rolloutPath: string } | { conversationId: string };
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
export const GetConversationSummaryParams = z.custom<GetConversationSummaryParams>(
  (value) =>
    isObject(value) &&
    (typeof value.rolloutPath === "string" ||
      (typeof value.conversationId === "string" && codexUuidError(value.conversationId) === undefined)),
  { error: "data did not match any variant of untagged enum GetConversationSummaryParams" },
);
/** The thread a summary is asked of (the rollout-path form names none: no write of any thread is waited for). */
export const summaryThreadKey = (params: GetConversationSummaryParams): string =>
  "rolloutPath" in params && typeof params.rolloutPath === "string"
    ? ""
    : canonicalUuid((params as { conversationId: string }).conversationId);
export const ConversationSummary = z.object({
  conversationId: z.string(),
  path: z.string(),
  preview: z.string(),
  timestamp: z.string().nullable(),
  updatedAt: z.string().nullable(),
  modelProvider: z.string(),
  cwd: z.string(),
  cliVersion: z.string(),
  source: Thread.shape.source,
  gitInfo: Thread.shape.gitInfo,
});
export const GetConversationSummaryResponse = z.object({ summary: ConversationSummary });

export const ThreadLifecycleMethod = {
  threadResume: "thread/resume",
  threadFork: "thread/fork",
  threadArchive: "thread/archive",
  threadUnarchive: "thread/unarchive",
  threadRevert: "thread/revert",
  threadDelete: "thread/delete",
  threadUnsubscribe: "thread/unsubscribe",
  threadLoadedList: "thread/loaded/list",
  threadMetadataUpdate: "thread/metadata/update",
  threadGoalSet: "thread/goal/set",
  threadGoalGet: "thread/goal/get",
  threadGoalClear: "thread/goal/clear",
  threadSettingsUpdate: "thread/settings/update",
  threadTurnsList: "thread/turns/list",
  threadItemsList: "thread/items/list",
  threadTimelineList: "thread/timeline/list",
  threadInjectItems: "thread/inject_items",
  threadPrepareApprovedPlan: "thread/prepareApprovedPlan",
  threadReadStateUpdate: "thread/readState/update",
  threadRealtimeList: "thread/realtime/list",
  getConversationSummary: "getConversationSummary",
} as const;

export const ThreadLifecycleNotification = {
  threadStatusChanged: "thread/status/changed",
  threadClosed: "thread/closed",
  threadArchived: "thread/archived",
  threadUnarchived: "thread/unarchived",
  threadReverted: "thread/reverted",
  threadDeleted: "thread/deleted",
  threadGoalUpdated: "thread/goal/updated",
  threadGoalCleared: "thread/goal/cleared",
  threadSettingsUpdated: "thread/settings/updated",
  threadReadStateChanged: "thread/readState/changed",
} as const;

const M = ThreadLifecycleMethod;
const exclusiveOnThread = { kind: "exclusive", family: "thread", id: threadKey } as const;

export const threadLifecycleMethods = defineMethods({
  [M.threadResume]: {
    threadId: { label: "session" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    experimentalFields: ["history", "initialTurnsPage", "path", "permissions", "runtimeWorkspaceRoots"],
    paramsRequired: true,
    params: ThreadResumeParams,
    result: ThreadResumeResponse,
    subscribesCallerTo: (result: z.infer<typeof ThreadResumeResponse>) => result.thread.id,
    // Codex 0.171.0 tells the resuming client the thread's usage and goal right after the answer.
    announcedAfterAnswer: [
      TurnNotification.threadTokenUsageUpdated,
      ThreadLifecycleNotification.threadGoalUpdated,
      ThreadLifecycleNotification.threadGoalCleared,
    ],
    announcesThread: "params",
    summary: "Attaches the caller to a thread (loading it when it is not), with its history.",
  },
  [M.threadFork]: {
    threadId: { label: "session" },
    owner: "thread",
    // Keyed on the source thread: the fork reads its items in order with that thread's writes.
    scope: exclusiveOnThread,
    experimental: false,
    experimentalFields: ["beforeTurnId", "path", "permissions", "runtimeWorkspaceRoots"],
    experimentalFlags: [
      "attachToSource",
      "deferGoalContinuation",
      "experimentalDisablePredictionMcp",
      "experimentalPredictionMode",
    ],
    paramsRequired: true,
    params: ThreadForkParams,
    result: ThreadForkResponse,
    subscribesCallerTo: (result: z.infer<typeof ThreadForkResponse>) => result.thread.id,
    announcedAfterAnswer: [TurnNotification.threadTokenUsageUpdated, ThreadNotification.threadStarted],
    summary: "Starts a new thread with the source's items up to the fork point; subscribes the caller.",
  },
  [M.threadArchive]: {
    threadId: { label: "session" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadIdParams,
    result: EmptyResponse,
    announcedAfterAnswer: [ThreadLifecycleNotification.threadArchived],
    announcesThread: "params",
    summary: "Archives a thread and the sub-agent threads it spawned; unloads them.",
  },
  [M.threadRevert]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadRevertParams,
    result: ThreadRevertResponse,
    // As Codex 0.171.0: the revert loads the thread for its caller (status changes before the
    // answer), and thread/reverted follows the answer.
    subscribesCallerFirst: true,
    subscribesCallerTo: (result: z.infer<typeof ThreadRevertResponse>) => result.thread.id,
    announcedAfterAnswer: [ThreadLifecycleNotification.threadReverted],
    announcesThread: "params",
    summary: "Cuts a paginated thread's stored history before one turn (that turn and every later one go).",
  },
  [M.threadUnarchive]: {
    threadId: { label: "session" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadIdParams,
    result: ThreadUnarchiveResponse,
    announcedAfterAnswer: [ThreadLifecycleNotification.threadUnarchived],
    announcesThread: "params",
    summary: "Restores an archived thread.",
  },
  [M.threadDelete]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadIdParams,
    result: EmptyResponse,
    announcedAfterAnswer: [ThreadLifecycleNotification.threadDeleted],
    announcesThread: "params",
    summary: "Deletes a thread and its items.",
  },
  [M.threadUnsubscribe]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadIdParams,
    result: ThreadUnsubscribeResponse,
    unsubscribesCallerFrom: (params: ThreadIdParams) => params.threadId,
    summary: "Stops the caller's notifications for a thread: unsubscribed, notSubscribed or notLoaded.",
  },
  [M.threadLoadedList]: {
    owner: "thread",
    // Unkeyed: a tenant-wide listing of loaded thread ids; it orders against no single thread.
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: ThreadLoadedListParams,
    result: ThreadLoadedListResponse,
    summary: "Ids of the tenant's loaded threads.",
  },
  [M.threadMetadataUpdate]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    experimentalFields: ["projectId", "daybreakEnabled"],
    paramsRequired: true,
    params: ThreadMetadataUpdateParams,
    result: ThreadMetadataUpdateResponse,
    summary: "Updates a thread's git info and project.",
  },
  [M.threadGoalSet]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadGoalSetParams,
    result: z.object({ goal: ThreadGoal }),
    // Everything about the thread after the answer, as Codex 0.171.0 orders them: the goal, then the
    // continuation an active goal starts (its status and turn) and, mid-turn, the settled usage.
    announcedAfterAnswer: "all",
    announcesThread: "params",
    summary: "Sets or updates a thread's goal; thread/goal/updated to its subscribers.",
  },
  [M.threadGoalGet]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Exclusive (as Codex declares it): a read that never overtakes a queued goal write.
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadIdParams,
    result: z.object({ goal: ThreadGoal.nullable() }),
    summary: "Reads a thread's goal.",
  },
  [M.threadGoalClear]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadGoalClearParams,
    result: z.object({ cleared: z.boolean() }),
    announcedAfterAnswer: [ThreadLifecycleNotification.threadGoalCleared],
    announcesThread: "params",
    summary: "Clears a thread's goal; thread/goal/cleared to its subscribers.",
  },
  [M.threadSettingsUpdate]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: true,
    paramsRequired: true,
    params: ThreadSettingsUpdateParams,
    result: EmptyResponse,
    announcedAfterAnswer: [ThreadLifecycleNotification.threadSettingsUpdated],
    announcesThread: "params",
    summary: "Partial update of a thread's settings; thread/settings/updated to subscribers when they change.",
  },
  [M.getConversationSummary]: {
    owner: "thread",
    // Unkeyed: a read of the committed thread, behind the connection's own writes to it.
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: summaryThreadKey } },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: GetConversationSummaryParams,
    result: GetConversationSummaryResponse,
    summary: "Codex's v1 summary of a stored thread (its rollout's metadata): by thread id; a rollout path names no file here.",
  },
  [M.threadTurnsList]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Unkeyed (as Codex declares it): pages of committed turns, served concurrently.
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: threadKey } },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: ThreadTurnsListParams,
    result: ThreadTurnsListResponse,
    summary: "A page of a thread's turns, with cursors both ways.",
  },
  [M.threadItemsList]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Unkeyed (as Codex declares it): pages of committed items, served concurrently.
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: threadKey } },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: ThreadItemsListParams,
    result: ThreadItemsListResponse,
    summary: "A page of a thread's items (optionally of one turn), with cursors both ways.",
  },
  [M.threadTimelineList]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Unkeyed, as thread/items/list: pages of committed history, behind the connection's own writes.
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: threadKey } },
    readOnly: true,
    experimental: true, // as Codex 0.171.0 gates it
    paramsRequired: true,
    params: ThreadTimelineListParams,
    result: ThreadTimelineListResponse,
    summary: "A page of a thread's history as turn boundaries and items in order, newest page first.",
  },
  [M.threadInjectItems]: {
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadInjectItemsParams,
    result: EmptyResponse,
    summary: "Appends Responses API items to a thread's history; stored at once (listed, readable, searchable).",
  },
  [M.threadPrepareApprovedPlan]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Exclusive on the thread: it adds the plan to the thread's model history.
    scope: exclusiveOnThread,
    experimental: true,
    paramsRequired: true,
    params: ThreadPrepareApprovedPlanParams,
    result: ThreadPrepareApprovedPlanResponse,
    summary:
      "A plan the user approved goes into a loaded thread's model history (as Codex records it), and the prompt that starts its implementation comes back.",
  },
  [M.threadReadStateUpdate]: {
    threadId: { label: "thread", invalidParams: true },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: true,
    paramsRequired: true,
    params: ThreadReadStateUpdateParams,
    result: ThreadReadStateUpdateResponse,
    summary: "Marks a thread read or unread, guarded by its read-state revision.",
  },
  [M.threadRealtimeList]: {
    owner: "thread",
    // Unkeyed: realtime audio is not supported, so there is no history to order against.
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: ThreadRealtimeListParams,
    result: ThreadRealtimeListResponse,
    summary: "Realtime history of a thread: always empty (realtime audio is not supported).",
  },
});

const N = ThreadLifecycleNotification;
const ThreadIdNotification = z.object({ threadId: z.string() });

export const threadLifecycleNotifications = defineNotifications({
  [N.threadStatusChanged]: {
    params: z.object({ threadId: z.string(), status: ThreadStatus }),
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was loaded, became idle or active, or was unloaded.",
  },
  [N.threadClosed]: {
    params: ThreadIdNotification,
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "An idle thread without subscribers was unloaded.",
  },
  [N.threadArchived]: {
    params: ThreadIdNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was archived.",
  },
  [N.threadUnarchived]: {
    params: ThreadIdNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was unarchived.",
  },
  [N.threadReverted]: {
    params: ThreadIdNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread's history was cut before a turn (thread/revert).",
  },
  [N.threadDeleted]: {
    params: ThreadIdNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was deleted.",
  },
  [N.threadGoalUpdated]: {
    params: z.object({ threadId: z.string(), turnId: z.string().nullish(), goal: ThreadGoal }),
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread's goal was set or changed.",
  },
  [N.threadGoalCleared]: {
    params: ThreadIdNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread's goal was cleared.",
  },
  [N.threadSettingsUpdated]: {
    params: z.object({ threadId: z.string(), threadSettings: ThreadSettings }),
    audience: "threadSubscribers",
    experimental: true,
    critical: true,
    summary: "A thread's effective settings changed.",
  },
  [N.threadReadStateChanged]: {
    params: z.object({ threadId: z.string(), readState: ThreadReadState }),
    audience: "tenant",
    experimental: true,
    critical: false,
    summary: "A thread was marked read or unread.",
  },
});
