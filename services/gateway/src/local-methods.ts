// Methods the gateway answers itself, without a bus hop: Codex's test-only experimental method,
// account/read and the other account methods (no OpenAI account is involved: clients authenticate to
// the gateway, so each answers as Codex 0.171.0 does without a sign-in), what a cloud session does not
// have (plugins, background terminals, other agents' config on a local machine) and Codex's
// collaboration-mode presets (fixed data, the same as Codex 0.171.0 lists). A handler may refuse with
// a SwitchyardError, answered like any refusal.
import { Method, type MethodParams, type MethodResult, type MethodsOwnedBy, SwitchyardError } from "@switchyard/protocol";
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

export function localMethods(): ReadonlyMap<string, LocalMethod> {
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
    [Method.accountSecuritySetupRead]: () => ({ notice: null }),
    [Method.accountSessionList]: () => ({ activeSessionId: null, sessions: [] }),
    // Looked for on a local machine: a cloud session has nothing to find.
    [Method.externalAgentConfigDetect]: () => ({ items: [], connectors: [] }),
    [Method.userVerificationStatus]: () => ({
      credentialId: null,
      unavailableReason: "providerUnavailable",
      unavailableMessage: "User verification is not available in this build or account.",
    }),
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
    [Method.pluginShareSave]: () => remoteCatalog("save remote plugin share"),
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
    [Method.threadTimelineList]: () => {
      throw new SwitchyardError({ reason: "notSupportedByCodex", method: Method.threadTimelineList });
    },
    [Method.collaborationModeList]: () => ({
      data: [
        { name: "Plan", mode: "plan", model: null, reasoning_effort: "medium" },
        { name: "Default", mode: "default", model: null, reasoning_effort: null },
      ],
    }),
  };
  return new Map(Object.entries(handlers) as [string, LocalMethod][]);
}
