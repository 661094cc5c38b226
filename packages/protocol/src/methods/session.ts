// Start-up methods the gateway answers itself. account/read: no OpenAI account is involved (clients
// authenticate to the gateway), so `account` is null and `userId` is the caller's subject. The others
// are honest empty answers to what the official TUI asks about things a cloud session does not have
// (installed plugins, Bedrock GovCloud, a thread's background terminals), so it sees data, not errors.
// Everything else a client asks at start-up (config, requirements, models, skills, hooks) is the
// config service's (methods/config.ts).
import { z } from "zod";
import { defineMethods } from "../define.js";
import {
  AbsolutePathString,
  fieldlessStrictStruct,
  RequestIdSchema,
  serdeEnum,
  serdeStruct,
  strictStruct,
  U32,
  UnitParams,
} from "../serde-types.js";
import { RemoteControlStatus } from "./initialize.js";

export const GetAccountParams = z.object({ refreshToken: z.boolean().nullish() });
export const GetAccountResponse = z.object({
  account: z.null(),
  requiresOpenaiAuth: z.boolean(),
  userId: z.string().nullable(),
  /** No ChatGPT workspace routes a cloud session: null, as Codex answers without one. */
  workspaceRouting: z.null(),
});

/** Codex's v1 auth query (still answered by Codex 0.171.0, not in its schema): the same facts as account/read. */
export const GetAuthStatusParams = z.object({ includeToken: z.boolean().nullish(), refreshToken: z.boolean().nullish() });
export const GetAuthStatusResponse = z.object({
  authMethod: z.null(),
  authToken: z.null(),
  requiresOpenaiAuth: z.boolean(),
});

export const PluginInstalledParams = z.object({
  cwds: z.array(z.string()).nullish(),
  installSuggestionPluginNames: z.array(z.string()).nullish(),
});
export const PluginInstalledResponse = z.object({
  marketplaces: z.array(z.unknown()),
  marketplaceLoadErrors: z.array(z.unknown()),
});
export const BedrockCheckGovCloudResponse = z.object({ isGovCloud: z.boolean(), shouldWarn: z.boolean() });
export const BackgroundTerminalsListParams = z.object({
  threadId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export const BackgroundTerminalsListResponse = z.object({ data: z.array(z.unknown()), nextCursor: z.string().nullable() });
export const BackgroundTerminalsCleanParams = z.object({ threadId: z.string() });
export const BackgroundTerminalsCleanResponse = z.object({});
export const BackgroundTerminalsTerminateParams = z.object({ threadId: z.string(), processId: z.string() });
export const BackgroundTerminalsTerminateResponse = z.object({ terminated: z.boolean() });

// Account methods answered as Codex 0.171.0 answers them without a ChatGPT sign-in (no OpenAI account
// is involved), and its local-machine detections, which find nothing on a cloud session.
export const GetAccountRateLimitsParams = serdeStruct("GetAccountRateLimitsParams", {
  excludeResetCreditDetails: z.boolean().optional(),
  supportsLunaReserve: z.boolean().optional(),
}).nullish();
export const GetAccountTokenUsageParams = serdeStruct("GetAccountTokenUsageParams", { threadId: z.string().nullish() }).nullish();
export const AccountSessionsListParams = serdeStruct("AccountSessionsListParams", {
  refreshWorkspaceMetadata: z.boolean().optional(),
});
export const AccountSessionsResponse = z.object({ activeSessionId: z.null(), sessions: z.array(z.unknown()) });
export const GetAccountSecuritySetupResponse = z.object({ notice: z.null() });
export const ExternalAgentConfigDetectParams = serdeStruct("ExternalAgentConfigDetectParams", {
  cwds: z.array(z.string()).nullish(),
  includeHome: z.boolean().optional(),
  maxSessionAgeDays: U32.nullish(),
  maxSessions: U32.nullish(),
  migrationSource: z.string().nullish(),
  source: z.string().nullish(),
});
export const ExternalAgentConfigDetectResponse = z.object({ items: z.array(z.unknown()), connectors: z.array(z.unknown()) });
export const UserVerificationStatusParams = fieldlessStrictStruct("UserVerificationStatusParams");
export const UserVerificationEnrollParams = fieldlessStrictStruct("UserVerificationEnrollParams");
export const UserVerificationDeleteParams = fieldlessStrictStruct("UserVerificationDeleteParams");
export const UserVerificationVerifyParams = strictStruct(
  "UserVerificationVerifyParams",
  { challenge: z.string(), title: z.string(), description: z.string() },
  ["challenge", "title", "description"],
);
export type UserVerificationVerifyParams = z.infer<typeof UserVerificationVerifyParams>;
export const UserVerificationCancelParams = strictStruct("UserVerificationCancelParams", { requestId: RequestIdSchema }, [
  "requestId",
]);
export const UserVerificationCancelResponse = z.object({});
/** server/diagnostics: the answering process (here the gateway the connection is on) and its gauges. */
export const ServerDiagnosticsParams = z.looseObject({}, { error: "expected struct ServerDiagnosticsParams" });
export const ServerDiagnosticsResponse = z.object({
  process: z.object({
    id: z.number().int(),
    residentMemoryBytes: z.number().int().nullable(),
    physicalFootprintBytes: z.number().int().nullable(),
  }),
  gauges: z.array(z.object({ name: z.string(), value: z.number() })),
});
export const RolloutCompressResponse = z.object({});
export const CancelLoginAccountParams = serdeStruct("CancelLoginAccountParams", { loginId: z.string() });
export const CancelLoginAccountResponse = z.object({ status: z.enum(["canceled", "notFound"]) });
export const AccountSessionsSwitchParams = serdeStruct("AccountSessionsSwitchParams", {
  sessionId: z.string(),
  accountId: z.string(),
  allowBrowserLogin: z.boolean().optional(),
});
export const ConsumeRateLimitResetCreditParams = serdeStruct("ConsumeAccountRateLimitResetCreditParams", {
  idempotencyKey: z.string(),
  creditId: z.string().nullish(),
});
export const SendAddCreditsNudgeEmailParams = serdeStruct("SendAddCreditsNudgeEmailParams", {
  creditType: serdeEnum(["credits", "usage_limit"]),
});
export const BedrockDiscoverParams = z.looseObject({}, { error: "expected struct BedrockDiscoverParams" });
export const BedrockDiscoverResponse = z.object({ profiles: z.array(z.unknown()), environmentCredentials: z.array(z.unknown()) });
export const McpServerEventStreamStopParams = serdeStruct("McpServerEventStreamStopParams", { subscriptionId: z.string() });
/** A field serde requires but takes any JSON value for (null too): only its absence is refused. */
const anyValue = z.unknown().refine((value) => value !== undefined);
export const McpServerEventStreamStartParams = serdeStruct("McpServerEventStreamStartParams", {
  threadId: z.string(),
  server: z.string(),
  name: z.string(),
  arguments: anyValue,
  subscriptionId: z.string(),
});
export const ThreadPredictionRequestParams = serdeStruct("ThreadPredictionRequestParams", {
  threadId: z.string(),
  sourceTurnId: z.string(),
});
/** environment/info and environment/status: an execution environment of Codex's threads (a cloud thread has none). */
export const EnvironmentInfoParams = serdeStruct("EnvironmentInfoParams", { environmentId: z.string() });
export const EnvironmentStatusParams = serdeStruct("EnvironmentStatusParams", { environmentId: z.string() });
export const EnvironmentStatusResponse = z.object({
  status: z.enum(["ready", "pending", "disconnected", "unknown"]),
  error: z.string().nullish(),
});
export const McpServerEventStreamStopResponse = z.object({});
export const ExternalAgentImportHistoriesResponse = z.object({ data: z.array(z.unknown()), connectors: z.array(z.unknown()) });

export const UserVerificationStatusResponse = z.object({
  credentialId: z.null(),
  unavailableReason: z.literal("providerUnavailable"),
  unavailableMessage: z.string(),
});

// Catalogs a cloud session has nothing in: plugins and apps (ChatGPT connectors, which need a sign-in),
// and the Windows sandbox (none).
export const PluginListParams = serdeStruct("PluginListParams", {
  cwds: z.array(z.string()).nullish(),
  forceRefetch: z.boolean().optional(),
  marketplaceKinds: z
    .array(serdeEnum(["local", "vertical", "workspace-directory", "shared-with-me", "created-by-me-remote"]))
    .nullish(),
});
export const PluginListResponse = z.object({
  marketplaces: z.array(z.unknown()),
  marketplaceLoadErrors: z.array(z.unknown()),
  featuredPluginIds: z.array(z.string()),
});
export const PluginSearchParams = serdeStruct("PluginSearchParams", {
  searchTerm: z.string(),
  cursor: z.string().nullish(),
  cwds: z.array(AbsolutePathString).nullish(),
  limit: U32.nullish(),
  scope: serdeEnum(["global", "workspace", "personal"]).nullish(),
});
export const PluginSearchResponse = z.object({ data: z.array(z.unknown()), nextCursor: z.string().nullable() });
/** A struct without fields: any map (unknown fields are ignored). */
export const PluginShareListParams = serdeStruct("PluginShareListParams", {});
export const AppsListParams = serdeStruct("AppsListParams", {
  cursor: z.string().nullish(),
  forceRefetch: z.boolean().optional(),
  limit: U32.nullish(),
  threadId: z.string().nullish(),
});
export const AppsListResponse = z.object({ data: z.array(z.unknown()), nextCursor: z.string().nullable() });
export const AppsInstalledParams = serdeStruct("AppsInstalledParams", {
  forceRefresh: z.boolean().optional(),
  threadId: z.string().nullish(),
});
export const AppsInstalledResponse = z.object({ apps: z.array(z.unknown()) });
export const AppsReadParams = serdeStruct("AppsReadParams", {
  appIds: z.array(z.string()),
  includeTools: z.boolean().optional(),
  threadId: z.string().nullish(),
});
export type AppsReadParams = z.infer<typeof AppsReadParams>;
export const AppsReadResponse = z.object({ apps: z.array(z.unknown()), missingAppIds: z.array(z.string()) });
export type AppsReadResponse = z.infer<typeof AppsReadResponse>;
/** app/read reads at most this many ids (Codex's limit, counted before repeats are dropped). */
export const MAX_APP_READ_IDS = 100;
export const WindowsSandboxReadinessResponse = z.object({ status: z.literal("notConfigured") });

/**
 * Codex's remote control of its own app-server (the relay that lets a ChatGPT client reach it): a
 * Switchyard gateway is not such a server (it is where machines are reached), so its status is
 * `disabled`, as `remoteControl/status/changed` says after initialize, and the rest answer as Codex
 * 0.171.0 answers without a ChatGPT sign-in while disabled (probed). remoteControl/enable and
 * disable take optional params, `ephemeral` a plain boolean (null is refused).
 */
export const RemoteControlToggleParams = z.object({ ephemeral: z.boolean().optional() }).nullish();
export const RemoteControlPairingStartParams = z.object({ manualCode: z.boolean().optional() });
export const RemoteControlPairingStatusParams = z.object({
  pairingCode: z.string().nullish(),
  manualPairingCode: z.string().nullish(),
});
export const RemoteControlClientsListParams = z.object({
  environmentId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  order: serdeEnum(["asc", "desc"]).nullish(),
});
export const RemoteControlClientsRevokeParams = z.object({ environmentId: z.string(), clientId: z.string() });
/** Codex's refusal of every change to its remote control without a ChatGPT sign-in. */
const remoteControlNeedsSignIn =
  "Refused as Codex refuses it without a ChatGPT sign-in (`remote control requires ChatGPT authentication`): a Switchyard gateway is not itself remotely controlled.";

export const SessionMethod = {
  accountRead: "account/read",
  getAuthStatus: "getAuthStatus",
  pluginInstalled: "plugin/installed",
  bedrockCheckGovCloud: "account/bedrock/checkGovCloudRequirements",
  backgroundTerminalsList: "thread/backgroundTerminals/list",
  backgroundTerminalsClean: "thread/backgroundTerminals/clean",
  backgroundTerminalsTerminate: "thread/backgroundTerminals/terminate",
  accountRateLimitsRead: "account/rateLimits/read",
  accountUsageRead: "account/usage/read",
  accountWorkspaceMessagesRead: "account/workspaceMessages/read",
  accountLogout: "account/logout",
  accountSecuritySetupRead: "account/securitySetup/read",
  accountSessionList: "accountSession/list",
  externalAgentConfigDetect: "externalAgentConfig/detect",
  userVerificationStatus: "userVerification/status",
  userVerificationEnroll: "userVerification/enroll",
  userVerificationDelete: "userVerification/delete",
  userVerificationVerify: "userVerification/verify",
  userVerificationCancel: "userVerification/cancel",
  serverDiagnostics: "server/diagnostics",
  rolloutCompress: "rollout/compress",
  accountLoginCancel: "account/login/cancel",
  accountSessionSwitch: "accountSession/switch",
  accountRateLimitResetCreditConsume: "account/rateLimitResetCredit/consume",
  accountSendAddCreditsNudgeEmail: "account/sendAddCreditsNudgeEmail",
  bedrockDiscover: "account/bedrock/discover",
  mcpEventStreamStop: "mcpServer/event/stream/stop",
  externalAgentImportReadHistories: "externalAgentConfig/import/readHistories",
  pluginList: "plugin/list",
  pluginSearch: "plugin/search",
  pluginShareList: "plugin/share/list",
  appList: "app/list",
  appInstalled: "app/installed",
  appRead: "app/read",
  windowsSandboxReadiness: "windowsSandbox/readiness",
  mcpEventStreamStart: "mcpServer/event/stream/start",
  threadPredictionRequest: "thread/prediction/request",
  environmentInfo: "environment/info",
  environmentStatus: "environment/status",
  remoteControlStatusRead: "remoteControl/status/read",
  remoteControlEnable: "remoteControl/enable",
  remoteControlDisable: "remoteControl/disable",
  remoteControlPairingStart: "remoteControl/pairing/start",
  remoteControlPairingStatus: "remoteControl/pairing/status",
  remoteControlClientList: "remoteControl/client/list",
  remoteControlClientRevoke: "remoteControl/client/revoke",
} as const;

const local = { owner: "gateway", scope: { kind: "unkeyed" }, experimental: false } as const;
/** Refused as Codex 0.171.0 refuses it without a ChatGPT sign-in (the `signInRequired` error). */
const signInRequired = (what: string) => `${what}: refused as Codex refuses it without a sign-in (none is involved).`;

export const sessionMethods = defineMethods({
  [SessionMethod.accountRead]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: GetAccountParams,
    result: GetAccountResponse,
    summary: "No OpenAI account is involved: clients authenticate to the gateway; userId is the caller's subject.",
  },
  [SessionMethod.getAuthStatus]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: GetAuthStatusParams,
    result: GetAuthStatusResponse,
    summary:
      "Codex's v1 auth status: no OpenAI sign-in is involved (clients authenticate to the gateway), so no method and no token.",
  },
  [SessionMethod.pluginInstalled]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: PluginInstalledParams,
    result: PluginInstalledResponse,
    summary: "Installed plugins: none (a cloud session has no plugin marketplaces).",
  },
  [SessionMethod.bedrockCheckGovCloud]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: true, // as Codex 0.171.0 gates it
    paramsRequired: true,
    params: z.object({}).nullish(),
    result: BedrockCheckGovCloudResponse,
    summary: "Bedrock GovCloud check: not GovCloud, nothing to warn about (no Bedrock account is involved).",
  },
  // A cloud thread never has background terminals (it has no shell), so there is nothing to order
  // against (unkeyed); the thread service answers because the thread must be one of the caller's
  // loaded threads, as in Codex 0.171.0 (`thread not found: <id>` otherwise).
  [SessionMethod.backgroundTerminalsList]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: BackgroundTerminalsListParams,
    result: BackgroundTerminalsListResponse,
    summary: "A loaded thread's background terminals: none (a cloud thread has no shell).",
  },
  [SessionMethod.backgroundTerminalsClean]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "unkeyed" },
    // Switchyard runs no background terminals: it checks the thread and changes nothing.
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: BackgroundTerminalsCleanParams,
    result: BackgroundTerminalsCleanResponse,
    summary: "Cleans a loaded thread's background terminals: there are none.",
  },
  [SessionMethod.backgroundTerminalsTerminate]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "unkeyed" },
    // Switchyard runs no background terminals: it checks the thread and changes nothing.
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: BackgroundTerminalsTerminateParams,
    result: BackgroundTerminalsTerminateResponse,
    summary: "Terminates one of a loaded thread's background terminals: there are none, so nothing is terminated.",
  },
  [SessionMethod.accountRateLimitsRead]: {
    ...local,
    paramsRequired: false,
    params: GetAccountRateLimitsParams,
    result: z.never(),
    summary: signInRequired("Rate limits"),
  },
  [SessionMethod.accountUsageRead]: {
    ...local,
    paramsRequired: false,
    params: GetAccountTokenUsageParams,
    result: z.never(),
    summary: signInRequired("Token usage"),
  },
  [SessionMethod.accountWorkspaceMessagesRead]: {
    ...local,
    paramsRequired: false,
    params: UnitParams,
    result: z.never(),
    summary: signInRequired("Workspace messages"),
  },
  [SessionMethod.accountLogout]: {
    ...local,
    paramsRequired: false,
    params: UnitParams,
    result: z.object({}),
    summary:
      "Nothing to sign out of (clients authenticate to the gateway, not to OpenAI): answered {} as Codex does without a sign-in.",
  },
  [SessionMethod.remoteControlStatusRead]: {
    ...local,
    experimental: true,
    paramsRequired: false,
    params: UnitParams,
    result: RemoteControlStatus,
    summary: "The gateway's own remote control: `disabled`, as announced after initialize.",
  },
  [SessionMethod.remoteControlEnable]: {
    ...local,
    experimental: true,
    paramsRequired: false,
    params: RemoteControlToggleParams,
    result: RemoteControlStatus,
    summary: remoteControlNeedsSignIn,
  },
  [SessionMethod.remoteControlDisable]: {
    ...local,
    experimental: true,
    paramsRequired: false,
    params: RemoteControlToggleParams,
    result: RemoteControlStatus,
    summary: `An ephemeral disable answers the status (\`disabled\`), as Codex does; otherwise: ${remoteControlNeedsSignIn}`,
  },
  [SessionMethod.remoteControlPairingStart]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: RemoteControlPairingStartParams,
    result: z.never(),
    summary: "Codex's refusal while remote control is disabled (`remote control pairing requires remote control to be enabled`).",
  },
  [SessionMethod.remoteControlPairingStatus]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: RemoteControlPairingStatusParams,
    result: z.never(),
    summary: "Exactly one of the two codes is checked, then Codex's refusal while remote control is disabled.",
  },
  [SessionMethod.remoteControlClientList]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: RemoteControlClientsListParams,
    result: z.never(),
    summary: `An empty environmentId is refused in Codex's words; otherwise: ${remoteControlNeedsSignIn}`,
  },
  [SessionMethod.remoteControlClientRevoke]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: RemoteControlClientsRevokeParams,
    result: z.never(),
    summary: `An empty environmentId or clientId is refused in Codex's words; otherwise: ${remoteControlNeedsSignIn}`,
  },
  [SessionMethod.accountSecuritySetupRead]: {
    ...local,
    paramsRequired: false,
    params: UnitParams,
    result: GetAccountSecuritySetupResponse,
    summary: "No account security reminder (no OpenAI account is involved).",
  },
  [SessionMethod.accountSessionList]: {
    ...local,
    experimental: true, // as Codex 0.171.0 gates it
    paramsRequired: true,
    params: AccountSessionsListParams,
    result: AccountSessionsResponse,
    summary: "No ChatGPT account sessions (no OpenAI account is involved).",
  },
  [SessionMethod.externalAgentConfigDetect]: {
    ...local,
    paramsRequired: true,
    params: ExternalAgentConfigDetectParams,
    result: ExternalAgentConfigDetectResponse,
    summary: "Other agents' config to import: none (it is looked for on a local machine; a cloud session has none).",
  },
  // User verification signs with a key on the user's own device: Codex 0.171.0 answers these (all
  // experimental) in a build or account without it, and so does Switchyard (a cloud session has none).
  [SessionMethod.userVerificationStatus]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: UserVerificationStatusParams,
    result: UserVerificationStatusResponse,
    summary: "User verification is unavailable, in Codex's words for a build or account without it.",
  },
  [SessionMethod.userVerificationEnroll]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: UserVerificationEnrollParams,
    result: z.never(),
    summary: "User verification is unavailable: Codex's -32603 for a build or account without it.",
  },
  [SessionMethod.userVerificationDelete]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: UserVerificationDeleteParams,
    result: z.never(),
    summary: "User verification is unavailable: Codex's -32603 for a build or account without it.",
  },
  [SessionMethod.userVerificationVerify]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: UserVerificationVerifyParams,
    result: z.never(),
    summary: "User verification is unavailable (after the challenge and display text are checked, as Codex checks them).",
  },
  [SessionMethod.userVerificationCancel]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: UserVerificationCancelParams,
    result: UserVerificationCancelResponse,
    summary: "Cancels a verification in progress on this connection: there is none, so nothing is left to do.",
  },
  [SessionMethod.serverDiagnostics]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: ServerDiagnosticsParams,
    result: ServerDiagnosticsResponse,
    summary:
      "The gateway process serving the connection (id, resident memory) and the caller's tenant's requests in flight on it.",
  },
  // Sign-ins and ChatGPT account features: no OpenAI account is involved (clients authenticate to
  // the gateway), so each answers as Codex 0.171.0 does without one.
  [SessionMethod.accountLoginCancel]: {
    ...local,
    paramsRequired: true,
    params: CancelLoginAccountParams,
    result: CancelLoginAccountResponse,
    summary: "Cancels a sign-in in progress: none ever is (`notFound`; a malformed id refused in Codex's words).",
  },
  [SessionMethod.accountSessionSwitch]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: AccountSessionsSwitchParams,
    result: z.never(),
    summary: "Switches ChatGPT workspace: refused, as Codex refuses it without a managed ChatGPT login.",
  },
  [SessionMethod.accountRateLimitResetCreditConsume]: {
    ...local,
    paramsRequired: true,
    params: ConsumeRateLimitResetCreditParams,
    result: z.never(),
    summary: signInRequired("Rate limit reset credits"),
  },
  [SessionMethod.accountSendAddCreditsNudgeEmail]: {
    ...local,
    paramsRequired: true,
    params: SendAddCreditsNudgeEmailParams,
    result: z.never(),
    summary: signInRequired("Notifying the workspace owner"),
  },
  [SessionMethod.bedrockDiscover]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: BedrockDiscoverParams,
    result: BedrockDiscoverResponse,
    summary: "AWS profiles and credentials found on the local machine: none (a cloud session has no local machine).",
  },
  [SessionMethod.mcpEventStreamStart]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: McpServerEventStreamStartParams,
    result: z.never(),
    summary:
      "Refused in Codex 0.171.0's words (`MCP event subscriptions are only supported for hosted apps`): no MCP server runs, hosted or not.",
  },
  [SessionMethod.threadPredictionRequest]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: ThreadPredictionRequestParams,
    result: z.never(),
    summary: "Not built in Codex 0.171.0 either: its -32601 `thread/prediction/request is not implemented yet`.",
  },
  [SessionMethod.environmentInfo]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: EnvironmentInfoParams,
    result: z.never(),
    summary:
      "A cloud thread runs in no execution environment of Codex's (no `local` one either): every id is Codex's `unknown environment id`.",
  },
  [SessionMethod.environmentStatus]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: EnvironmentStatusParams,
    result: EnvironmentStatusResponse,
    summary: "Every id is `unknown`, with Codex's `unknown environment id` as its error (a cloud thread has no environment).",
  },
  [SessionMethod.mcpEventStreamStop]: {
    ...local,
    experimental: true,
    paramsRequired: true,
    params: McpServerEventStreamStopParams,
    result: McpServerEventStreamStopResponse,
    summary: "Stops an MCP event stream: none is ever started (no MCP server runs), so there is nothing to stop.",
  },
  [SessionMethod.rolloutCompress]: {
    ...local,
    experimental: true,
    paramsRequired: false,
    params: UnitParams,
    result: RolloutCompressResponse,
    summary: "Compresses Codex's rollout files: a Switchyard thread is kept in Postgres, with no rollout file to compress.",
  },
  [SessionMethod.externalAgentImportReadHistories]: {
    ...local,
    paramsRequired: false,
    params: UnitParams,
    result: ExternalAgentImportHistoriesResponse,
    summary: "Histories of other agents' config imports on the local machine: none (a cloud session has no local machine).",
  },
  [SessionMethod.pluginList]: {
    ...local,
    paramsRequired: true,
    params: PluginListParams,
    result: PluginListResponse,
    summary: "Plugins: none (a cloud session has no plugin marketplaces).",
  },
  [SessionMethod.pluginSearch]: {
    ...local,
    experimental: true, // as Codex 0.171.0 gates it
    paramsRequired: true,
    params: PluginSearchParams,
    result: PluginSearchResponse,
    summary: "Searches plugins: none found (a cloud session has no plugin marketplaces).",
  },
  [SessionMethod.pluginShareList]: {
    ...local,
    paramsRequired: true,
    params: PluginShareListParams,
    result: z.never(),
    summary: "Remote plugin shares: refused as Codex refuses them without a ChatGPT sign-in (none is involved).",
  },
  [SessionMethod.appList]: {
    ...local,
    paramsRequired: true,
    params: AppsListParams,
    result: AppsListResponse,
    summary: "Apps (ChatGPT connectors): none (they come with a ChatGPT sign-in, and none is involved).",
  },
  [SessionMethod.appRead]: {
    // The thread service's: a thread it names must be one of the caller's loaded threads.
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: AppsReadParams,
    result: AppsReadResponse,
    summary: "Apps by id: each one missing (apps come with a ChatGPT sign-in, and none is involved), each id once.",
  },
  [SessionMethod.appInstalled]: {
    ...local,
    paramsRequired: true,
    params: AppsInstalledParams,
    result: AppsInstalledResponse,
    summary: "Installed apps: none (no ChatGPT sign-in is involved).",
  },
  [SessionMethod.windowsSandboxReadiness]: {
    ...local,
    paramsRequired: false,
    params: UnitParams,
    result: WindowsSandboxReadinessResponse,
    summary: "The Windows sandbox: not configured (a cloud session runs no local sandbox).",
  },
});
