// Postgres storage of enrollments, pairing codes and paired clients (schema `remote_control`).
// Every query runs for one tenant through `TenantDb` (row-level security: the session's tenant) and
// names the tenant itself as well; secrets arrive already hashed. A machine's server token and server
// id come before its tenant is known: `tenantOfServer*` resolve them through the two narrow
// SECURITY DEFINER functions of migration 0002 (ARCHITECTURE.md, "Remote control").
import type { Pool, TenantDb } from "@switchyard/runtime";

export interface ServerRow {
  tenant: string;
  serverId: string;
  environmentId: string;
  installationId: string;
  name: string;
  os: string;
  arch: string;
  appServerVersion: string;
  enrolledAt: Date;
  tokenSha256: Buffer;
  tokenExpiresAt: Date;
  lastSeenAt: Date | null;
  lastEvent: string | null;
  lastEventAt: Date | null;
  lastError: string | null;
}

export interface Enrollment {
  serverId: string;
  environmentId: string;
}

export interface ClientDetails {
  displayName?: string | null;
  deviceType?: string | null;
  platform?: string | null;
  osVersion?: string | null;
  deviceModel?: string | null;
  appVersion?: string | null;
}

export interface ClientRow extends Required<ClientDetails> {
  clientId: string;
  subject: string;
  lastSeenAt: Date;
  /** `last_seen_at` in microseconds since the epoch: the keyset position (a Date keeps only ms). */
  lastSeenMicros: string;
  revokedAt: Date | null;
}

/** Where a page of clients starts: after this (last-seen microseconds, client id). */
export interface ClientsCursor {
  lastSeenMicros: string;
  clientId: string;
}

const serverColumns = `tenant, server_id, environment_id, installation_id, name, os, arch, app_server_version, enrolled_at,
  token_sha256, token_expires_at, last_seen_at, last_event, last_event_at, last_error`;

function toServer(row: Record<string, unknown>): ServerRow {
  return {
    tenant: row.tenant as string,
    serverId: row.server_id as string,
    environmentId: row.environment_id as string,
    installationId: row.installation_id as string,
    name: row.name as string,
    os: row.os as string,
    arch: row.arch as string,
    appServerVersion: row.app_server_version as string,
    enrolledAt: row.enrolled_at as Date,
    tokenSha256: row.token_sha256 as Buffer,
    tokenExpiresAt: row.token_expires_at as Date,
    lastSeenAt: row.last_seen_at as Date | null,
    lastEvent: row.last_event as string | null,
    lastEventAt: row.last_event_at as Date | null,
    lastError: row.last_error as string | null,
  };
}

function toClient(row: Record<string, unknown>): ClientRow {
  return {
    clientId: row.client_id as string,
    subject: row.subject as string,
    displayName: row.display_name as string | null,
    deviceType: row.device_type as string | null,
    platform: row.platform as string | null,
    osVersion: row.os_version as string | null,
    deviceModel: row.device_model as string | null,
    appVersion: row.app_version as string | null,
    lastSeenAt: row.last_seen_at as Date,
    lastSeenMicros: row.last_seen_micros as string,
    revokedAt: row.revoked_at as Date | null,
  };
}

export class PgRemoteControlStore {
  constructor(
    private readonly db: TenantDb,
    /** The service-role pool, used only for the tenant lookups that precede any tenant's query. */
    private readonly pool: Pool,
  ) {}

  /** The tenant of an enrollment, by the server id a machine presents; undefined when there is none. */
  async tenantOfServer(serverId: string): Promise<string | undefined> {
    const result = await this.pool.query<{ tenant: string | null }>("SELECT remote_control.tenant_of_server($1) AS tenant", [
      serverId,
    ]);
    return result.rows[0]?.tenant ?? undefined;
  }

  /** The tenant of the enrollment a server token (its SHA-256) belongs to; undefined when none. */
  async tenantOfServerToken(tokenSha256: Buffer): Promise<string | undefined> {
    const result = await this.pool.query<{ tenant: string | null }>(
      "SELECT remote_control.tenant_of_server_token($1) AS tenant",
      [tokenSha256],
    );
    return result.rows[0]?.tenant ?? undefined;
  }

  /**
   * Enrolls (tenant, installation id, name), or re-enrolls it with a new token: a machine that lost
   * its enrollment file gets its environment back instead of a second one.
   */
  async enroll(input: {
    tenant: string;
    subject: string;
    serverId: string;
    environmentId: string;
    installationId: string;
    name: string;
    os: string;
    arch: string;
    appServerVersion: string;
    tokenSha256: Buffer;
    tokenExpiresAt: Date;
  }): Promise<Enrollment> {
    const result = await this.db.query(
      input.tenant,
      "enroll",
      `INSERT INTO remote_control.servers (tenant, server_id, environment_id, installation_id, name, os, arch,
         app_server_version, enrolled_by, token_sha256, token_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (tenant, installation_id, name) DO UPDATE SET
         os = EXCLUDED.os, arch = EXCLUDED.arch, app_server_version = EXCLUDED.app_server_version,
         token_sha256 = EXCLUDED.token_sha256, token_expires_at = EXCLUDED.token_expires_at, last_error = NULL
       RETURNING server_id, environment_id`,
      [
        input.tenant,
        input.serverId,
        input.environmentId,
        input.installationId,
        input.name,
        input.os,
        input.arch,
        input.appServerVersion,
        input.subject,
        input.tokenSha256,
        input.tokenExpiresAt,
      ],
    );
    const row = result.rows[0] as { server_id: string; environment_id: string };
    return { serverId: row.server_id, environmentId: row.environment_id };
  }

  /** A new token for an existing enrollment of this tenant; undefined when there is none (re-enroll). */
  async refresh(input: {
    tenant: string;
    serverId: string;
    installationId: string;
    tokenSha256: Buffer;
    tokenExpiresAt: Date;
  }): Promise<Enrollment | undefined> {
    const result = await this.db.query(
      input.tenant,
      "refresh",
      `UPDATE remote_control.servers SET token_sha256 = $4, token_expires_at = $5, last_error = NULL
       WHERE tenant = $1 AND server_id = $2 AND installation_id = $3
       RETURNING server_id, environment_id`,
      [input.tenant, input.serverId, input.installationId, input.tokenSha256, input.tokenExpiresAt],
    );
    const row = result.rows[0] as { server_id: string; environment_id: string } | undefined;
    return row && { serverId: row.server_id, environmentId: row.environment_id };
  }

  /** The enrollment a machine names by its server id (its tenant looked up first). */
  async server(serverId: string): Promise<ServerRow | undefined> {
    const tenant = await this.tenantOfServer(serverId);
    if (tenant === undefined) return undefined;
    const result = await this.db.query(
      tenant,
      "server",
      `SELECT ${serverColumns} FROM remote_control.servers WHERE tenant = $1 AND server_id = $2`,
      [tenant, serverId],
    );
    return result.rows[0] && toServer(result.rows[0]);
  }

  /** The enrollment a server token belongs to (its tenant looked up first). */
  async serverByToken(tokenSha256: Buffer): Promise<ServerRow | undefined> {
    const tenant = await this.tenantOfServerToken(tokenSha256);
    if (tenant === undefined) return undefined;
    const result = await this.db.query(
      tenant,
      "server by token",
      `SELECT ${serverColumns} FROM remote_control.servers WHERE tenant = $1 AND token_sha256 = $2`,
      [tenant, tokenSha256],
    );
    return result.rows[0] && toServer(result.rows[0]);
  }

  async environment(tenant: string, environmentId: string): Promise<ServerRow | undefined> {
    const result = await this.db.query(
      tenant,
      "environment",
      `SELECT ${serverColumns} FROM remote_control.servers WHERE tenant = $1 AND environment_id = $2`,
      [tenant, environmentId],
    );
    return result.rows[0] && toServer(result.rows[0]);
  }

  async environments(tenant: string): Promise<ServerRow[]> {
    const result = await this.db.query(
      tenant,
      "environments",
      `SELECT ${serverColumns} FROM remote_control.servers WHERE tenant = $1 ORDER BY enrolled_at, server_id`,
      [tenant],
    );
    return result.rows.map(toServer);
  }

  /** Records a connection event: `connected`, `disconnected`, or `refused` with its reason. */
  async recordEvent(
    tenant: string,
    serverId: string,
    event: "connected" | "disconnected" | "refused",
    error?: string,
  ): Promise<void> {
    await this.db.query(
      tenant,
      "record event",
      `UPDATE remote_control.servers SET last_event = $3, last_event_at = now(),
         last_seen_at = CASE WHEN $3 = 'refused' THEN last_seen_at ELSE now() END,
         last_error = CASE WHEN $3 = 'refused' THEN $4 WHEN $3 = 'connected' THEN NULL ELSE last_error END
       WHERE tenant = $1 AND server_id = $2`,
      [tenant, serverId, event, error ?? null],
    );
  }

  async touch(tenant: string, serverIds: string[]): Promise<void> {
    if (serverIds.length === 0) return;
    await this.db.query(
      tenant,
      "touch servers",
      "UPDATE remote_control.servers SET last_seen_at = now() WHERE tenant = $1 AND server_id = ANY($2)",
      [tenant, serverIds],
    );
  }

  async createPairingCode(input: {
    tenant: string;
    serverId: string;
    codeSha256: Buffer;
    manualCodeSha256: Buffer | null;
    expiresAt: Date;
  }): Promise<void> {
    await this.db.query(
      input.tenant,
      "create pairing code",
      `INSERT INTO remote_control.pairing_codes (code_sha256, manual_code_sha256, tenant, server_id, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [input.codeSha256, input.manualCodeSha256, input.tenant, input.serverId, input.expiresAt],
    );
  }

  /** Whether a code this server created was claimed; undefined when it is not one of its codes. */
  async pairingClaimed(
    tenant: string,
    serverId: string,
    code: { codeSha256?: Buffer; manualCodeSha256?: Buffer },
  ): Promise<boolean | undefined> {
    const result = await this.db.query(
      tenant,
      "pairing claimed",
      `SELECT claimed_at IS NOT NULL AS claimed FROM remote_control.pairing_codes
       WHERE tenant = $1 AND server_id = $2 AND (code_sha256 = $3 OR manual_code_sha256 = $4)`,
      [tenant, serverId, code.codeSha256 ?? null, code.manualCodeSha256 ?? null],
    );
    return (result.rows[0] as { claimed: boolean } | undefined)?.claimed;
  }

  /** Whether this command (`commandId`, the same for every ask of one request) claimed this code already. */
  async claimedByCommand(
    tenant: string,
    commandId: string,
    code: { codeSha256?: Buffer; manualCodeSha256?: Buffer },
  ): Promise<boolean> {
    const result = await this.db.query(
      tenant,
      "pairing claimed by command",
      `SELECT 1 FROM remote_control.pairing_codes
       WHERE tenant = $1 AND (code_sha256 = $2 OR manual_code_sha256 = $3) AND claimed_command = $4`,
      [tenant, code.codeSha256 ?? null, code.manualCodeSha256 ?? null, commandId],
    );
    return result.rows.length > 0;
  }

  /**
   * Claims an unexpired, unclaimed code of this tenant for `subject` (single use: one conditional
   * UPDATE) and records the client. Undefined when no such code exists. A code this command claimed
   * already (a second ask of one claim) is claimed again: same client record, same answer.
   */
  async claimPairingCode(input: {
    tenant: string;
    subject: string;
    clientId: string;
    commandId: string;
    code: { codeSha256?: Buffer; manualCodeSha256?: Buffer };
    details: ClientDetails;
  }): Promise<{ environmentId: string } | undefined> {
    const d = input.details;
    const result = await this.db.query(
      input.tenant,
      "claim pairing code",
      `WITH claimed AS (
         UPDATE remote_control.pairing_codes
         SET claimed_at = coalesce(claimed_at, now()), claimed_by = $2, claimed_command = $12
         WHERE tenant = $1 AND (code_sha256 = $4 OR manual_code_sha256 = $5)
           AND ((claimed_at IS NULL AND expires_at > now()) OR (claimed_command = $12 AND claimed_by = $2))
         RETURNING server_id
       ), server AS (
         SELECT s.environment_id FROM remote_control.servers s JOIN claimed c ON c.server_id = s.server_id
         WHERE s.tenant = $1
       ), client AS (
         INSERT INTO remote_control.clients (tenant, environment_id, client_id, subject, display_name, device_type,
           platform, os_version, device_model, app_version)
         SELECT $1, environment_id, $3, $2, $6, $7, $8, $9, $10, $11 FROM server
         ON CONFLICT (environment_id, client_id) DO UPDATE SET revoked_at = NULL, last_seen_at = now(),
           display_name = EXCLUDED.display_name, device_type = EXCLUDED.device_type, platform = EXCLUDED.platform,
           os_version = EXCLUDED.os_version, device_model = EXCLUDED.device_model, app_version = EXCLUDED.app_version
         RETURNING environment_id
       )
       SELECT environment_id FROM client`,
      [
        input.tenant,
        input.subject,
        input.clientId,
        input.code.codeSha256 ?? null,
        input.code.manualCodeSha256 ?? null,
        d.displayName ?? null,
        d.deviceType ?? null,
        d.platform ?? null,
        d.osVersion ?? null,
        d.deviceModel ?? null,
        d.appVersion ?? null,
        input.commandId,
      ],
    );
    const row = result.rows[0] as { environment_id: string } | undefined;
    return row && { environmentId: row.environment_id };
  }

  /** A relayed session opened: the client's record is created or its last-seen time moves. */
  async touchClient(input: { tenant: string; environmentId: string; clientId: string; subject: string }): Promise<void> {
    await this.db.query(
      input.tenant,
      "touch client",
      `INSERT INTO remote_control.clients (tenant, environment_id, client_id, subject) VALUES ($1, $2, $3, $4)
       ON CONFLICT (environment_id, client_id) DO UPDATE SET last_seen_at = now()`,
      [input.tenant, input.environmentId, input.clientId, input.subject],
    );
  }

  async isRevoked(tenant: string, environmentId: string, clientId: string): Promise<boolean> {
    const result = await this.db.query(
      tenant,
      "client revoked",
      `SELECT 1 FROM remote_control.clients
       WHERE tenant = $1 AND environment_id = $2 AND client_id = $3 AND revoked_at IS NOT NULL`,
      [tenant, environmentId, clientId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Keyset-paginated by (last_seen_at, client_id), at the microsecond Postgres stores. */
  async clients(input: {
    tenant: string;
    environmentId: string;
    limit: number;
    order: "asc" | "desc";
    after?: ClientsCursor;
  }): Promise<ClientRow[]> {
    const comparison = input.order === "asc" ? ">" : "<";
    const result = await this.db.query(
      input.tenant,
      "clients",
      `SELECT *, (extract(epoch FROM last_seen_at) * 1000000)::bigint::text AS last_seen_micros
       FROM remote_control.clients
       WHERE tenant = $1 AND environment_id = $2 AND revoked_at IS NULL
         AND ($3::bigint IS NULL
           OR (last_seen_at, client_id) ${comparison} (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4))
       ORDER BY last_seen_at ${input.order}, client_id ${input.order} LIMIT $5`,
      [input.tenant, input.environmentId, input.after?.lastSeenMicros ?? null, input.after?.clientId ?? null, input.limit],
    );
    return result.rows.map(toClient);
  }

  async revokeClient(tenant: string, environmentId: string, clientId: string): Promise<boolean> {
    const result = await this.db.query(
      tenant,
      "revoke client",
      `UPDATE remote_control.clients SET revoked_at = now()
       WHERE tenant = $1 AND environment_id = $2 AND client_id = $3 AND revoked_at IS NULL`,
      [tenant, environmentId, clientId],
    );
    return (result.rowCount ?? 0) > 0;
  }
}
