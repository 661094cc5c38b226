// The config service's Postgres storage (schema `config`, migrations/0001_config.sql), behind
// row-level security: layers, tenant documents (requirements, model catalog), session configs,
// thread config snapshots, lockfiles, the command ledger and the cache generation.
import { configLayerVersion } from "@switchyard/protocol";
import { isUniqueViolation, type TenantDb, type TenantQueryable } from "@switchyard/runtime";
import type { ConfigTable } from "../model/index.js";

export type StoredLayerKind = "system" | "enterpriseManaged" | "user" | "project" | "legacyManaged";
export type TenantDocumentKind = "requirements" | "modelCatalog";
export type SessionTarget = { kind: "thread"; threadId: string } | { kind: "cwd"; cwd: string };

export interface StoredLayer {
  kind: StoredLayerKind;
  scope: string;
  body: ConfigTable;
  version: string;
}

export interface StoredSessionConfig {
  body: ConfigTable;
  version: string;
}

export interface ThreadConfigRow {
  thread_id: string;
  subject: string;
  cwd: string;
  session_layer: ConfigTable | null;
  effective: ConfigTable;
  resolved: ConfigTable;
  client_version: string;
}

const targetColumns = (target: SessionTarget): [string, string] =>
  target.kind === "thread" ? ["thread", target.threadId] : ["cwd", target.cwd];

/** layersFor's statement: the tenant-wide layers (scope ''), the user's, the project layers named. */
export const LAYERS_FOR_SQL = ["'system'", "'enterpriseManaged'", "'legacyManaged'"]
  .map((kind) => `SELECT kind, scope, body, version FROM config.layers WHERE tenant = $1 AND kind = ${kind} AND scope = ''`)
  .concat([
    "SELECT kind, scope, body, version FROM config.layers WHERE tenant = $1 AND kind = 'user' AND scope = $2",
    "SELECT kind, scope, body, version FROM config.layers WHERE tenant = $1 AND kind = 'project' AND scope = ANY($3::text[])",
  ])
  .join("\nUNION ALL\n");

const THREAD_CONFIG_UPSERT = `ON CONFLICT (tenant, thread_id) DO UPDATE SET
   session_layer = EXCLUDED.session_layer, effective = EXCLUDED.effective, resolved = EXCLUDED.resolved,
   cwd = EXCLUDED.cwd, refreshed_at = now()`;

const WRITE_THREAD_CONFIG_SQL = `INSERT INTO config.thread_configs (tenant, thread_id, subject, cwd, session_layer, effective, resolved, client_version)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
 ${THREAD_CONFIG_UPSERT}`;

/**
 * The snapshot insert of a start resolved from remembered inputs, guarded by the generation they were
 * read at (migration 0004's function: the thread service stores reused snapshots with it too).
 */
const WRITE_THREAD_CONFIG_AT_GENERATION_SQL =
  "SELECT config.record_thread_config_at($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9::bigint) AS stored";

export class ConfigStore {
  /**
   * `announce` publishes a tenant's config change notice (config-changes.ts); applyOnce calls it once
   * its transaction has committed, before its result is returned. Without it (the operator CLI, the
   * tests' stores), the generation trigger's notification is relayed by the running config service.
   */
  constructor(
    private readonly db: TenantDb,
    private readonly announce: (tenant: string) => void = () => {},
  ) {}

  transaction<T>(tenant: string, work: (tx: TenantQueryable) => Promise<T>): Promise<T> {
    return this.db.transaction(tenant, work);
  }

  /**
   * Runs a write once per command id: a redelivered command, or a second ask of an unkeyed one
   * (`repeatable: "commandLedger"`), gets the stored result and `apply` is not run again. The
   * tenant's cache generation is bumped in the same transaction. Two runs of one command at once
   * (an ask that stalled past its hedge, and the second ask): the one whose ledger row commits
   * second is rolled back whole, its write with it, and answers what the first stored.
   */
  async applyOnce<T>(
    tenant: string,
    command: { commandId: string; method: string },
    apply: (tx: TenantQueryable) => Promise<T>,
  ): Promise<{ result: T; isReplay: boolean }> {
    const stored = async (tx: TenantQueryable) =>
      (
        await tx.query<{ result: T }>(
          "config ledger lookup",
          "SELECT result FROM config.applied_commands WHERE tenant = $1 AND command_id = $2",
          [tenant, command.commandId],
        )
      ).rows[0];
    let outcome: { result: T; isReplay: boolean };
    try {
      outcome = await this.db.transaction(tenant, async (tx) => {
        const prior = await stored(tx);
        if (prior) return { result: prior.result, isReplay: true };
        const result = await apply(tx);
        await tx.query(
          "config ledger insert",
          "INSERT INTO config.applied_commands (tenant, command_id, method, result) VALUES ($1, $2, $3, $4)",
          [tenant, command.commandId, command.method, JSON.stringify(result ?? null)],
        );
        await this.bumpGeneration(tx, tenant);
        return { result, isReplay: false };
      });
    } catch (error) {
      if (!isLedgerTaken(error)) throw error;
      const prior = await this.db.transaction(tenant, stored);
      if (!prior) throw error;
      outcome = { result: prior.result, isReplay: true };
    }
    // Announced for a replay too: the first delivery may have died between its commit and its notice.
    this.announce(tenant);
    return outcome;
  }

  async bumpGeneration(tx: TenantQueryable, tenant: string): Promise<void> {
    await tx.query(
      "bump config generation",
      `INSERT INTO config.generations (tenant, generation) VALUES ($1, 1)
       ON CONFLICT (tenant) DO UPDATE SET generation = config.generations.generation + 1`,
      [tenant],
    );
  }

  async generation(tenant: string): Promise<string> {
    const result = await this.db.query<{ generation: string }>(
      tenant,
      "config generation",
      "SELECT generation::text FROM config.generations WHERE tenant = $1",
      [tenant],
      { prepare: true },
    );
    return result.rows[0]?.generation ?? "0";
  }

  /**
   * Every layer body a config read for (subject, cwd) can use, in one round trip: the tenant-wide
   * layers, the user's layer, and the project layers at or above `cwd`. The tenant-wide and user
   * branches name their rows by the whole key, so a read costs the same however many users the
   * tenant has (one statement over the tenant with `OR`s could be planned as a read of all of the
   * tenant's layers, and a prepared statement keeps its plan). The project branch asks for a list of
   * paths; without table statistics a plan may read the tenant's project layers to find them.
   */
  async layersFor(tenant: string, subject: string, projectPaths: string[], tx?: TenantQueryable): Promise<StoredLayer[]> {
    const params = [tenant, subject, projectPaths];
    const result = tx
      ? await tx.query<StoredLayer>("config layers", LAYERS_FOR_SQL, params)
      : await this.db.query<StoredLayer>(tenant, "config layers", LAYERS_FOR_SQL, params, { prepare: true });
    return result.rows;
  }

  async readLayer(tx: TenantQueryable, tenant: string, kind: StoredLayerKind, scope: string): Promise<StoredLayer | undefined> {
    const result = await tx.query<StoredLayer>(
      "read config layer",
      "SELECT kind, scope, body, version FROM config.layers WHERE tenant = $1 AND kind = $2 AND scope = $3 FOR UPDATE",
      [tenant, kind, scope],
    );
    return result.rows[0];
  }

  async writeLayer(
    tx: TenantQueryable,
    tenant: string,
    kind: StoredLayerKind,
    scope: string,
    body: ConfigTable,
  ): Promise<string> {
    const version = configLayerVersion(body);
    await tx.query(
      "write config layer",
      `INSERT INTO config.layers (tenant, kind, scope, body, version) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, kind, scope) DO UPDATE SET body = EXCLUDED.body, version = EXCLUDED.version, updated_at = now()`,
      [tenant, kind, scope, JSON.stringify(body), version],
    );
    return version;
  }

  async readDocument(tenant: string, kind: TenantDocumentKind, tx?: TenantQueryable): Promise<ConfigTable | undefined> {
    const sql = "SELECT body FROM config.tenant_documents WHERE tenant = $1 AND kind = $2";
    const result = tx
      ? await tx.query<{ body: ConfigTable }>("tenant document", sql, [tenant, kind])
      : await this.db.query<{ body: ConfigTable }>(tenant, "tenant document", sql, [tenant, kind], { prepare: true });
    return result.rows[0]?.body;
  }

  async writeDocument(tx: TenantQueryable, tenant: string, kind: TenantDocumentKind, body: unknown): Promise<void> {
    await tx.query(
      "write tenant document",
      `INSERT INTO config.tenant_documents (tenant, kind, body) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, kind) DO UPDATE SET body = EXCLUDED.body, updated_at = now()`,
      [tenant, kind, JSON.stringify(body)],
    );
  }

  async readSessionConfig(tenant: string, target: SessionTarget, tx?: TenantQueryable): Promise<StoredSessionConfig | undefined> {
    const [kind, value] = targetColumns(target);
    const sql = "SELECT body, version FROM config.session_configs WHERE tenant = $1 AND target_kind = $2 AND target = $3";
    const result = tx
      ? await tx.query<StoredSessionConfig>("session config", sql, [tenant, kind, value])
      : await this.db.query<StoredSessionConfig>(tenant, "session config", sql, [tenant, kind, value], { prepare: true });
    return result.rows[0];
  }

  /** The session config for a thread: its own (by id), else its working directory's. */
  async sessionConfigFor(
    tenant: string,
    request: { threadId: string | null; cwd: string | null },
  ): Promise<StoredSessionConfig | undefined> {
    const result = await this.db.query<StoredSessionConfig & { target_kind: string }>(
      tenant,
      "session config for thread",
      // Two whole-key lookups (see layersFor): the thread's own first ('thread' sorts after 'cwd').
      `SELECT body, version, target_kind FROM (
         SELECT body, version, target_kind FROM config.session_configs WHERE tenant = $1 AND target_kind = 'thread' AND target = $2
         UNION ALL
         SELECT body, version, target_kind FROM config.session_configs WHERE tenant = $1 AND target_kind = 'cwd' AND target = $3
       ) AS found ORDER BY target_kind DESC LIMIT 1`,
      [tenant, request.threadId ?? "", request.cwd ?? ""],
      { prepare: true },
    );
    return result.rows[0];
  }

  async writeSessionConfig(tx: TenantQueryable, tenant: string, target: SessionTarget, body: ConfigTable): Promise<string> {
    const [kind, value] = targetColumns(target);
    const version = configLayerVersion(body);
    await tx.query(
      "write session config",
      `INSERT INTO config.session_configs (tenant, target_kind, target, body, version) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, target_kind, target) DO UPDATE SET body = EXCLUDED.body, version = EXCLUDED.version, updated_at = now()`,
      [tenant, kind, value, JSON.stringify(body), version],
    );
    return version;
  }

  async deleteSessionConfig(tx: TenantQueryable, tenant: string, target: SessionTarget): Promise<void> {
    const [kind, value] = targetColumns(target);
    await tx.query(
      "delete session config",
      "DELETE FROM config.session_configs WHERE tenant = $1 AND target_kind = $2 AND target = $3",
      [tenant, kind, value],
    );
  }

  async readThreadConfig(tenant: string, threadId: string): Promise<ThreadConfigRow | undefined> {
    const result = await this.db.query<ThreadConfigRow>(
      tenant,
      "thread config",
      `SELECT thread_id, subject, cwd, session_layer, effective, resolved, client_version
         FROM config.thread_configs WHERE tenant = $1 AND thread_id = $2`,
      [tenant, threadId],
      { prepare: true },
    );
    return result.rows[0];
  }

  /**
   * Stores a thread's config snapshot (replacing any). With `guard`, only while the tenant's config is
   * still at `guard.generation` and the thread has no session config of its own (the inputs the
   * snapshot was computed from in memory): false when that no longer holds and nothing was stored.
   */
  async writeThreadConfig(tenant: string, row: ThreadConfigRow, guard?: { generation: string }): Promise<boolean> {
    const values = [
      tenant,
      row.thread_id,
      row.subject,
      row.cwd,
      row.session_layer === null ? null : JSON.stringify(row.session_layer),
      JSON.stringify(row.effective),
      JSON.stringify(row.resolved),
      row.client_version,
    ];
    if (guard) {
      const result = await this.db.query<{ stored: boolean }>(
        tenant,
        "write thread config at generation",
        WRITE_THREAD_CONFIG_AT_GENERATION_SQL,
        [...values, guard.generation],
        { prepare: true },
      );
      return result.rows[0]?.stored === true;
    }
    const result = await this.db.query(tenant, "write thread config", WRITE_THREAD_CONFIG_SQL, values, { prepare: true });
    return result.rowCount === 1;
  }

  /** A fork's snapshot: its source's, as it is now (idempotent; false when the source has none). */
  async copyThreadConfig(tenant: string, sourceThreadId: string, threadId: string, subject: string): Promise<boolean> {
    const result = await this.db.query(
      tenant,
      "copy thread config",
      `INSERT INTO config.thread_configs (tenant, thread_id, subject, cwd, session_layer, effective, resolved, client_version)
       SELECT tenant, $3, $4, cwd, session_layer, effective, resolved, client_version
         FROM config.thread_configs WHERE tenant = $1 AND thread_id = $2
       ON CONFLICT (tenant, thread_id) DO NOTHING`,
      [tenant, sourceThreadId, threadId, subject],
    );
    return (result.rowCount ?? 0) > 0 || (await this.readThreadConfig(tenant, threadId)) !== undefined;
  }

  /** The user's threads whose config was most recently built, newest first. */
  async recentThreadConfigs(tenant: string, subject: string, limit: number): Promise<string[]> {
    const result = await this.db.query<{ thread_id: string }>(
      tenant,
      "recent thread configs",
      "SELECT thread_id FROM config.thread_configs WHERE tenant = $1 AND subject = $2 ORDER BY refreshed_at DESC LIMIT $3",
      [tenant, subject, limit],
    );
    return result.rows.map((row) => row.thread_id);
  }

  async readLockfile(tenant: string, path: string): Promise<string | undefined> {
    const result = await this.db.query<{ body: string }>(
      tenant,
      "read lockfile",
      "SELECT body FROM config.lockfiles WHERE tenant = $1 AND path = $2",
      [tenant, path],
    );
    return result.rows[0]?.body;
  }

  async writeLockfile(tx: TenantQueryable | undefined, tenant: string, path: string, body: string): Promise<void> {
    const sql = `INSERT INTO config.lockfiles (tenant, path, body) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant, path) DO UPDATE SET body = EXCLUDED.body, created_at = now()`;
    if (tx) await tx.query("write lockfile", sql, [tenant, path, body]);
    else await this.db.query(tenant, "write lockfile", sql, [tenant, path, body]);
  }

  // Key rotation (`switchyard secret rewrap`): the rows of a tenant holding sealed secrets.

  async layersForRewrap(tx: TenantQueryable, tenant: string): Promise<StoredLayer[]> {
    const result = await tx.query<StoredLayer>(
      "layers with secrets",
      "SELECT kind, scope, body, version FROM config.layers WHERE tenant = $1 AND body::text LIKE '%sy-secret:%' FOR UPDATE",
      [tenant],
    );
    return result.rows;
  }

  async sessionConfigsForRewrap(tx: TenantQueryable, tenant: string): Promise<{ target: SessionTarget; body: ConfigTable }[]> {
    const result = await tx.query<{ target_kind: string; target: string; body: ConfigTable }>(
      "session configs with secrets",
      `SELECT target_kind, target, body FROM config.session_configs
        WHERE tenant = $1 AND body::text LIKE '%sy-secret:%' FOR UPDATE`,
      [tenant],
    );
    return result.rows.map((row) => ({
      target: row.target_kind === "thread" ? { kind: "thread", threadId: row.target } : { kind: "cwd", cwd: row.target },
      body: row.body,
    }));
  }

  async threadConfigsForRewrap(
    tx: TenantQueryable,
    tenant: string,
  ): Promise<{ thread_id: string; session_layer: ConfigTable | null; effective: ConfigTable }[]> {
    const result = await tx.query<{ thread_id: string; session_layer: ConfigTable | null; effective: ConfigTable }>(
      "thread configs with secrets",
      `SELECT thread_id, session_layer, effective FROM config.thread_configs
        WHERE tenant = $1 AND (session_layer::text LIKE '%sy-secret:%' OR effective::text LIKE '%sy-secret:%') FOR UPDATE`,
      [tenant],
    );
    return result.rows;
  }

  async updateThreadConfigBodies(
    tx: TenantQueryable,
    tenant: string,
    threadId: string,
    bodies: { sessionLayer: ConfigTable | null; effective: ConfigTable },
  ): Promise<void> {
    await tx.query(
      "rewrap thread config",
      "UPDATE config.thread_configs SET session_layer = $3, effective = $4 WHERE tenant = $1 AND thread_id = $2",
      [
        tenant,
        threadId,
        bodies.sessionLayer === null ? null : JSON.stringify(bodies.sessionLayer),
        JSON.stringify(bodies.effective),
      ],
    );
  }

  async grpcEndpointPort(tenant: string): Promise<number | undefined> {
    const result = await this.db.query<{ port: number }>(
      tenant,
      "grpc endpoint",
      "SELECT port FROM config.grpc_endpoints WHERE tenant = $1",
      [tenant],
    );
    return result.rows[0]?.port;
  }
}

/** Another run of the same command committed its ledger row first (a unique violation on the row). */
const isLedgerTaken = (error: unknown): boolean => isUniqueViolation(error, "applied_commands_pkey");
