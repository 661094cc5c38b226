// Operator access to a tenant's config without going through a client session: what
// `switchyard config import|export`, `config lock export|replay` and `thread-config-endpoint` do.
// It uses the service's own store and resolver (same validation, same cache generation), as the
// database's login role.
import { configLayerVersion } from "@switchyard/protocol";
import { createLogger, createPool, createRedis, ensureDatabase, loadMigrations, migrate, TenantDb } from "@switchyard/runtime";
import { assignEndpointPort, endpointUrl } from "./endpoints.js";
import { parseModelCatalog } from "./handlers/model-catalog.js";
import { ThreadConfigs } from "./handlers/thread-configs.js";
import { configMigrationsDirectory } from "./migrations.js";
import {
  type ConfigTable,
  ConfigWriteError,
  compareLockfiles,
  configToToml,
  parseConfigToml,
  parseLockfile,
  parseRequirements,
  validateConfig,
} from "./model/index.js";
import { ConfigResolver } from "./resolver.js";
import { ConfigStore, type StoredLayerKind } from "./store/config-store.js";

/** What `config import --layer` accepts, and where each goes. */
export const IMPORT_TARGETS = [
  "system",
  "enterprise-managed",
  "user",
  "project",
  "legacy-managed",
  "requirements",
  "model-catalog",
] as const;
export type ImportTarget = (typeof IMPORT_TARGETS)[number];

const layerKinds: Partial<Record<ImportTarget, StoredLayerKind>> = {
  system: "system",
  "enterprise-managed": "enterpriseManaged",
  user: "user",
  project: "project",
  "legacy-managed": "legacyManaged",
};

export class ConfigAdminError extends Error {}

export interface ConfigAdmin {
  importDocument(input: {
    tenant: string;
    target: ImportTarget;
    text: string;
    subject?: string;
    project?: string;
  }): Promise<string>;
  exportEffective(input: { tenant: string; subject: string; cwd: string | null }): Promise<string>;
  exportLock(input: { tenant: string; threadId: string }): Promise<{ path: string; lockfile: string }>;
  replayLock(input: {
    tenant: string;
    subject: string;
    cwd: string | null;
    text: string;
    saveAs: string;
    codexVersion: string;
  }): Promise<{ matches: boolean; diff: string; path: string }>;
  endpointFor(tenant: string): Promise<string>;
  close(): Promise<void>;
}

export async function openConfigAdmin(options: {
  databaseUrl: string;
  redisUrl: string;
  busPrefix: string;
  deploymentDefault: { model: string; modelProvider: string };
  grpc: { portBase: number; publicHost: string };
}): Promise<ConfigAdmin> {
  const log = createLogger({ service: "config-admin", instanceId: "cli", level: "silent" });
  await ensureDatabase(options.databaseUrl);
  const pool = createPool({ url: options.databaseUrl, applicationName: "switchyard-config-admin", max: 2, log });
  await migrate(pool, { schema: "config", migrations: loadMigrations(configMigrationsDirectory), log });
  const redis = createRedis({ url: options.redisUrl, log, name: "config-admin" });
  const store = new ConfigStore(new TenantDb(pool));
  const resolver = new ConfigResolver({
    store,
    redis,
    cachePrefix: options.busPrefix,
    cacheTtlMs: 60_000,
    packagedDefaults: { model: options.deploymentDefault.model, model_provider: options.deploymentDefault.modelProvider },
    log,
  });
  const threads = new ThreadConfigs({ store, resolver, upstreamTimeoutMs: 5_000, log });

  const parseToml = (text: string): ConfigTable => {
    try {
      return parseConfigToml(text);
    } catch (error) {
      throw new ConfigAdminError(`not valid TOML: ${(error as Error).message}`);
    }
  };

  return {
    async importDocument({ tenant, target, text, subject, project }) {
      const kind = layerKinds[target];
      if (kind) {
        const body = parseToml(text);
        try {
          validateConfig(body);
        } catch (error) {
          if (error instanceof ConfigWriteError) throw new ConfigAdminError(`${error.code}: ${error.message}`);
          throw error;
        }
        const scope = kind === "user" ? subject : kind === "project" ? project : "";
        if (scope === undefined)
          throw new ConfigAdminError(`--layer ${target} needs --${kind === "user" ? "subject" : "project"}`);
        if (kind === "project" && !scope.startsWith("/")) throw new ConfigAdminError("--project must be an absolute path");
        const version = await store.transaction(tenant, async (tx) => {
          const written = await store.writeLayer(tx, tenant, kind, scope, body);
          await store.bumpGeneration(tx, tenant);
          return written;
        });
        return `imported ${Object.keys(body).length} top-level keys into the ${target} layer of tenant ${tenant} (${version})`;
      }
      if (target === "requirements") {
        const body = parseToml(text);
        try {
          parseRequirements(body);
        } catch (error) {
          throw new ConfigAdminError(`invalid requirements: ${(error as Error).message}`);
        }
        await store.transaction(tenant, async (tx) => {
          await store.writeDocument(tx, tenant, "requirements", body);
          await store.bumpGeneration(tx, tenant);
        });
        return `imported requirements of tenant ${tenant} (${configLayerVersion(body)})`;
      }
      let catalog: unknown;
      try {
        catalog = parseModelCatalog(JSON.parse(text));
      } catch (error) {
        throw new ConfigAdminError(`invalid model catalog (JSON): ${(error as Error).message}`);
      }
      await store.transaction(tenant, async (tx) => {
        await store.writeDocument(tx, tenant, "modelCatalog", catalog);
        await store.bumpGeneration(tx, tenant);
      });
      return `imported ${(catalog as unknown[]).length} models into the catalog of tenant ${tenant}`;
    },

    async exportEffective({ tenant, subject, cwd }) {
      const resolved = await resolver.resolve({ tenant, subject, cwd });
      return configToToml(resolved.effective.config);
    },

    exportLock: ({ tenant, threadId }) => threads.exportLockfile({ tenant, subject: "" }, threadId),

    async replayLock({ tenant, subject, cwd, text, saveAs, codexVersion }) {
      let expected: ReturnType<typeof parseLockfile>;
      try {
        expected = parseLockfile(text);
      } catch (error) {
        throw new ConfigAdminError(`invalid lockfile: ${(error as Error).message}`);
      }
      const actual = await threads.lockfileForNewThread({ tenant, subject }, cwd ?? "/", codexVersion);
      const comparison = compareLockfiles(expected, actual, { allowCodexVersionMismatch: true });
      await store.writeLockfile(undefined, tenant, saveAs, text);
      return { ...comparison, path: saveAs };
    },

    async endpointFor(tenant) {
      const port = await assignEndpointPort(pool, tenant, options.grpc.portBase);
      return endpointUrl(options.grpc.publicHost, port);
    },

    async close() {
      redis.disconnect();
      await pool.end();
    },
  };
}
