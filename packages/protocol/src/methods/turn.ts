// Turns: the methods that run the model on a thread, the notifications a turn is made of, and the one
// server→client request a cloud turn issues (`item/tool/call`, a client-declared dynamic tool), as the
// official 0.171.0 schema shapes them (v2/Turn*.json, ItemStarted/Completed, ErrorNotification,
// DynamicToolCallParams). Items are checked loosely here (an object with a `type`); the conformance
// suite holds every frame to the official schema.
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { serdeOneOf } from "../errors.js";
import { PathString, serdeEnum, serdeStruct } from "../serde-types.js";
import { ApprovalsReviewer, AskForApproval, MultiAgentMode, Personality, SandboxPolicy } from "./thread.js";

/** A ThreadItem (userMessage, agentMessage, reasoning, dynamicToolCall, contextCompaction, …). */
export const ThreadItem = z.looseObject({ type: z.string(), id: z.string() });
export type ThreadItem = z.infer<typeof ThreadItem>;

/** What a user sends: text, an image by URL, … (`localImage` and other local kinds need a machine). */
/** Codex 0.171.0's input variants, in its order (an unknown one gets serde's "unknown variant" text). */
export const USER_INPUT_TYPES = ["text", "image", "localImage", "audio", "localAudio", "skill", "mention"] as const;
export const UserInput = z.looseObject({ type: z.enum(USER_INPUT_TYPES) });
export type UserInput = z.infer<typeof UserInput>;

export const TurnStatus = z.enum(["completed", "interrupted", "failed", "inProgress"]);
export type TurnStatus = z.infer<typeof TurnStatus>;

/** CodexErrorInfo: a string (`internalServerError`, `other`, …) or a one-key object with an HTTP status. */
export const CodexErrorInfo = z.union([z.string(), z.record(z.string(), z.unknown())]);

export const TurnError = z.object({
  message: z.string(),
  codexErrorInfo: CodexErrorInfo.nullable(),
  additionalDetails: z.string().nullable(),
  misalignment: z.unknown().nullable(),
});
export type TurnError = z.infer<typeof TurnError>;

export const Turn = z.object({
  id: z.string(),
  rootTurnId: z.string().nullish(),
  items: z.array(ThreadItem),
  itemsView: z.enum(["notLoaded", "summary", "full"]),
  status: TurnStatus,
  error: TurnError.nullable(),
  /** Unix seconds. */
  startedAt: z.number().int().nullable(),
  completedAt: z.number().int().nullable(),
  durationMs: z.number().int().nullable(),
});
export type Turn = z.infer<typeof Turn>;

/** Codex 0.171.0: "a non-empty reasoning effort value advertised by the model" (any such string is accepted). */
export const ReasoningEffort = z
  .string()
  .refine((effort) => effort.length > 0, { message: "reasoning_effort must not be empty" });

/** Codex's reasoning summary setting (`none` turns summaries off). */
export const ReasoningSummary = serdeEnum(["auto", "concise", "detailed", "none"]);

export const TurnStartParams = z.object({
  threadId: z.string(),
  input: z.array(UserInput),
  clientUserMessageId: z.string().nullish(),
  /** A JSON Schema the final assistant message must follow (structured output) for this turn only. */
  outputSchema: z.unknown().optional(),
  model: z.string().nullish(),
  effort: ReasoningEffort.nullish(),
  summary: ReasoningSummary.nullish(),
  cwd: PathString.nullish(),
  approvalPolicy: AskForApproval.nullish(),
  approvalsReviewer: ApprovalsReviewer.nullish(),
  sandboxPolicy: SandboxPolicy.nullish(),
  serviceTier: z.string().nullish(),
  serviceTierForTurn: z.string().nullish(),
  personality: Personality.nullish(),
  parentTurnId: z.string().nullish(),
  rootTurnId: z.string().nullish(),
  disabledPluginIds: z.array(z.string()).nullish(),
  toolOutput: serdeStruct("TurnToolOutput", {
    name: z.string(),
    namespace: z.string().nullish(),
    output: z.unknown(),
    retain: z.boolean().optional(),
  }).nullish(),
  turnTrigger: z.string().nullish(),
  // Experimental fields (accepted with experimentalApi; collaborationMode sets model and effort).
  collaborationMode: serdeStruct("CollaborationMode", {
    mode: z.enum(["plan", "default"]),
    settings: z.looseObject({ model: z.string() }),
  }).nullish(),
  additionalContext: z.record(z.string(), z.unknown()).nullish(),
  environments: z.array(z.unknown()).nullish(),
  permissions: z.string().nullish(),
  runtimeWorkspaceRoots: z.array(z.string()).nullish(),
  responsesapiClientMetadata: z.record(z.string(), z.string()).nullish(),
  responsesapiClientMetadataPatch: z.record(z.string(), z.string()).nullish(),
  cyberAccessProgram: serdeEnum(["standard", "daybreakBlue", "daybreakRed"]).nullish(),
  multiAgentMode: MultiAgentMode.nullish(),
});
export type TurnStartParams = z.infer<typeof TurnStartParams>;
export const TurnStartResponse = z.object({ turn: Turn });

export const TurnSteerParams = z.object({
  threadId: z.string(),
  expectedTurnId: z.string(),
  input: z.array(UserInput),
  clientUserMessageId: z.string().nullish(),
  additionalContext: z.record(z.string(), z.unknown()).nullish(),
  responsesapiClientMetadata: z.record(z.string(), z.string()).nullish(),
  responsesapiClientMetadataPatch: z.record(z.string(), z.string()).nullish(),
});
export type TurnSteerParams = z.infer<typeof TurnSteerParams>;
export const TurnSteerResponse = z.object({ turnId: z.string() });

/** The fields turn/settings/update takes; Codex refuses any other (`deny_unknown_fields`). */
const TURN_SETTINGS_FIELDS = [
  "threadId",
  "turnId",
  "approvalsReviewer",
  "environments",
  "model",
  "effort",
  "summary",
  "serviceTier",
];
/** The fields that change a running turn's model steps: Codex 0.171.0 takes them only with `step_model_switching` on. */
export const STEP_SETTINGS_FIELDS = ["model", "effort", "summary", "serviceTier"] as const;
export const TurnSettingsUpdateParams = z
  .looseObject({
    threadId: z.string(),
    turnId: z.string(),
    approvalsReviewer: ApprovalsReviewer.nullish(),
    environments: z
      .array(z.object({ environmentId: z.string(), cwd: z.string(), runtimeWorkspaceRoots: z.array(z.string()).nullish() }))
      .nullish(),
    model: z.string().nullish(),
    effort: ReasoningEffort.nullish(),
    summary: ReasoningSummary.nullish(),
    serviceTier: z.string().nullish(),
  })
  .superRefine((_params, context) => {
    const given = context.value as Record<string, unknown>;
    const unknown = Object.keys(given).find((key) => !TURN_SETTINGS_FIELDS.includes(key));
    if (unknown !== undefined) {
      context.addIssue({ code: "custom", message: `unknown field \`${unknown}\`, expected ${serdeOneOf(TURN_SETTINGS_FIELDS)}` });
    }
  });
export type TurnSettingsUpdateParams = z.infer<typeof TurnSettingsUpdateParams>;
/** `applied`: published to the running turn; `targetUnavailable`: no such turn is running. */
export const TurnSettingsUpdateResponse = z.object({ status: serdeEnum(["applied", "targetUnavailable"]) });
export type TurnSettingsUpdateResponse = z.infer<typeof TurnSettingsUpdateResponse>;

export const TurnInterruptParams = z.object({ threadId: z.string(), turnId: z.string() });
export type TurnInterruptParams = z.infer<typeof TurnInterruptParams>;

export const ThreadCompactStartParams = z.object({ threadId: z.string() });

/** What a review looks at, by its `type` (Codex 0.171.0's variants, in its order). */
export const REVIEW_TARGET_TYPES = ["uncommittedChanges", "baseBranch", "commit", "custom"] as const;
export const ReviewTarget = z
  .looseObject({ type: serdeEnum(REVIEW_TARGET_TYPES) })
  .pipe(
    z.discriminatedUnion("type", [
      z.object({ type: z.literal("uncommittedChanges") }),
      z.object({ type: z.literal("baseBranch"), branch: z.string() }),
      z.object({ type: z.literal("commit"), sha: z.string(), title: z.string().nullish() }),
      z.object({ type: z.literal("custom"), instructions: z.string() }),
    ]),
  );
export type ReviewTarget = z.infer<typeof ReviewTarget>;

export const ReviewStartParams = z.object({
  threadId: z.string(),
  target: ReviewTarget,
  /** Only `inline` in 0.171.0: a review runs on the thread it names. */
  delivery: serdeEnum(["inline"]).nullish(),
});
export type ReviewStartParams = z.infer<typeof ReviewStartParams>;
/** The review's turn (its one item the review's label, as a user message) and the thread it runs on. */
export const ReviewStartResponse = z.object({ turn: Turn, reviewThreadId: z.string() });
export type ReviewStartResponse = z.infer<typeof ReviewStartResponse>;

export const CollaborationModeMask = z.object({
  name: z.string(),
  mode: z.enum(["plan", "default"]).nullable(),
  model: z.string().nullable(),
  reasoning_effort: ReasoningEffort.nullable(),
});
export const CollaborationModeListResponse = z.object({ data: z.array(CollaborationModeMask) });

const TokenUsageBreakdown = z.object({
  totalTokens: z.number().int(),
  inputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
  cacheWriteInputTokens: z.number().int(),
  outputTokens: z.number().int(),
  reasoningOutputTokens: z.number().int(),
});
export type TokenUsageBreakdown = z.infer<typeof TokenUsageBreakdown>;
export const ThreadTokenUsage = z.object({
  total: TokenUsageBreakdown,
  last: TokenUsageBreakdown,
  modelContextWindow: z.number().int().nullable(),
});
export type ThreadTokenUsage = z.infer<typeof ThreadTokenUsage>;

/** One rate-limit window as a provider reports it (Codex's `x-codex-primary-*` / `-secondary-*` headers). */
export const RateLimitWindow = z.object({
  usedPercent: z.number().int(),
  windowDurationMins: z.number().int().nullable(),
  resetsAt: z.number().int().nullable(),
});
/** account/rateLimits/updated's snapshot (the schema's RateLimitSnapshot; what Switchyard can know of it). */
export const RateLimitSnapshot = z.object({
  limitId: z.string().nullable(),
  limitName: z.string().nullable(),
  normalModelSlug: z.string().nullable(),
  primary: RateLimitWindow.nullable(),
  secondary: RateLimitWindow.nullable(),
  credits: z.object({ hasCredits: z.boolean(), unlimited: z.boolean(), balance: z.string().nullable() }).nullable(),
  individualLimit: z.unknown().nullable(),
  spendControlReached: z.boolean().nullable(),
  planType: z.string().nullable(),
  rateLimitReachedType: z.string().nullable(),
});
export type RateLimitSnapshot = z.infer<typeof RateLimitSnapshot>;

/** A dynamic tool a client declares at thread/start: sent to the model as a function tool. */
export const DynamicToolSpec = z.looseObject({
  name: z.string(),
  description: z.string().nullish(),
  inputSchema: z.unknown().optional(),
  namespace: z.string().nullish(),
});
export type DynamicToolSpec = z.infer<typeof DynamicToolSpec>;

export const DynamicToolCallParams = z.object({
  threadId: z.string(),
  turnId: z.string(),
  callId: z.string(),
  namespace: z.string().nullable(),
  tool: z.string(),
  arguments: z.unknown(),
});
export type DynamicToolCallParams = z.infer<typeof DynamicToolCallParams>;
export const DynamicToolCallResponse = z.object({
  contentItems: z.array(z.looseObject({ type: z.string() })),
  success: z.boolean(),
});
export type DynamicToolCallResponse = z.infer<typeof DynamicToolCallResponse>;

export const TurnMethod = {
  turnStart: "turn/start",
  turnSteer: "turn/steer",
  turnInterrupt: "turn/interrupt",
  turnSettingsUpdate: "turn/settings/update",
  threadCompactStart: "thread/compact/start",
  reviewStart: "review/start",
  collaborationModeList: "collaborationMode/list",
} as const;

export const TurnNotification = {
  turnStarted: "turn/started",
  turnCompleted: "turn/completed",
  itemStarted: "item/started",
  itemCompleted: "item/completed",
  agentMessageDelta: "item/agentMessage/delta",
  planDelta: "item/plan/delta",
  reasoningSummaryPartAdded: "item/reasoning/summaryPartAdded",
  reasoningSummaryTextDelta: "item/reasoning/summaryTextDelta",
  threadTokenUsageUpdated: "thread/tokenUsage/updated",
  accountRateLimitsUpdated: "account/rateLimits/updated",
  error: "error",
  serverRequestResolved: "serverRequest/resolved",
} as const;

/** Requests the server sends to clients (over the bus: `ServerRequestEvent`, bus.ts). */
export const ServerRequestMethod = {
  dynamicToolCall: "item/tool/call",
} as const;
export const serverRequests = {
  [ServerRequestMethod.dynamicToolCall]: { params: DynamicToolCallParams, result: DynamicToolCallResponse },
} as const;

const exclusiveOnThread = { kind: "exclusive", family: "thread", id: (params: { threadId: string }) => params.threadId } as const;

export const turnMethods = defineMethods({
  [TurnMethod.turnStart]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Exclusive on the thread: admission (a new turn, or input added to the running one) is ordered
    // with the thread's other writes. The model runs outside the lane, under the thread's turn lease.
    scope: exclusiveOnThread,
    experimental: false,
    experimentalFields: [
      "additionalContext",
      "collaborationMode",
      "cyberAccessProgram",
      "environments",
      "multiAgentMode",
      "permissions",
      "responsesapiClientMetadata",
      "responsesapiClientMetadataPatch",
      "runtimeWorkspaceRoots",
    ],
    paramsRequired: true,
    params: TurnStartParams,
    result: TurnStartResponse,
    // Codex answers before the turn's first notification (thread/status/changed active).
    announcedAfterAnswer: "all",
    announcesThread: "params",
    summary: "Starts a turn (inProgress at once) or adds input to the running one; the model streams after.",
  },
  [TurnMethod.turnSteer]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    experimentalFields: ["additionalContext", "responsesapiClientMetadata", "responsesapiClientMetadataPatch"],
    paramsRequired: true,
    params: TurnSteerParams,
    result: TurnSteerResponse,
    summary: "Adds input to the running turn named by expectedTurnId, on whichever instance runs it.",
  },
  [TurnMethod.turnInterrupt]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: TurnInterruptParams,
    result: z.object({}),
    summary: "Stops the running turn (it completes as interrupted), on whichever instance runs it.",
  },
  [TurnMethod.turnSettingsUpdate]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: true, // as Codex 0.171.0 gates it
    paramsRequired: true,
    params: TurnSettingsUpdateParams,
    result: TurnSettingsUpdateResponse,
    summary:
      "Changes the running turn's approvals reviewer or environments (model steps only with Codex's step_model_switching feature, off as in Codex).",
  },
  [TurnMethod.threadCompactStart]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ThreadCompactStartParams,
    result: z.object({}),
    // Answered before the compaction turn's first notification, as turn/start.
    announcedAfterAnswer: "all",
    announcesThread: "params",
    summary: "Runs a compaction turn: the model summarizes the history, which then replaces it.",
  },
  [TurnMethod.reviewStart]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Exclusive on the thread: a review is a turn of the thread, admitted as turn/start admits one.
    scope: exclusiveOnThread,
    experimental: false,
    paramsRequired: true,
    params: ReviewStartParams,
    result: ReviewStartResponse,
    // Answered before the review turn's first notification, as turn/start.
    announcedAfterAnswer: "all",
    announcesThread: "params",
    summary: "Runs a review turn on the thread: the model reviews the target, its findings end the turn as one message.",
  },
  [TurnMethod.collaborationModeList]: {
    owner: "gateway",
    // Unkeyed: fixed presets, answered by the gateway.
    scope: { kind: "unkeyed" },
    experimental: true,
    paramsRequired: true,
    params: z.object({}).nullish(),
    result: CollaborationModeListResponse,
    summary: "Codex's collaboration-mode presets (Plan, Default).",
  },
});

const TurnItemParams = { threadId: z.string(), turnId: z.string() };

export const turnNotifications = defineNotifications({
  [TurnNotification.turnStarted]: {
    params: z.object({ threadId: z.string(), turn: Turn }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "A turn started.",
  },
  [TurnNotification.turnCompleted]: {
    params: z.object({ threadId: z.string(), turn: Turn }),
    audience: "threadSubscribers",
    experimental: false,
    // Without it a client believes the turn is still running.
    critical: true,
    summary: "A turn ended: completed, interrupted or failed.",
  },
  [TurnNotification.itemStarted]: {
    params: z.object({ ...TurnItemParams, item: ThreadItem, startedAtMs: z.number().int() }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "An item of a turn started.",
  },
  [TurnNotification.itemCompleted]: {
    params: z.object({
      ...TurnItemParams,
      item: ThreadItem,
      completedAtMs: z.number().int(),
      contentTokenCount: z.number().int().nullable(),
    }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "An item of a turn completed (and is stored).",
  },
  [TurnNotification.agentMessageDelta]: {
    params: z.object({ ...TurnItemParams, itemId: z.string(), delta: z.string() }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "Streamed text of an agent message.",
  },
  [TurnNotification.planDelta]: {
    params: z.object({ ...TurnItemParams, itemId: z.string(), delta: z.string() }),
    audience: "threadSubscribers",
    // Marked experimental in Codex's schema, yet the 0.171.0 binary sends it to every subscriber.
    experimental: false,
    critical: false,
    summary: "Streamed text of a proposed plan (plan mode): the plan item's, as Codex 0.171.0 streams it.",
  },
  [TurnNotification.reasoningSummaryPartAdded]: {
    params: z.object({ ...TurnItemParams, itemId: z.string(), summaryIndex: z.number().int() }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "A reasoning item began a new summary part.",
  },
  [TurnNotification.reasoningSummaryTextDelta]: {
    params: z.object({ ...TurnItemParams, itemId: z.string(), delta: z.string(), summaryIndex: z.number().int() }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "Streamed text of a reasoning summary.",
  },
  [TurnNotification.threadTokenUsageUpdated]: {
    params: z.object({ ...TurnItemParams, tokenUsage: ThreadTokenUsage }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "Token usage of the thread after a model response.",
  },
  [TurnNotification.accountRateLimitsUpdated]: {
    params: z.object({ rateLimits: RateLimitSnapshot }),
    // Codex sends it to its one account's clients after every usage update; here the account's
    // usage is the turn's provider's, so the turn's audience hears it.
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "The provider's rate limits as of the last model response (nulls where it reported none).",
  },
  [TurnNotification.error]: {
    params: z.object({ ...TurnItemParams, error: TurnError, willRetry: z.boolean() }),
    audience: "threadSubscribers",
    experimental: false,
    critical: false,
    summary: "A turn's model call failed (willRetry: it is being retried).",
  },
  [TurnNotification.serverRequestResolved]: {
    params: z.object({ threadId: z.string(), requestId: z.union([z.string(), z.number().int()]) }),
    audience: "connection",
    experimental: false,
    critical: false,
    summary: "A server request was answered (by this or another client) or withdrawn.",
  },
});
