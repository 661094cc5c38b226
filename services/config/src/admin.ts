// Operator access to a tenant's config without going through a client session: what
// `switchyard config import|export`, `config lock export|replay`, `secret set|list|delete|rewrap` and
// `thread-config-endpoint` do. It uses the service's own store, resolver and secrets key ring (same
// validation, same sealing, same cache generation), as the database's login role.
import { configLayerVersion, SwitchyardError, TENANT_SECRET_NAME_PATTERN } from "@switchyard/protocol";
import {
  createLogger,
  createPool,
  createRedis,
  egressPolicy,
  ensureDatabase,
  loadMigrations,
  migrate,
  TenantDb,
} from "@switchyard/runtime";
import { assignEndpointPort, endpointUrl } from "./endpoints.js";
import { type ConfigAdminEnv, loadConfigAdminEnv } from "./env.js";
import { ModelCatalog, parseModelCatalog } from "./handlers/model-catalog.js";
import { checkSecretValue } from "./handlers/secret-handlers.js";
import { redactLockfileText, ThreadConfigs } from "./handlers/thread-configs.js";
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
import { ConfigResolver, packagedDefaultsLayer } from "./resolver.js";
import { ConfigSecrets, redactSecrets, SecretValueError } from "./secrets/config-secrets.js";
import { secretBoxFromEnv } from "./secrets/keys.js";
import { ConfigStore, type StoredLayerKind } from "./store/config-store.js";
import { type SecretEntry, TenantSecretStore } from "./store/secret-store.js";

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
  /** Sets a tenant secret (sealed before it is stored); `updatedBy` is recorded for audits. */
  setSecret(input: { tenant: string; name: string; value: string; updatedBy: string }): Promise<SecretEntry>;
  /** False when the tenant had no secret of that name. */
  deleteSecret(input: { tenant: string; name: string }): Promise<boolean>;
  listSecrets(tenant: string): Promise<SecretEntry[]>;
  /**
   * After a key rotation: seals again, with the current key, every value an older key sealed (tenant
   * secrets and the secrets inside config layers, session configs, thread snapshots and requirements).
   */
  rewrapSecrets(): Promise<{ tenantSecrets: number; configSecrets: number; unreadable: number }>;
  close(): Promise<void>;
}

export async function openConfigAdmin(options: {
  databaseUrl: string;
  redisUrl: string;
  busPrefix: string;
  deploymentDefault: { model: string; modelProvider: string };
  grpc: { portBase: number; publicHost: string };
  /** The secrets keys and packaged default providers; parsed from the process environment when absent. */
  env?: ConfigAdminEnv;
  /** Where the development-key warning goes (stderr by default). */
  warn?: (message: string) => void;
}): Promise<ConfigAdmin> {
  const adminEnv = options.env ?? loadConfigAdminEnv();
  const box = secretBoxFromEnv(adminEnv, options.warn ?? ((message) => process.stderr.write(`warning: ${message}\n`)));
  const configSecrets = new ConfigSecrets(box);
  const log = createLogger({ service: "config-admin", instanceId: "cli", level: "silent" });
  await ensureDatabase(options.databaseUrl);
  const pool = createPool({ url: options.databaseUrl, applicationName: "switchyard-config-admin", max: 2, log });
  await migrate(pool, { schema: "config", migrations: loadMigrations(configMigrationsDirectory), log });
  const redis = createRedis({ url: options.redisUrl, log, name: "config-admin" });
  const db = new TenantDb(pool);
  const store = new ConfigStore(db);
  const secrets = new TenantSecretStore(db, box);
  const resolver = new ConfigResolver({
    store,
    redis,
    cachePrefix: options.busPrefix,
    cacheTtlMs: 60_000,
    packagedDefaults: packagedDefaultsLayer(options.deploymentDefault, adminEnv.CONFIG_DEFAULT_MODEL_PROVIDERS),
    log,
  });
  const threads = new ThreadConfigs({
    store,
    resolver,
    configSecrets,
    upstreamTimeoutMs: 5_000,
    egress: egressPolicy(adminEnv.SWITCHYARD_EGRESS_DENY, adminEnv.SWITCHYARD_EGRESS_ALLOW),
    catalog: new ModelCatalog(store, options.deploymentDefault, adminEnv.CONFIG_DEFAULT_MODEL_SERVICE_TIERS),
    log,
  });

  const sealFor = (tenant: string, body: ConfigTable, stored: ConfigTable | undefined): ConfigTable => {
    try {
      return configSecrets.seal(tenant, body, stored);
    } catch (error) {
      if (error instanceof SecretValueError) throw new ConfigAdminError(error.message);
      throw error;
    }
  };
  const checkSecretName = (name: string) => {
    if (!TENANT_SECRET_NAME_PATTERN.test(name)) {
      throw new ConfigAdminError(
        `invalid secret name ${JSON.stringify(name)}: 1 to 128 ASCII letters, digits and underscores, not starting with a digit`,
      );
    }
  };

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
          // Secrets are sealed; `********` (what an export shows) keeps the value stored at its path.
          const stored = await store.readLayer(tx, tenant, kind, scope);
          const written = await store.writeLayer(tx, tenant, kind, scope, sealFor(tenant, body, stored?.body));
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
          const stored = await store.readDocument(tenant, "requirements", tx);
          await store.writeDocument(tx, tenant, "requirements", sealFor(tenant, body, stored));
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
      return configToToml(redactSecrets(resolved.effective.config));
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
      const comparison = compareLockfiles({ ...expected, config: redactSecrets(expected.config) }, actual, {
        allowCodexVersionMismatch: true,
      });
      await store.writeLockfile(undefined, tenant, saveAs, redactLockfileText(text));
      return { ...comparison, path: saveAs };
    },

    async endpointFor(tenant) {
      const port = await assignEndpointPort(pool, tenant, options.grpc.portBase);
      return endpointUrl(options.grpc.publicHost, port);
    },

    async setSecret({ tenant, name, value, updatedBy }) {
      checkSecretName(name);
      try {
        checkSecretValue(value);
      } catch (error) {
        if (error instanceof SwitchyardError) throw new ConfigAdminError(error.message);
        throw error;
      }
      return store.transaction(tenant, (tx) => secrets.set(tx, tenant, name, value, updatedBy));
    },

    async deleteSecret({ tenant, name }) {
      checkSecretName(name);
      return store.transaction(tenant, (tx) => secrets.delete(tx, tenant, name));
    },

    listSecrets: (tenant) => secrets.list(tenant),

    async rewrapSecrets() {
      // Every tenant with something sealed (the login role reads across tenants; each rewrite runs as its tenant).
      const tenants = await pool.query<{ tenant: string }>(
        `SELECT tenant FROM config.tenant_secrets UNION SELECT tenant FROM config.layers
         UNION SELECT tenant FROM config.session_configs UNION SELECT tenant FROM config.thread_configs
         UNION SELECT tenant FROM config.tenant_documents`,
      );
      let tenantSecrets = 0;
      let configSecretCount = 0;
      let unreadable = 0;
      for (const { tenant } of tenants.rows) {
        await store.transaction(tenant, async (tx) => {
          const secretCounts = await secrets.rewrap(tx, tenant);
          tenantSecrets += secretCounts.rewrapped;
          unreadable += secretCounts.unreadable;
          const rewrap = (table: ConfigTable | null) => {
            if (!table) return null;
            const outcome = configSecrets.rewrap(tenant, table);
            configSecretCount += outcome.count;
            unreadable += outcome.unreadable;
            return outcome.count > 0 ? outcome.table : null;
          };
          let changed = false;
          for (const layer of await store.layersForRewrap(tx, tenant)) {
            const body = rewrap(layer.body);
            if (!body) continue;
            await store.writeLayer(tx, tenant, layer.kind, layer.scope, body);
            changed = true;
          }
          for (const session of await store.sessionConfigsForRewrap(tx, tenant)) {
            const body = rewrap(session.body);
            if (!body) continue;
            await store.writeSessionConfig(tx, tenant, session.target, body);
            changed = true;
          }
          const requirements = await store.readDocument(tenant, "requirements", tx);
          const requirementsBody = rewrap(requirements ?? null);
          if (requirementsBody) {
            await store.writeDocument(tx, tenant, "requirements", requirementsBody);
            changed = true;
          }
          for (const snapshot of await store.threadConfigsForRewrap(tx, tenant)) {
            const sessionLayer = rewrap(snapshot.session_layer);
            const effective = rewrap(snapshot.effective);
            if (sessionLayer || effective) {
              await store.updateThreadConfigBodies(tx, tenant, snapshot.thread_id, {
                sessionLayer: sessionLayer ?? snapshot.session_layer,
                effective: effective ?? snapshot.effective,
              });
            }
          }
          if (changed) await store.bumpGeneration(tx, tenant);
        });
      }
      return { tenantSecrets, configSecrets: configSecretCount, unreadable };
    },

    async close() {
      redis.disconnect();
      await pool.end();
    },
  };
}
