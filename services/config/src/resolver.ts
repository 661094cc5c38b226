// Builds a caller's layer stack from storage and resolves it: packaged defaults → system →
// enterprise-managed → user → user profile → project layers at or above the cwd (trust-gated) →
// session flags → legacy managed. Plain reads (no thread-specific session layer) are cached under
// the tenant's write generation (read from Postgres on every read), so a cached value never
// outlives the write that changed it: in this process (a small LRU, no round trip) and in Redis
// (shared by every instance); with Redis down the stack is read from Postgres when not in memory.
// A thread's stack (its own session layer) is resolved afresh, from the same stored inputs as the
// plain read of its user and cwd, kept in this process under the same generation-bearing key.
import { createHash } from "node:crypto";
import { configLayerVersion } from "@switchyard/protocol";
import type { Logger, Redis } from "@switchyard/runtime";
import {
  type ConfigLayer,
  type ConfigTable,
  type ConfigWarning,
  type EffectiveConfig,
  gateProjectLayer,
  mergeTables,
  parseRequirements,
  projectTrust,
  type Requirements,
  resolveLayers,
} from "./model/index.js";
import type { ConfigStore, StoredLayer } from "./store/config-store.js";

/** Where each layer "lives", as clients see it (Codex reports files; ours are per tenant and user). */
export const LayerFiles = {
  packagedDefaults: "/etc/switchyard/defaults.toml",
  system: "/etc/codex/config.toml",
  legacyManaged: "/etc/codex/managed_config.toml",
  /** The user's config.toml: config/value/write's `filePath`. */
  user: (subject: string) => `/users/${encodeURIComponent(subject)}/.codex/config.toml`,
  projectFolder: (projectPath: string) => `${projectPath.replace(/\/+$/, "") || ""}/.codex`,
};

export interface ResolveRequest {
  tenant: string;
  subject: string;
  cwd: string | null;
  /**
   * The sessionFlags layer: a thread's own (session config merged with request overrides), or
   * undefined to use the cwd's session config (a plain config/read).
   */
  sessionLayer?: ConfigTable | null;
  /** The user layer as a pending write would leave it (never cached). */
  userLayerOverride?: ConfigTable;
}

export interface ResolvedConfig {
  effective: EffectiveConfig;
  requirements: Requirements;
  /** Warnings from layer gating (a project layer's denylisted keys stripped). */
  warnings: ConfigWarning[];
  /** The user's own layer body and version (what writes start from). */
  userLayer: { body: ConfigTable; version: string };
}

/**
 * The packaged-defaults layer: the deployment's default model and provider
 * (`SWITCHYARD_DEFAULT_MODEL`/`_PROVIDER`) and its default providers (`CONFIG_DEFAULT_MODEL_PROVIDERS`).
 */
export function packagedDefaultsLayer(
  deploymentDefault: { model: string; modelProvider: string },
  modelProviders: ConfigTable = {},
): ConfigTable {
  const layer: ConfigTable = { model: deploymentDefault.model, model_provider: deploymentDefault.modelProvider };
  if (Object.keys(modelProviders).length > 0) layer.model_providers = modelProviders;
  return layer;
}

/** Every ancestor of an absolute path, itself included, shortest first: `/a/b` → `/`, `/a`, `/a/b`. */
export function projectPathsFor(cwd: string | null): string[] {
  if (!cwd?.startsWith("/")) return [];
  const parts = cwd.split("/").filter(Boolean);
  return ["/", ...parts.map((_, index) => `/${parts.slice(0, index + 1).join("/")}`)];
}

/** Effective configs kept in this process, by cache key (which holds the generation). */
const LOCAL_CACHE_ENTRIES = 2_000;

/** What a config read of (tenant, user, cwd) reads from Postgres: the layers, requirements and the cwd's session config. */
interface StoredInputs {
  layers: StoredLayer[];
  requirementsTable: ConfigTable | undefined;
  cwdSessionLayer: ConfigTable | null;
}

/**
 * What this process holds for (tenant, user, cwd) at the generation it last read for the tenant, used
 * without a round trip. That generation may have moved on since: whoever acts on these inputs must
 * check it again where it writes (a thread start guards its snapshot insert with it).
 */
export interface RememberedInputs {
  generation: string;
  /** The cwd's stored session config at that generation. */
  cwdSessionLayer: ConfigTable | null;
  /** The stack with a thread's session layer, or the plain read's (undefined: the cwd's session config). */
  resolve(sessionLayer?: ConfigTable | null): ResolvedConfig;
}

export class ConfigResolver {
  private readonly localCache = new Map<string, ResolvedConfig>();
  /** Stored inputs by cache key (which holds the generation): a thread's stack reuses its user's and cwd's. */
  private readonly storedCache = new Map<string, StoredInputs>();
  /** The generation last read for each tenant (what `remembered` answers at). */
  private readonly generations = new Map<string, string>();

  constructor(
    private readonly options: {
      store: ConfigStore;
      redis: Redis;
      cachePrefix: string;
      cacheTtlMs: number;
      packagedDefaults: ConfigTable;
      log: Logger;
    },
  ) {}

  async resolve(request: ResolveRequest): Promise<ResolvedConfig> {
    // A pending write's stack (the user layer as it would be) is never cached.
    if (request.userLayerOverride !== undefined) return this.compute(request, await this.readStored(request));
    const generation = await this.options.store.generation(request.tenant);
    this.remember(this.generations, request.tenant, generation);
    const cacheKey = this.cacheKey(request, generation);
    // A thread's own stack: the same stored layers as the plain read for its user and cwd, under the
    // same generation, with the thread's session layer; only the stored inputs are cached.
    if (request.sessionLayer !== undefined) return this.compute(request, await this.storedFor(cacheKey, request));
    const local = this.localCache.get(cacheKey);
    if (local) return local;
    let resolved = await this.cacheGet(cacheKey);
    if (!resolved) {
      resolved = this.compute(request, await this.storedFor(cacheKey, request));
      void this.cacheSet(cacheKey, resolved);
    }
    this.remember(this.localCache, cacheKey, resolved);
    return resolved;
  }

  /**
   * The stored inputs of (tenant, user, cwd) this process holds at the tenant's last-read generation,
   * or undefined (none read yet at that generation). Costs no round trip; see RememberedInputs.
   */
  remembered(request: { tenant: string; subject: string; cwd: string | null }): RememberedInputs | undefined {
    const generation = this.generations.get(request.tenant);
    if (generation === undefined) return undefined;
    const cacheKey = this.cacheKey(request, generation);
    const stored = this.storedCache.get(cacheKey);
    if (!stored) return undefined;
    return {
      generation,
      cwdSessionLayer: stored.cwdSessionLayer,
      resolve: (sessionLayer) => {
        if (sessionLayer !== undefined) return this.compute({ ...request, sessionLayer }, stored);
        const local = this.localCache.get(cacheKey);
        if (local) return local;
        const resolved = this.compute(request, stored);
        this.remember(this.localCache, cacheKey, resolved);
        return resolved;
      },
    };
  }

  /**
   * What the tenant's managed layers alone make of its config: packaged defaults, system,
   * enterprise-managed, the given session layer (the orchestrator's) and legacy managed — no user,
   * profile or project layer. A provider the tenant's users cannot have redefined reads the same here
   * as in the full stack (model-providers.ts uses that to decide who may use tenant secrets).
   */
  async managedConfig(tenant: string, sessionLayer: ConfigTable | null): Promise<ConfigTable> {
    const stored = await this.options.store.layersFor(tenant, "", []);
    const body = (kind: StoredLayer["kind"]) => stored.find((layer) => layer.kind === kind)?.body ?? {};
    return [
      this.options.packagedDefaults,
      body("system"),
      body("enterpriseManaged"),
      sessionLayer ?? {},
      body("legacyManaged"),
    ].reduce<ConfigTable>((merged, layer) => mergeTables(merged, layer), {});
  }

  /** Keeps an entry in a local LRU (handlers treat what it holds as read-only). */
  private remember<T>(cache: Map<string, T>, cacheKey: string, value: T): void {
    cache.delete(cacheKey);
    cache.set(cacheKey, value);
    if (cache.size > LOCAL_CACHE_ENTRIES) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
  }

  /** The stored inputs of (tenant, user, cwd) at the generation in `cacheKey`: from this process's LRU, else Postgres. */
  private async storedFor(cacheKey: string, request: ResolveRequest): Promise<StoredInputs> {
    const local = this.storedCache.get(cacheKey);
    if (local) return local;
    const stored = await this.readStored(request);
    this.remember(this.storedCache, cacheKey, stored);
    return stored;
  }

  private async readStored(request: ResolveRequest): Promise<StoredInputs> {
    const { store } = this.options;
    const [layers, requirementsTable, cwdSession] = await Promise.all([
      store.layersFor(request.tenant, request.subject, projectPathsFor(request.cwd)),
      store.readDocument(request.tenant, "requirements"),
      request.cwd ? store.readSessionConfig(request.tenant, { kind: "cwd", cwd: request.cwd }) : Promise.resolve(undefined),
    ]);
    return { layers, requirementsTable, cwdSessionLayer: cwdSession?.body ?? null };
  }

  private compute(request: ResolveRequest, stored: StoredInputs): ResolvedConfig {
    const sessionLayer = request.sessionLayer === undefined ? stored.cwdSessionLayer : request.sessionLayer;
    const { layers, warnings, userLayer } = this.stack(request, stored.layers, sessionLayer);
    return {
      effective: resolveLayers(layers),
      requirements: parseRequirements(stored.requirementsTable ?? {}),
      warnings,
      userLayer,
    };
  }

  /** The layers in precedence order (the resolver sorts again; this order keeps trust reads simple). */
  private stack(
    request: ResolveRequest,
    stored: StoredLayer[],
    sessionLayer: ConfigTable | null,
  ): { layers: ConfigLayer[]; warnings: ConfigWarning[]; userLayer: { body: ConfigTable; version: string } } {
    const find = (kind: StoredLayer["kind"], scope = "") => stored.find((layer) => layer.kind === kind && layer.scope === scope);
    const userFile = LayerFiles.user(request.subject);
    const layers: ConfigLayer[] = [
      { name: { type: "packagedDefaults", file: LayerFiles.packagedDefaults }, config: this.options.packagedDefaults },
    ];
    const system = find("system");
    if (system) layers.push({ name: { type: "system", file: LayerFiles.system }, config: system.body });
    const managed = find("enterpriseManaged");
    if (managed) {
      layers.push({
        name: { type: "enterpriseManaged", id: request.tenant, name: `${request.tenant} managed config` },
        config: managed.body,
      });
    }
    const user = find("user", request.subject);
    const userBody = request.userLayerOverride ?? user?.body ?? {};
    // The user layer is always listed, even empty: it is where writes land (Codex lists config.toml).
    layers.push({ name: { type: "user", file: userFile }, config: userBody });
    const belowProfile = layers.reduce<ConfigTable>((merged, layer) => mergeTables(merged, layer.config), {});
    const profileName = typeof belowProfile.profile === "string" ? belowProfile.profile : undefined;
    const profiles = belowProfile.profiles as Record<string, unknown> | undefined;
    const profileBody = profileName ? profiles?.[profileName] : undefined;
    if (profileName && profileBody && typeof profileBody === "object") {
      layers.push({ name: { type: "user", file: userFile, profile: profileName }, config: profileBody as ConfigTable });
    }
    const warnings: ConfigWarning[] = [];
    const belowProjects = layers.reduce<ConfigTable>((merged, layer) => mergeTables(merged, layer.config), {});
    for (const projectPath of projectPathsFor(request.cwd)) {
      const project = find("project", projectPath);
      if (!project) continue;
      const layer: ConfigLayer = {
        name: { type: "project", dotCodexFolder: LayerFiles.projectFolder(projectPath) },
        config: project.body,
      };
      const trust = projectTrust({
        dotCodexFolder: LayerFiles.projectFolder(projectPath),
        projectRoot: projectPath,
        lowerConfig: belowProjects,
        userConfigFile: userFile,
      });
      const gated = gateProjectLayer(layer, trust);
      layers.push(gated.layer);
      warnings.push(...gated.warnings);
    }
    if (sessionLayer) layers.push({ name: { type: "sessionFlags" }, config: sessionLayer });
    const legacy = find("legacyManaged");
    if (legacy)
      layers.push({ name: { type: "legacyManagedConfigTomlFromFile", file: LayerFiles.legacyManaged }, config: legacy.body });
    return { layers, warnings, userLayer: { body: userBody, version: configLayerVersion(userBody) } };
  }

  private cacheKey(request: { tenant: string; subject: string; cwd: string | null }, generation: string): string {
    const scope = createHash("sha256")
      .update(JSON.stringify([request.subject, request.cwd ?? ""]))
      .digest("base64url");
    return `${this.options.cachePrefix}:config:${request.tenant}:${generation}:${scope}`;
  }

  private async cacheGet(key: string): Promise<ResolvedConfig | undefined> {
    if (this.options.redis.status !== "ready") return undefined;
    try {
      const text = await this.options.redis.get(key);
      return text ? (JSON.parse(text) as ResolvedConfig) : undefined;
    } catch (error) {
      this.options.log.debug({ err: String(error) }, "config cache read failed; reading Postgres");
      return undefined;
    }
  }

  private async cacheSet(key: string, value: ResolvedConfig): Promise<void> {
    if (this.options.redis.status !== "ready") return;
    try {
      await this.options.redis.set(key, JSON.stringify(value), "PX", this.options.cacheTtlMs);
    } catch (error) {
      this.options.log.debug({ err: String(error) }, "config cache write failed");
    }
  }
}
