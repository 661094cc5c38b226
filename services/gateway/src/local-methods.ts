// Methods the gateway answers itself, without a bus hop: Codex's test-only experimental method,
// account/read and the other account methods (no OpenAI account is involved: clients authenticate to
// the gateway, so each answers as Codex 0.171.0 does without a sign-in), what a cloud session does not
// have (plugins, background terminals, other agents' config on a local machine) and Codex's
// collaboration-mode presets (fixed data, the same as Codex 0.171.0 lists). A handler may refuse with
// a SwitchyardError, answered like any refusal.
import {
  clip,
  codexUuidError,
  Method,
  type MethodParams,
  type MethodResult,
  type MethodsOwnedBy,
  type RemoteControlStatus,
  SwitchyardError,
  USER_VERIFICATION_UNAVAILABLE,
} from "@switchyard/protocol";
import type { Caller } from "@switchyard/runtime";

/** Gateway-owned methods other than `initialize` (which the connection handles itself). */
type LocalMethodName = Exclude<MethodsOwnedBy<"gateway">, typeof Method.initialize>;
/** One synchronous handler per local method, exactly: a missing or extra one does not compile. */
type LocalHandlers = { [M in LocalMethodName]: (params: MethodParams<M>, caller: Caller) => MethodResult<M> };
type LocalMethod = (params: unknown, caller: Caller) => unknown;

/** memory/status's `minConsolidatedThreads` goes up to this (Codex 0.171.0's range is 1 to 4096). */
const MAX_MIN_CONSOLIDATED_THREADS = 4096;

/** Codex 0.171.0's refusal of an account read without a ChatGPT sign-in. */
const signInRequired = (what: "rate limits" | "token usage" | "workspace messages"): never => {
  throw new SwitchyardError({ reason: "signInRequired", what });
};

/** A refusal in Codex 0.171.0's words (-32600). */
const refuse = (message: string): never => {
  throw new SwitchyardError({ reason: "invalidArgument", message });
};
/** Codex 0.171.0's refusal of the remote plugin catalog without a ChatGPT sign-in, after what it was doing. */
const remoteCatalog = (doing: string): never => refuse(`${doing}: chatgpt authentication required for remote plugin catalog`);
/** A plugin's marketplace: exactly one of a file (none exists on a cloud session) and the remote catalog. */
const pluginSource = (
  method: "plugin/read" | "plugin/install",
  params: { marketplacePath?: string | null; remoteMarketplaceName?: string | null },
  remoteDoing: string,
): never => {
  const hasPath = params.marketplacePath != null;
  if (hasPath === (params.remoteMarketplaceName != null)) {
    refuse(`${method} requires exactly one of marketplacePath or remoteMarketplaceName`);
  }
  return hasPath ? refuse(`marketplace file \`${params.marketplacePath}\` does not exist`) : remoteCatalog(remoteDoing);
};

/** Checks user verification input as Codex 0.171.0 does before it finds verification unavailable. */
function checkVerificationInput(params: { challenge: string; description: string; title: string }): void {
  const bytes = (text: string) => Buffer.byteLength(text, "utf8");
  // Unpadded base64url of 1 to 4096 bytes.
  const challenge = params.challenge;
  const isBase64Url = /^[A-Za-z0-9_-]+$/.test(challenge) && challenge.length % 4 !== 1;
  const challengeBytes = Math.floor((challenge.length * 3) / 4);
  const isValid =
    isBase64Url &&
    challengeBytes >= 1 &&
    challengeBytes <= 4096 &&
    bytes(params.title) >= 1 &&
    bytes(params.title) <= 256 &&
    bytes(params.description) <= 4096;
  if (!isValid) throw new SwitchyardError({ reason: "userVerificationInvalidInput" });
}

/** What the gateway reports about itself (server/diagnostics, remoteControl/status/read). */
export interface GatewayDiagnostics {
  /** The caller's tenant's requests in flight on this gateway (admitted to the bus), this one not counted. */
  tenantRequestsInFlight(tenant: string): number;
  /** The gateway's installation id, in its remote-control status. */
  installationId: string;
}

/**
 * The gateway's own remote control, as `remoteControl/status/changed` (after initialize) and
 * `remoteControl/status/read` report it: disabled (it is where machines are reached, not one itself).
 */
export function gatewayRemoteControlStatus(installationId: string): RemoteControlStatus {
  return { status: "disabled", serverName: "switchyard", installationId, environmentId: null };
}

/** Codex 0.171.0's words for an execution environment it does not have. */
const unknownEnvironment = (environmentId: string) => `unknown environment id \`${clip(environmentId, 200)}\``;
/** Codex 0.171.0's refusal of a change to its remote control without a ChatGPT sign-in. */
const remoteControlNeedsSignIn = (): never => refuse("remote control requires ChatGPT authentication");
/** Codex 0.171.0's refusal of pairing while its remote control is disabled. */
const pairingNeedsRemoteControl = (): never => refuse("remote control pairing requires remote control to be enabled");

export function localMethods(diagnostics: GatewayDiagnostics): ReadonlyMap<string, LocalMethod> {
  const unavailable = (): never => {
    throw new SwitchyardError({ reason: "userVerificationUnavailable" });
  };
  const ownRemoteControl = gatewayRemoteControlStatus(diagnostics.installationId);
  const handlers: LocalHandlers = {
    [Method.mockExperimentalMethod]: (params) => ({ echoed: params.value ?? null }),
    [Method.accountRead]: (_params, caller) => ({
      account: null,
      requiresOpenaiAuth: false,
      userId: caller.subject,
      workspaceRouting: null,
    }),
    // Codex 0.171.0's answer without a sign-in, whatever the params ask for.
    [Method.getAuthStatus]: () => ({ authMethod: null, authToken: null, requiresOpenaiAuth: false }),
    [Method.pluginInstalled]: () => ({ marketplaces: [], marketplaceLoadErrors: [] }),
    [Method.bedrockCheckGovCloud]: () => ({ isGovCloud: false, shouldWarn: false }),
    // No ChatGPT sign-in is involved: Codex 0.171.0's answers without one.
    [Method.accountRateLimitsRead]: () => signInRequired("rate limits"),
    [Method.accountUsageRead]: () => signInRequired("token usage"),
    [Method.accountWorkspaceMessagesRead]: () => signInRequired("workspace messages"),
    [Method.accountLogout]: () => ({}),
    // Codex 0.171.0's answers where nothing of what they ask about exists here (probed).
    [Method.mcpEventStreamStart]: () => refuse("MCP event subscriptions are only supported for hosted apps"),
    [Method.threadPredictionRequest]: () => {
      throw new SwitchyardError({
        reason: "notSupportedByCodex",
        method: Method.threadPredictionRequest,
        wording: "implemented",
      });
    },
    [Method.environmentInfo]: (params) => refuse(unknownEnvironment(params.environmentId)),
    [Method.environmentStatus]: (params) => ({ status: "unknown", error: unknownEnvironment(params.environmentId) }),
    // Codex 0.171.0's answers without a sign-in, with its remote control disabled (probed).
    [Method.remoteControlStatusRead]: () => ownRemoteControl,
    [Method.remoteControlEnable]: () => remoteControlNeedsSignIn(),
    [Method.remoteControlDisable]: (params) => (params?.ephemeral === true ? ownRemoteControl : remoteControlNeedsSignIn()),
    [Method.remoteControlPairingStart]: () => pairingNeedsRemoteControl(),
    [Method.remoteControlPairingStatus]: (params) => {
      const hasCode = params.pairingCode != null;
      if (hasCode === (params.manualPairingCode != null)) {
        refuse(
          hasCode
            ? "remoteControl/pairing/status accepts either pairingCode or manualPairingCode, not both"
            : "remoteControl/pairing/status requires pairingCode or manualPairingCode",
        );
      }
      return pairingNeedsRemoteControl();
    },
    [Method.remoteControlClientList]: (params) =>
      params.environmentId === "" ? refuse("remote control client list requires environmentId") : remoteControlNeedsSignIn(),
    [Method.remoteControlClientRevoke]: (params) => {
      if (params.environmentId === "") refuse("remote control client revoke requires environmentId");
      if (params.clientId === "") refuse("remote control client revoke requires clientId");
      return remoteControlNeedsSignIn();
    },
    [Method.accountSecuritySetupRead]: () => ({ notice: null }),
    [Method.accountSessionList]: () => ({ activeSessionId: null, sessions: [] }),
    // Looked for on a local machine: a cloud session has nothing to find.
    [Method.externalAgentConfigDetect]: () => ({ items: [], connectors: [] }),
    [Method.userVerificationStatus]: () => ({
      credentialId: null,
      unavailableReason: "providerUnavailable",
      unavailableMessage: USER_VERIFICATION_UNAVAILABLE,
    }),
    [Method.userVerificationEnroll]: unavailable,
    [Method.userVerificationDelete]: unavailable,
    [Method.userVerificationVerify]: (params) => {
      checkVerificationInput(params);
      return unavailable();
    },
    // No verification is ever in progress here, so there is nothing to cancel.
    [Method.userVerificationCancel]: () => ({}),
    // The gateway this connection is on: a Switchyard deployment is many processes, and this is the
    // one that answers. Requests in flight are the caller's tenant's only (this one included, as
    // Codex counts the diagnostics request itself): other tenants' load is not theirs to see.
    [Method.serverDiagnostics]: (_params, caller) => ({
      process: { id: process.pid, residentMemoryBytes: process.memoryUsage.rss(), physicalFootprintBytes: null },
      gauges: [{ name: "app.requests.in_flight", value: diagnostics.tenantRequestsInFlight(caller.tenant) + 1 }],
    }),
    // No sign-in is ever in progress here; a malformed id is refused as Codex refuses it.
    [Method.accountLoginCancel]: (params) =>
      codexUuidError(params.loginId) === undefined ? { status: "notFound" } : refuse(`invalid login id: ${params.loginId}`),
    [Method.accountSessionSwitch]: () => refuse("Workspace switching requires a managed ChatGPT login"),
    [Method.accountRateLimitResetCreditConsume]: () =>
      refuse("codex account authentication required for rate limit reset credits"),
    [Method.accountSendAddCreditsNudgeEmail]: () => refuse("codex account authentication required to notify workspace owner"),
    [Method.bedrockDiscover]: () => ({ profiles: [], environmentCredentials: [] }),
    [Method.mcpEventStreamStop]: () => ({}),
    // A Switchyard thread lives in Postgres: there is no rollout file to compress.
    [Method.rolloutCompress]: () => ({}),
    [Method.externalAgentImportReadHistories]: () => ({ data: [], connectors: [] }),
    [Method.pluginList]: () => ({ marketplaces: [], marketplaceLoadErrors: [], featuredPluginIds: [] }),
    [Method.pluginSearch]: () => ({ data: [], nextCursor: null }),
    [Method.pluginShareList]: () => remoteCatalog("list remote plugin shares"),
    // No marketplace files on a cloud session, no ChatGPT sign-in for the remote catalog, nothing installed.
    [Method.pluginRead]: (params) => pluginSource("plugin/read", params, "read remote plugin details"),
    [Method.pluginInstall]: (params) => pluginSource("plugin/install", params, "read remote plugin details before install"),
    [Method.pluginSkillRead]: () => remoteCatalog("read remote plugin skill details"),
    [Method.pluginUninstall]: (params) => {
      // A local plugin id (`name@marketplace`) that is not installed leaves nothing to do.
      if (params.pluginId.includes("@")) return {};
      return params.pluginId === ""
        ? refuse("invalid remote plugin id")
        : remoteCatalog("resolve remote plugin before uninstall");
    },
    [Method.pluginReconcile]: () => ({ changedPlugins: [], failedRemotePluginIds: [], failedMaterializationRemotePluginIds: [] }),
    [Method.marketplaceRemove]: (params) => refuse(`marketplace \`${params.marketplaceName}\` is not configured or installed`),
    [Method.marketplaceUpgrade]: (params) =>
      params.marketplaceName == null
        ? { selectedMarketplaces: [], upgradedRoots: [], errors: [] }
        : refuse(`marketplace \`${params.marketplaceName}\` is not configured as a Git marketplace`),
    // Codex 0.171.0 reads the discoverability before it looks for the remote catalog.
    [Method.pluginShareSave]: (params) =>
      params.discoverability === "LISTED"
        ? refuse("discoverability LISTED is not supported for plugin/share/save; use UNLISTED or PRIVATE")
        : remoteCatalog("save remote plugin share"),
    [Method.pluginShareUpdateTargets]: () => remoteCatalog("update remote plugin share targets"),
    [Method.pluginShareCheckout]: () => remoteCatalog("checkout plugin share"),
    [Method.pluginShareDelete]: () => remoteCatalog("delete remote plugin share"),
    // Roots on the app-server's machine: a cloud session has no files there, so no skill is found in them.
    [Method.skillsExtraRootsSet]: () => ({}),
    [Method.appList]: () => ({ data: [], nextCursor: null }),
    [Method.appInstalled]: () => ({ apps: [] }),
    [Method.windowsSandboxReadiness]: () => ({ status: "notConfigured" }),
    // No memories are generated here (yet): the answers of a Codex that has none.
    [Method.memoryStatus]: (params) => {
      const minimum = params.minConsolidatedThreads;
      if (minimum != null && (minimum < 1 || minimum > MAX_MIN_CONSOLIDATED_THREADS)) {
        throw new SwitchyardError({
          reason: "invalidParams",
          message: `minConsolidatedThreads must be between 1 and ${MAX_MIN_CONSOLIDATED_THREADS}`,
        });
      }
      return { v2ConsolidatedThreads: 0, v2Ready: true };
    },
    [Method.memoryReset]: () => ({}),
    [Method.collaborationModeList]: () => ({
      data: [
        { name: "Plan", mode: "plan", model: null, reasoning_effort: "medium" },
        { name: "Default", mode: "default", model: null, reasoning_effort: null },
      ],
    }),
  };
  return new Map(Object.entries(handlers) as [string, LocalMethod][]);
}
