// Tenant secrets in Postgres (config.tenant_secrets, migrations/0002_tenant_secrets.sql), behind
// row-level security: sealed here before they are written, listed without values, and opened only
// for internal/config/modelProvider. Each value is bound to its tenant and name (the AAD), so a row
// copied to another tenant or renamed does not open.
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";
import { type SecretBox, SecretBoxError } from "../secrets/secret-box.js";

/** A secret's name, spelled like an environment variable (what `env_key` names). */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface SecretEntry {
  name: string;
  /** RFC 3339. */
  updatedAt: string;
}

export const tenantSecretContext = (tenant: string, name: string) => `tenant-secret\0${tenant}\0${name}`;

export class TenantSecretStore {
  constructor(
    private readonly db: TenantDb,
    private readonly box: SecretBox,
  ) {}

  async set(tx: TenantQueryable, tenant: string, name: string, value: string, updatedBy: string): Promise<SecretEntry> {
    const sealed = this.box.seal(value, tenantSecretContext(tenant, name));
    const result = await tx.query<{ updated_at: Date }>(
      "set tenant secret",
      `INSERT INTO config.tenant_secrets (tenant, name, ciphertext, key_id, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, name) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, key_id = EXCLUDED.key_id,
         updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING updated_at`,
      [tenant, name, sealed, this.box.currentKeyId, updatedBy],
    );
    return { name, updatedAt: (result.rows[0]?.updated_at ?? new Date()).toISOString() };
  }

  async delete(tx: TenantQueryable, tenant: string, name: string): Promise<boolean> {
    const result = await tx.query("delete tenant secret", "DELETE FROM config.tenant_secrets WHERE tenant = $1 AND name = $2", [
      tenant,
      name,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /** The tenant's secrets by name, without values. */
  async list(tenant: string): Promise<SecretEntry[]> {
    const result = await this.db.query<{ name: string; updated_at: Date }>(
      tenant,
      "list tenant secrets",
      "SELECT name, updated_at FROM config.tenant_secrets WHERE tenant = $1 ORDER BY name",
      [tenant],
    );
    return result.rows.map((row) => ({ name: row.name, updatedAt: row.updated_at.toISOString() }));
  }

  /** The plaintext of the named secrets the tenant has (absent names are left out). Throws SecretBoxError for a value that does not open. */
  async values(tenant: string, names: readonly string[]): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    if (names.length === 0) return values;
    const result = await this.db.query<{ name: string; ciphertext: string }>(
      tenant,
      "read tenant secrets",
      "SELECT name, ciphertext FROM config.tenant_secrets WHERE tenant = $1 AND name = ANY($2::text[])",
      [tenant, [...new Set(names)]],
    );
    for (const row of result.rows) {
      try {
        values.set(row.name, this.box.open(row.ciphertext, tenantSecretContext(tenant, row.name)));
      } catch (error) {
        if (error instanceof SecretBoxError) throw new SecretBoxError(`tenant secret \`${row.name}\`: ${error.message}`);
        throw error;
      }
    }
    return values;
  }

  /**
   * Re-seals the tenant's secrets still sealed with an older key. Values no configured key opens
   * (a lost key, a tampered row) are left as they are and counted.
   */
  async rewrap(tx: TenantQueryable, tenant: string): Promise<{ rewrapped: number; unreadable: number }> {
    const stale = await tx.query<{ name: string; ciphertext: string }>(
      "stale tenant secrets",
      "SELECT name, ciphertext FROM config.tenant_secrets WHERE tenant = $1 AND key_id <> $2 FOR UPDATE",
      [tenant, this.box.currentKeyId],
    );
    let rewrapped = 0;
    for (const row of stale.rows) {
      const context = tenantSecretContext(tenant, row.name);
      let plaintext: string;
      try {
        plaintext = this.box.open(row.ciphertext, context);
      } catch (error) {
        if (error instanceof SecretBoxError) continue;
        throw error;
      }
      await tx.query(
        "rewrap tenant secret",
        "UPDATE config.tenant_secrets SET ciphertext = $3, key_id = $4 WHERE tenant = $1 AND name = $2",
        [tenant, row.name, this.box.seal(plaintext, context), this.box.currentKeyId],
      );
      rewrapped++;
    }
    return { rewrapped, unreadable: stale.rows.length - rewrapped };
  }
}
