// Thread methods and the Thread shape, as the official 0.171.0 schema defines them (v2/Thread*.json).
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { enumRefusal, serdeEnum, U32 } from "../serde-types.js";

export const ThreadStatus = z.discriminatedUnion("type", [
  z.object({ type: z.literal("notLoaded") }),
  z.object({ type: z.literal("idle") }),
  z.object({ type: z.literal("systemError") }),
  z.object({
    type: z.literal("active"),
    activeFlags: z.array(z.enum(["waitingOnApproval", "waitingOnUserInput"])),
  }),
]);

export const SessionSource = z.union([
  z.enum(["cli", "vscode", "exec", "appServer", "unknown"]),
  z.object({ custom: z.string() }),
  z.object({ subAgent: z.unknown() }),
]);

export const ThreadHistoryMode = z.enum(["legacy", "paginated"]);

export const Thread = z.object({
  id: z.string(),
  /** Fields Codex 0.171.0 sends that Switchyard's cloud threads have no value for (null). */
  environments: z.array(z.unknown()).nullish(),
  extra: z.unknown().nullish(),
  sessionId: z.string(),
  forkedFromId: z.string().nullable(),
  attachedToThreadId: z.string().nullish(),
  parentThreadId: z.string().nullable(),
  section: z.unknown().nullish(),
  sectionEnteredAt: z.number().int().nullish(),
  reasoningEffort: z.string().nullish(),
  originator: z.string().nullish(),
  /** True for a loaded thread; null when the capability is unknown (not loaded). */
  canAcceptDirectInput: z.boolean().nullish(),
  agentNickname: z.string().nullish(),
  agentRole: z.string().nullish(),
  daybreakEnabled: z.boolean().nullish(),
  preview: z.string(),
  ephemeral: z.boolean(),
  modelProvider: z.string(),
  model: z.string().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  recencyAt: z.number().int().nullable(),
  status: ThreadStatus,
  path: z.string().nullable(),
  cwd: z.string(),
  cliVersion: z.string(),
  source: SessionSource,
  threadSource: z.string().nullable(),
  historyMode: ThreadHistoryMode,
  name: z.string().nullable(),
  projectId: z.string().nullable(),
  gitInfo: z.object({ sha: z.string().nullable(), branch: z.string().nullable(), originUrl: z.string().nullable() }).nullable(),
  turns: z.array(z.unknown()),
});
export type Thread = z.infer<typeof Thread>;

export const SandboxMode = z.enum(["read-only", "workspace-write", "danger-full-access"]);
export const AskForApproval = z.union([z.enum(["untrusted", "on-request", "never"]), z.object({ granular: z.unknown() })], {
  error: enumRefusal(["untrusted", "on-request", "granular", "never"]),
});
/** Deprecated in Codex 0.171.0 (it selects no style), still checked. */
export const Personality = serdeEnum(["none", "friendly", "pragmatic"]);
/** Deprecated and ignored in Codex 0.171.0, still checked: a unit variant or `{custom: "…"}`. */
export const MultiAgentMode = z.union([z.enum(["none", "explicitRequestOnly", "proactive"]), z.object({ custom: z.string() })], {
  error: enumRefusal(["none", "custom", "explicitRequestOnly", "proactive"]),
});
export const ApprovalsReviewer = z.enum(["user", "auto_review", "guardian_subagent"]);

export const SandboxPolicy = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("dangerFullAccess") }),
    z.object({ type: z.literal("readOnly"), networkAccess: z.boolean() }),
    z.object({
      type: z.literal("workspaceWrite"),
      writableRoots: z.array(z.string()),
      networkAccess: z.boolean(),
      excludeTmpdirEnvVar: z.boolean(),
      excludeSlashTmp: z.boolean(),
    }),
  ],
  { error: "expected internally tagged enum SandboxPolicyDeserialize" },
);

/** Session settings a client may ask for when it starts, resumes or forks a thread. */
export const SessionOverrides = {
  cwd: z.string().nullish(),
  model: z.string().nullish(),
  modelProvider: z.string().nullish(),
  serviceTier: z.string().nullish(),
  approvalPolicy: AskForApproval.nullish(),
  approvalsReviewer: ApprovalsReviewer.nullish(),
  sandbox: SandboxMode.nullish(),
  baseInstructions: z.string().nullish(),
  developerInstructions: z.string().nullish(),
  config: z.record(z.string(), z.unknown()).nullish(),
};

export const ThreadStartParams = z.object({
  ...SessionOverrides,
  ephemeral: z.boolean().nullish(),
  historyMode: ThreadHistoryMode.nullish(),
  threadSource: z.string().nullish(),
  projectId: z.string().nullish(),
  dynamicTools: z.array(z.unknown()).nullish(),
  /** Codex's test-only experimental field. */
  mockExperimentalField: z.string().nullish(),
  // Accepted and checked as Codex checks them; a cloud thread has no use for them yet.
  allowProviderModelFallback: z.boolean().optional(),
  daybreakEnabled: z.boolean().nullish(),
  environments: z.array(z.unknown()).nullish(),
  experimentalRawEvents: z.boolean().optional(),
  multiAgentMode: MultiAgentMode.nullish(),
  permissions: z.string().nullish(),
  personality: Personality.nullish(),
  runtimeWorkspaceRoots: z.array(z.string()).nullish(),
  selectedCapabilityRoots: z.array(z.unknown()).nullish(),
  serviceName: z.string().nullish(),
  sessionStartSource: serdeEnum(["startup", "clear"]).nullish(),
});
export type ThreadStartParams = z.infer<typeof ThreadStartParams>;

export const ThreadStartResponse = z.object({
  thread: Thread,
  model: z.string(),
  modelProvider: z.string(),
  serviceTier: z.string().nullable(),
  cwd: z.string(),
  approvalPolicy: AskForApproval,
  approvalsReviewer: ApprovalsReviewer,
  sandbox: SandboxPolicy,
  reasoningEffort: z.string().nullable(),
  instructionSources: z.array(z.string()),
  runtimeWorkspaceRoots: z.array(z.string()),
  activePermissionProfile: z.object({ id: z.string(), extends: z.string().nullable() }).nullish(),
  disabledPluginIds: z.array(z.string()).optional(),
  multiAgentMode: z.unknown().optional(),
});
export type ThreadStartResponse = z.infer<typeof ThreadStartResponse>;

export const ThreadReadParams = z.object({
  threadId: z.string(),
  includeTurns: z.boolean().nullish(),
});
export type ThreadReadParams = z.infer<typeof ThreadReadParams>;

/**
 * A thread's durable read state: the first unread position (null: read) and an opaque revision that
 * guards edits. A thread has one once something about it is recorded (Codex 0.171.0).
 */
export const ThreadReadState = z.object({
  revision: z.string(),
  firstUnread: z
    .union([z.object({ type: z.literal("threadStart") }), z.object({ type: z.literal("turn"), turnId: z.string() })])
    .nullable(),
});
export type ThreadReadState = z.infer<typeof ThreadReadState>;

/** `readState` null: the thread has no durable read state (yet). */
export const ThreadReadResponse = z.object({ thread: Thread, readState: ThreadReadState.nullable() });
export type ThreadReadResponse = z.infer<typeof ThreadReadResponse>;

export const ThreadSortKey = z.enum(["created_at", "updated_at", "recency_at", "section_position"]);
export const SortDirection = z.enum(["asc", "desc"]);
export const ThreadSourceKind = z.enum([
  "cli",
  "vscode",
  "exec",
  "appServer",
  "subAgent",
  "subAgentReview",
  "subAgentCompact",
  "subAgentThreadSpawn",
  "subAgentOther",
  "unknown",
]);

export const ThreadListParams = z.object({
  cursor: z.string().nullish(),
  /** serde's u32 (Codex: ``invalid value: integer `-1`, expected u32``); the service clamps it to its page size. */
  limit: U32.nullish(),
  sortKey: ThreadSortKey.nullish(),
  sortDirection: SortDirection.nullish(),
  modelProviders: z.array(z.string()).nullish(),
  sourceKinds: z.array(ThreadSourceKind).nullish(),
  archived: z.boolean().nullish(),
  cwd: z.union([z.string(), z.array(z.string())]).nullish(),
  /** A case-insensitive substring of the title (name, else preview); content search is thread/search. */
  searchTerm: z.string().nullish(),
  /** At most 100 thread ids (UUIDs) left out before the limit applies. */
  excludedThreadIds: z.array(z.string()).nullish(),
  /** At most 100 thread ids (UUIDs) the list is restricted to; an empty list matches nothing. */
  includedThreadIds: z.array(z.string()).nullish(),
  /** Direct children (spawned sub-agents) of this thread. Exclusive with ancestorThreadId. */
  parentThreadId: z.string().nullish(),
  /** Spawned descendants of this thread at any depth, not the thread itself. Exclusive with parentThreadId. */
  ancestorThreadId: z.string().nullish(),
  /** Threads attached to this thread. Switchyard has no attachments yet: always an empty page. */
  attachedToThreadId: z.string().nullish(),
  includeAttachedThreads: z.boolean().nullish(),
  /** Omitted: every project; null: threads without a project; a string: that project's threads. */
  projectId: z.string().nullish(),
  /** Omitted: every section; null: threads without a section; a string: that section's threads. */
  sectionId: z.string().nullish(),
  /** Hosted-backend filter on a thread's recorded originator (its creating client's name); empty: any. */
  originators: z.array(z.string()).nullish(),
  useStateDbOnly: z.boolean().nullish(),
  currentAccountOnly: z.boolean().nullish(),
});
export type ThreadListParams = z.infer<typeof ThreadListParams>;

export const ThreadListResponse = z.object({
  data: z.array(Thread),
  /** The read states of the page's threads that have one, by thread id. */
  readStates: z.record(z.string(), ThreadReadState).nullish(),
  nextCursor: z.string().nullable(),
  backwardsCursor: z.string().nullable(),
});
export type ThreadListResponse = z.infer<typeof ThreadListResponse>;

export const ThreadSetNameParams = z.object({ threadId: z.string(), name: z.string() });
export type ThreadSetNameParams = z.infer<typeof ThreadSetNameParams>;
export const ThreadSetNameResponse = z.object({});

export const ThreadStartedNotification = z.object({ thread: Thread });
export const ThreadNameUpdatedNotification = z.object({
  threadId: z.string(),
  threadName: z.string().nullish(),
});

/** Codex's notice that a client relies on something deprecated (sent to that client, before the answer). */
export const DeprecationNoticeNotification = z.object({ summary: z.string(), details: z.string().nullish() });
export type DeprecationNoticeNotification = z.infer<typeof DeprecationNoticeNotification>;

/**
 * Codex 0.171.0's deprecation notices for loading a paginated thread's whole history, word for word:
 * `thread/read` with `includeTurns`, and `thread/resume` or `thread/fork` without `excludeTurns`.
 * (A legacy-history thread gets none.)
 */
export const FULL_HISTORY_DEPRECATION = {
  read: {
    summary:
      "Full-history hydration is deprecated for paginated threads; omit `includeTurns` or set it to `false`, then page with `thread/turns/list` and `thread/items/list`.",
    details: null,
  },
  resumeOrFork: {
    summary:
      "Full-history hydration is deprecated for paginated threads; use `excludeTurns: true`, then page with `thread/turns/list` and `thread/items/list`.",
    details: null,
  },
} as const satisfies Record<string, DeprecationNoticeNotification>;

export const ThreadMethod = {
  threadStart: "thread/start",
  threadRead: "thread/read",
  threadList: "thread/list",
  threadNameSet: "thread/name/set",
} as const;

export const ThreadNotification = {
  threadStarted: "thread/started",
  threadNameUpdated: "thread/name/updated",
  deprecationNotice: "deprecationNotice",
} as const;

export const threadMethods = defineMethods({
  [ThreadMethod.threadStart]: {
    owner: "thread",
    // Unkeyed: the thread does not exist yet, so there is no key to order it behind.
    scope: { kind: "unkeyed" },
    experimental: false,
    // Fields the 0.171.0 stable schema does not have (generate-json-schema without --experimental),
    // and those the binary gates besides (test/interop-experimental-gate.test.ts).
    experimentalFields: [
      "mockExperimentalField",
      "historyMode",
      "projectId",
      "dynamicTools",
      "daybreakEnabled",
      "environments",
      "multiAgentMode",
      "permissions",
      "runtimeWorkspaceRoots",
      "selectedCapabilityRoots",
    ],
    experimentalFlags: ["allowProviderModelFallback", "experimentalRawEvents"],
    paramsRequired: true,
    params: ThreadStartParams,
    result: ThreadStartResponse,
    subscribesCallerTo: (result: ThreadStartResponse) => result.thread.id,
    namesNewThread: true,
    // A second ask of one start (the first one's answer was late) finds the thread the gateway named and answers with it.
    repeatable: "namedThread",
    announcedAfterAnswer: [ThreadNotification.threadStarted],
    announcesThread: "new",
    summary: "Creates a thread and subscribes the caller; announces thread/started to the tenant.",
  },
  [ThreadMethod.threadRead]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Unkeyed: served from committed Postgres state by any instance, concurrently. The gateway
    // still holds it behind the same connection's earlier writes to this thread (read-your-writes).
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: (params: ThreadReadParams) => params.threadId } },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: ThreadReadParams,
    result: ThreadReadResponse,
    summary: "Reads one thread (optionally with its turns).",
  },
  [ThreadMethod.threadList]: {
    owner: "thread",
    // Unkeyed: a tenant-wide query over committed state; it orders against no single thread.
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: false,
    experimentalFields: ["parentThreadId", "ancestorThreadId", "attachedToThreadId", "projectId"],
    experimentalFlags: ["includeAttachedThreads"],
    paramsRequired: true,
    params: ThreadListParams,
    result: ThreadListResponse,
    summary: "Lists the tenant's threads that have content, keyset-paginated with opaque cursors.",
  },
  [ThreadMethod.threadNameSet]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "exclusive", family: "thread", id: (params: ThreadSetNameParams) => params.threadId },
    experimental: false,
    paramsRequired: true,
    params: ThreadSetNameParams,
    result: ThreadSetNameResponse,
    announcedAfterAnswer: [ThreadNotification.threadNameUpdated],
    announcesThread: "params",
    summary: "Renames a thread; announces thread/name/updated to the tenant.",
  },
});

export const threadNotifications = defineNotifications({
  [ThreadNotification.threadStarted]: {
    params: ThreadStartedNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was created.",
  },
  [ThreadNotification.threadNameUpdated]: {
    params: ThreadNameUpdatedNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was renamed.",
  },
  [ThreadNotification.deprecationNotice]: {
    params: DeprecationNoticeNotification,
    audience: "connection",
    experimental: false,
    critical: false,
    summary: "The caller relied on something deprecated (loading a paginated thread's whole history), before its answer.",
  },
});
