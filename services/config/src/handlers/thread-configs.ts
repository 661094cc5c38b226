// A thread's config: resolved when the thread starts (or forks), stored as a snapshot with its
// session layer, refreshed from fresh layers while keeping that session layer, exported as a
// lockfile and checked against a replayed one.
//
// The session layer is the request's overrides with the orchestrator's session config on top:
// session config wins for the keys it owns (model_provider, model_providers, features), as Codex's
// session thread config wins over request-provided config. It comes from the tenant's upstream
// thread-config endpoint when one is configured (`experimental_thread_config_endpoint` in a layer
// below the session's), else from the stored session config of the thread, else of its cwd.
//
// Secrets (providers' bearer tokens and Authorization headers) are sealed in the session layer
// before it is stored, so the snapshot holds no plaintext; lockfiles show them as `********` and
// compare them by presence only.
import {
  type ConfigWarning,
  configLayerVersion,
  keptServiceTier,
  needsOfferedTier,
  type ResolvePermissionProfileParams,
  type ResolvePermissionProfileResponse,
  type ResolveThreadConfigParams,
  type ResolveThreadConfigResponse,
  SwitchyardError,
} from "@switchyard/protocol";
import type { EgressPolicy, Logger } from "@switchyard/runtime";
import { loadUpstreamThreadConfig, ThreadConfigLoadError } from "../grpc/client.js";
import {
  applyEdits,
  buildLockfile,
  ConfigRejectedError,
  type ConfigTable,
  ConfigWriteError,
  compareLockfiles,
  type Lockfile,
  lockfileToToml,
  mergeTables,
  parseLockfile,
  resolveSessionPermissions,
  type SandboxMode,
  valueAtPath,
} from "../model/index.js";
import type { ConfigResolver, ResolvedConfig } from "../resolver.js";
import { type ConfigSecrets, redactSecrets, SecretValueError, secretLeafPaths } from "../secrets/config-secrets.js";
import type { ConfigStore, ThreadConfigRow } from "../store/config-store.js";
import type { ModelCatalog } from "./model-catalog.js";
import { isKnownProvider } from "./model-providers.js";

export const threadNotFound = (threadId: string) => new SwitchyardError({ reason: "threadNotFound", threadId });

interface Caller {
  tenant: string;
  subject: string;
}

const stringAt = (table: ConfigTable, key: string): string | undefined =>
  typeof table[key] === "string" ? (table[key] as string) : undefined;

interface ComputedSession {
  answer: ResolveThreadConfigResponse;
  resolved: ResolvedConfig;
  sessionLayer: ConfigTable;
  resolvedFields: ConfigTable;
}

const isSet = (value: unknown): value is string => typeof value === "string" && value !== "";

/** A `debug.config_lockfile.<key>` setting of a config. */
const lockfileSetting = (config: ConfigTable, key: string): unknown => valueAtPath(config, ["debug", "config_lockfile", key]);

/** The thread/start overrides as a config table, spelled as in config.toml. */
export function overridesLayer(overrides: ResolveThreadConfigParams["overrides"]): ConfigTable {
  let layer: ConfigTable = {};
  if (overrides.config && Object.keys(overrides.config).length > 0) {
    try {
      layer = applyEdits(
        {},
        Object.entries(overrides.config).map(([keyPath, value]) => ({ keyPath, value, mergeStrategy: "upsert" as const })),
      );
    } catch (error) {
      if (error instanceof ConfigWriteError)
        throw new SwitchyardError({ reason: "invalidArgument", message: `config: ${error.message}` });
      throw error;
    }
  }
  const direct: ConfigTable = {};
  if (overrides.model != null) direct.model = overrides.model;
  if (overrides.modelProvider != null) direct.model_provider = overrides.modelProvider;
  if (overrides.approvalPolicy != null) direct.approval_policy = overrides.approvalPolicy;
  if (overrides.approvalsReviewer != null) direct.approvals_reviewer = overrides.approvalsReviewer;
  if (overrides.sandbox != null) direct.sandbox_mode = overrides.sandbox;
  if (overrides.permissions != null) direct.default_permissions = overrides.permissions;
  if (overrides.serviceTierGiven) direct.service_tier = keptServiceTier(overrides.serviceTier ?? null);
  return mergeTables(layer, direct);
}

/** A session's permissions from its resolved config; a configuration it cannot run with in Codex's words. */
function sessionPermissions(
  input: Parameters<typeof resolveSessionPermissions>[0],
  resolved: ResolvedConfig,
): ReturnType<typeof resolveSessionPermissions> {
  try {
    return resolveSessionPermissions(input, resolved.effective.config, resolved.requirements);
  } catch (error) {
    if (error instanceof ConfigRejectedError) {
      throw new SwitchyardError({ reason: "configRejected", message: `failed to load configuration: ${error.message}` });
    }
    throw error;
  }
}

export class ThreadConfigs {
  constructor(
    private readonly deps: {
      store: ConfigStore;
      resolver: ConfigResolver;
      configSecrets: ConfigSecrets;
      upstreamTimeoutMs: number;
      /** Where an upstream endpoint may be: the deployment's egress policy. */
      egress: EgressPolicy;
      /** Which service tiers a session's model offers. */
      catalog: ModelCatalog;
      log: Logger;
    },
  ) {}

  async resolveThread(caller: Caller, params: ResolveThreadConfigParams): Promise<ResolveThreadConfigResponse> {
    const answer = (await this.resolveThreadFromMemory(caller, params)) ?? (await this.resolveThreadFromStorage(caller, params));
    // The session keeps its tier as given; the thread service answers it as the model offers it.
    if (!needsOfferedTier(answer.serviceTier)) return answer;
    return {
      ...answer,
      modelServiceTiers: await this.deps.catalog.serviceTiersOf(caller.tenant, answer.model, answer.modelProvider),
    };
  }

  /**
   * The common start in one round trip: from the stored inputs this process already holds for the
   * user and cwd (no upstream endpoint, no fork, no lockfile to replay or export), with the snapshot's
   * insert guarded by the generation they were read at and by the thread having no session config of
   * its own. Every config write bumps that generation, so the guard fails exactly when the inputs may
   * be stale; the start then takes the whole path (as does any refusal, which is decided afresh).
   */
  private async resolveThreadFromMemory(
    caller: Caller,
    params: ResolveThreadConfigParams,
  ): Promise<ResolveThreadConfigResponse | undefined> {
    if (params.forkedFromId) return undefined;
    const inputs = this.deps.resolver.remembered({ ...caller, cwd: params.cwd });
    if (!inputs || managedEndpoint(inputs.resolve())) return undefined;
    let session: ComputedSession;
    try {
      session = this.sessionFrom(caller, params, inputs.cwdSessionLayer, (sessionLayer) => inputs.resolve(sessionLayer));
    } catch (error) {
      if (error instanceof SwitchyardError) return undefined;
      throw error;
    }
    const config = session.resolved.effective.config;
    if (isSet(lockfileSetting(config, "load_path")) || isSet(lockfileSetting(config, "export_dir"))) return undefined;
    const stored = await this.deps.store.writeThreadConfig(caller.tenant, this.snapshotRow(caller, params, session), {
      generation: inputs.generation,
    });
    if (!stored) return undefined;
    // The same inputs give the same answer and snapshot until the generation moves: the thread
    // service may reuse them. Not with sealed secrets in the session layer (their sealing is this
    // service's business: each thread's are sealed here).
    if (secretLeafPaths(session.sessionLayer).length > 0) return session.answer;
    return {
      ...session.answer,
      reuse: {
        generation: inputs.generation,
        sessionLayer: session.sessionLayer,
        effective: config,
        resolved: session.resolvedFields,
      },
    };
  }

  private async resolveThreadFromStorage(
    caller: Caller,
    params: ResolveThreadConfigParams,
  ): Promise<ResolveThreadConfigResponse> {
    const session = await this.computeSession(caller, params);
    await this.checkLockfileReplay(caller, params, session.resolved, session.resolvedFields);
    await this.deps.store.writeThreadConfig(caller.tenant, this.snapshotRow(caller, params, session));
    await this.exportLockfileIfAsked(caller, params, session.resolved, session.resolvedFields);
    return session.answer;
  }

  private snapshotRow(caller: Caller, params: ResolveThreadConfigParams, session: ComputedSession): ThreadConfigRow {
    return {
      thread_id: params.threadId,
      subject: caller.subject,
      cwd: params.cwd,
      session_layer: session.sessionLayer,
      effective: session.resolved.effective.config,
      resolved: session.resolvedFields,
      client_version: params.clientVersion,
    };
  }

  /** The lockfile a thread started now (for this user and cwd, without overrides) would have. */
  async lockfileForNewThread(caller: Caller, cwd: string, clientVersion: string): Promise<Lockfile> {
    const params: ResolveThreadConfigParams = {
      threadId: "lockfile-check",
      cwd,
      overrides: { serviceTierGiven: false },
      clientVersion,
    };
    const session = await this.computeSession(caller, params);
    return lockfileOf(session.resolved.effective.config, clientVersion, session.resolvedFields);
  }

  /** Resolves a new thread's session: its layers, requirements and the values it reports. Stores nothing. */
  private async computeSession(caller: Caller, params: ResolveThreadConfigParams): Promise<ComputedSession> {
    const sessionLayer = this.sessionLayerFor(caller, params, await this.sessionConfigFor(caller, params));
    return this.sessionOf(sessionLayer, await this.deps.resolver.resolve({ ...caller, cwd: params.cwd, sessionLayer }));
  }

  /** computeSession from inputs already at hand (no round trip). */
  private sessionFrom(
    caller: Caller,
    params: ResolveThreadConfigParams,
    sessionOwned: ConfigTable | null,
    resolve: (sessionLayer: ConfigTable) => ResolvedConfig,
  ): ComputedSession {
    const sessionLayer = this.sessionLayerFor(caller, params, sessionOwned);
    return this.sessionOf(sessionLayer, resolve(sessionLayer));
  }

  /** The request's overrides with the session config on top, secrets sealed. */
  private sessionLayerFor(caller: Caller, params: ResolveThreadConfigParams, sessionOwned: ConfigTable | null): ConfigTable {
    return this.sealedSessionLayer(caller, mergeTables(overridesLayer(params.overrides), sessionOwned ?? {}), sessionOwned);
  }

  /** The session a resolved stack gives: requirements applied, the values the thread reports. */
  private sessionOf(sessionLayer: ConfigTable, resolved: ResolvedConfig): ComputedSession {
    const config = resolved.effective.config;

    const permissions = sessionPermissions(
      {
        approvalPolicy: config.approval_policy,
        sandboxMode: stringAt(config, "sandbox_mode") ?? null,
        profileId: stringAt(config, "default_permissions") ?? null,
      },
      resolved,
    );
    // A provider no layer defines and no built-in is, refused at the start as Codex refuses it (not
    // at the first turn).
    const providerId = stringAt(config, "model_provider");
    if (providerId !== undefined && !isKnownProvider(config, providerId)) {
      throw new SwitchyardError({
        reason: "configRejected",
        message: `failed to load configuration: Model provider \`${providerId}\` not found`,
      });
    }
    const tier = stringAt(config, "service_tier");
    const answer: ResolveThreadConfigResponse = {
      model: stringAt(config, "model") ?? "",
      modelProvider: stringAt(config, "model_provider") ?? "openai",
      serviceTier: tier === undefined ? null : keptServiceTier(tier),
      approvalPolicy: (permissions.approvalPolicy ?? "on-request") as ResolveThreadConfigResponse["approvalPolicy"],
      approvalsReviewer: (stringAt(config, "approvals_reviewer") ?? "user") as ResolveThreadConfigResponse["approvalsReviewer"],
      sandbox: permissions.sandboxMode as SandboxMode,
      reasoningEffort: stringAt(config, "model_reasoning_effort") ?? null,
      activePermissionProfile: permissions.activeProfile,
      warnings: [...resolved.warnings, ...permissions.warnings] as ConfigWarning[],
      configVersion: configLayerVersion(config),
    };
    return { answer, resolved, sessionLayer, resolvedFields: resolvedFieldsOf(answer) };
  }

  /**
   * The session layer with its secrets sealed: those of the stored session config are kept as stored,
   * anything else (a request override, an upstream endpoint's answer) is sealed now.
   */
  private sealedSessionLayer(caller: Caller, layer: ConfigTable, sessionOwned: ConfigTable | null): ConfigTable {
    try {
      return this.deps.configSecrets.seal(caller.tenant, layer, sessionOwned);
    } catch (error) {
      if (error instanceof SecretValueError)
        throw new SwitchyardError({ reason: "invalidArgument", message: `config: ${error.message}` });
      throw error;
    }
  }

  /**
   * thread/settings/update's `permissions`: as Codex 0.171.0 switches a thread's profile, its config
   * reloaded (fresh layers, its session layer kept) with the profile as `default_permissions`, and
   * the profile resolved under the requirements. A read: the thread keeps the result in its settings.
   */
  async permissionProfile(caller: Caller, params: ResolvePermissionProfileParams): Promise<ResolvePermissionProfileResponse> {
    const row = await this.deps.store.readThreadConfig(caller.tenant, params.threadId);
    const sessionLayer = mergeTables(row?.session_layer ?? {}, { default_permissions: params.profile });
    const resolved = await this.deps.resolver.resolve({
      tenant: caller.tenant,
      subject: row?.subject ?? caller.subject,
      cwd: row?.cwd ?? null,
      sessionLayer,
    });
    const permissions = sessionPermissions({ profileId: params.profile }, resolved);
    if (!permissions.activeProfile) throw new Error("a named permission profile resolved to no profile");
    return {
      sandbox: permissions.sandboxMode,
      activePermissionProfile: permissions.activeProfile,
      warnings: permissions.warnings,
    };
  }

  /** The thread's config rebuilt from fresh layers, its session layer kept; stored as its new snapshot. */
  async refreshedEffective(caller: Caller, threadId: string): Promise<ConfigTable> {
    const row = await this.deps.store.readThreadConfig(caller.tenant, threadId);
    if (!row) throw threadNotFound(threadId);
    const resolved = await this.deps.resolver.resolve({
      tenant: caller.tenant,
      subject: row.subject,
      cwd: row.cwd,
      sessionLayer: row.session_layer,
    });
    await this.deps.store.writeThreadConfig(caller.tenant, { ...row, effective: resolved.effective.config });
    return resolved.effective.config;
  }

  /** After a user-config reload: the user's most recent threads pick the new layers up. */
  async refreshUserThreads(caller: Caller): Promise<number> {
    const threadIds = await this.deps.store.recentThreadConfigs(caller.tenant, caller.subject, 100);
    for (const threadId of threadIds) await this.refreshedEffective(caller, threadId);
    return threadIds.length;
  }

  /** The thread's effective config as a lockfile (TOML). */
  async exportLockfile(caller: Caller, threadId: string): Promise<{ path: string; lockfile: string }> {
    const row = await this.deps.store.readThreadConfig(caller.tenant, threadId);
    if (!row) throw threadNotFound(threadId);
    const lockfile = lockfileToToml(lockfileOf(row.effective, row.client_version, row.resolved));
    const path = `${threadId}.config.lock.toml`;
    await this.deps.store.writeLockfile(undefined, caller.tenant, path, lockfile);
    return { path, lockfile };
  }

  private async sessionConfigFor(caller: Caller, params: ResolveThreadConfigParams): Promise<ConfigTable | null> {
    if (params.forkedFromId) {
      const parent = await this.deps.store.readThreadConfig(caller.tenant, params.forkedFromId);
      if (parent?.session_layer) return pickSessionOwned(parent.session_layer);
    }
    // The upstream endpoint is a tenant setting: only the tenant-managed layers may name one (a user
    // or a repository must not make the service call an address of their choosing).
    // The plain (cached) read: the managed layers are the same in it as in the thread's own stack.
    const endpoint = managedEndpoint(await this.deps.resolver.resolve({ ...caller, cwd: params.cwd }));
    if (endpoint) {
      try {
        const loaded = await loadUpstreamThreadConfig(
          endpoint,
          { threadId: params.threadId, cwd: params.cwd },
          { timeoutMs: this.deps.upstreamTimeoutMs, egress: this.deps.egress },
        );
        return (loaded.session as ConfigTable | null) ?? null;
      } catch (error) {
        if (error instanceof ThreadConfigLoadError) {
          this.deps.log.warn(
            { endpoint, kind: error.kind, err: error.message },
            "upstream thread config failed; thread start refused",
          );
          throw new SwitchyardError({ reason: "threadConfigLoadFailed", kind: error.kind, message: error.message });
        }
        throw error;
      }
    }
    const stored = await this.deps.store.sessionConfigFor(caller.tenant, { threadId: params.threadId, cwd: params.cwd });
    return stored?.body ?? null;
  }

  private async checkLockfileReplay(
    caller: Caller,
    params: ResolveThreadConfigParams,
    resolved: ResolvedConfig,
    resolvedFields: ConfigTable,
  ): Promise<void> {
    const config = resolved.effective.config;
    const loadPath = lockfileSetting(config, "load_path");
    if (!isSet(loadPath)) return;
    const text = await this.deps.store.readLockfile(caller.tenant, loadPath);
    if (text === undefined) {
      throw new SwitchyardError({
        reason: "configRejected",
        message: `config lockfile not found: ${loadPath} (save it with switchyard/configLock/save or \`switchyard config lock replay\`)`,
      });
    }
    let expected: ReturnType<typeof parseLockfile>;
    try {
      expected = parseLockfile(text);
    } catch (error) {
      throw new SwitchyardError({
        reason: "configRejected",
        message: `invalid config lockfile ${loadPath}: ${(error as Error).message}`,
      });
    }
    // Secrets are compared by presence: both sides show them as `********`.
    expected = { ...expected, config: redactSecrets(expected.config) };
    const actual = lockfileOf(config, params.clientVersion, resolvedFields);
    const allowMismatch = lockfileSetting(config, "allow_codex_version_mismatch") === true;
    const comparison = compareLockfiles(expected, actual, { allowCodexVersionMismatch: allowMismatch });
    if (!comparison.matches) {
      throw new SwitchyardError({
        reason: "configLockMismatch",
        message: `config lockfile mismatch: the effective config differs from ${loadPath}`,
        diff: comparison.diff,
      });
    }
  }

  private async exportLockfileIfAsked(
    caller: Caller,
    params: ResolveThreadConfigParams,
    resolved: ResolvedConfig,
    resolvedFields: ConfigTable,
  ): Promise<void> {
    const config = resolved.effective.config;
    const exportDir = lockfileSetting(config, "export_dir");
    if (!isSet(exportDir)) return;
    const lockfile = lockfileToToml(lockfileOf(config, params.clientVersion, resolvedFields));
    await this.deps.store.writeLockfile(
      undefined,
      caller.tenant,
      `${exportDir.replace(/\/+$/, "")}/${params.threadId}.config.lock.toml`,
      lockfile,
    );
  }
}

/**
 * A thread's lockfile: its effective config (secrets shown as `********`), with the resolved values
 * unless the config says not to save them.
 */
function lockfileOf(config: ConfigTable, clientVersion: string, resolved: ConfigTable): Lockfile {
  return buildLockfile(redactSecrets(config), {
    codexVersion: clientVersion,
    resolved,
    saveFieldsResolvedFromModelCatalog: lockfileSetting(config, "save_fields_resolved_from_model_catalog") !== false,
  });
}

/** Values Codex resolves at session start (from the model catalog and the session), as config keys. */
function resolvedFieldsOf(answer: ResolveThreadConfigResponse): ConfigTable {
  const fields: ConfigTable = { model: answer.model, model_provider: answer.modelProvider };
  if (answer.reasoningEffort !== null) fields.model_reasoning_effort = answer.reasoningEffort;
  if (answer.serviceTier !== null) fields.service_tier = answer.serviceTier;
  return fields;
}

/** Layers only the tenant's administrators write. */
const TENANT_MANAGED_LAYERS = new Set(["system", "enterpriseManaged", "legacyManagedConfigTomlFromFile"]);

/** The upstream thread-config endpoint named by the highest tenant-managed layer, if any. */
function managedEndpoint(resolved: ResolvedConfig): string | undefined {
  for (const layer of resolved.effective.layers) {
    if (!TENANT_MANAGED_LAYERS.has(layer.name.type) || layer.disabledReason) continue;
    const endpoint = stringAt(layer.config, "experimental_thread_config_endpoint");
    if (endpoint) return endpoint;
  }
  return undefined;
}

/** Only the keys a session owns survive into a fork's session layer from its parent. */
function pickSessionOwned(layer: ConfigTable): ConfigTable {
  const owned: ConfigTable = {};
  for (const key of ["model_provider", "model_providers", "features"]) if (key in layer) owned[key] = layer[key];
  return owned;
}

/** A lockfile's text with any secret in its config replaced by `********` (unchanged when it holds none). */
export function redactLockfileText(text: string): string {
  const lockfile = parseLockfile(text);
  if (secretLeafPaths(lockfile.config).length === 0) return text;
  return lockfileToToml({ ...lockfile, config: redactSecrets(lockfile.config) });
}
