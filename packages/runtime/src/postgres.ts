// Postgres pools and versioned migrations. Migrations are applied at start-up by whichever instance
// takes the advisory lock first; the others wait on it and then find nothing left to do.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { Logger } from "./logger.js";

export type Pool = pg.Pool;

export function createPool(options: {
  url: string;
  applicationName: string;
  max?: number;
  log: Logger;
  /** The role every session runs as (a startup option): services query as a role row-level security applies to. */
  role?: string;
}): pg.Pool {
  const role = options.role;
  if (role !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(role)) throw new Error(`invalid Postgres role name: ${role}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    // The session starts as the role (a startup option, not a query racing the first one); a role
    // that does not exist fails the connection rather than leave it as the login role.
    options: role ? `-c role=${role}` : undefined,
    application_name: options.applicationName,
    max: options.max ?? 16,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle connection that dies (Postgres restarting, a failover) is dropped by the pool; without a
  // listener the 'error' event would crash the process instead.
  pool.on("error", (error) => options.log.warn({ err: error.message }, "idle postgres connection lost; the pool replaces it"));
  // A connection checked out but between queries (inside a transaction awaiting something else)
  // emits 'error' on the client itself when it dies: the holder's next query fails and the
  // connection is discarded on release. Without this listener that event would crash the process.
  pool.on("connect", (client) => {
    client.on("error", (error) =>
      options.log.warn({ err: error.message }, "postgres connection lost while checked out; its holder's query fails"),
    );
  });
  return pool;
}

/** A row the named unique constraint already holds was written again (23505, unique_violation). */
export const isUniqueViolation = (error: unknown, constraint: string): boolean =>
  (error as { code?: string } | null)?.code === "23505" && (error as { constraint?: string }).constraint === constraint;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `NNNN_name.sql` files, ordered by their number. */
export function loadMigrations(directory: string): Migration[] {
  return readdirSync(directory)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(join(directory, file), "utf8"),
    }));
}

export async function migrate(
  pool: pg.Pool,
  options: { schema: string; migrations: Migration[]; log: Logger },
): Promise<{ applied: number[] }> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [`switchyard-migrate:${options.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${options.schema}.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await client.query<{ version: number }>(`SELECT version FROM ${options.schema}.schema_migrations`);
    const doneVersions = new Set(done.rows.map((row) => row.version));
    for (const migration of options.migrations) {
      if (doneVersions.has(migration.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${options.schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${options.schema}/${migration.version}_${migration.name} failed: ${String(error)}`);
      }
      applied.push(migration.version);
      options.log.info({ schema: options.schema, migration: `${migration.version}_${migration.name}` }, "applied migration");
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`switchyard-migrate:${options.schema}`]).catch(() => {});
    client.release();
  }
  return { applied };
}

/** Creates the database named in `url` if the server does not have it yet (used by the dev launcher and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!database) return;
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== "42P04") throw error; // created concurrently
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Checks that the pool's connections run as a role row-level security applies to (not a superuser,
 * no BYPASSRLS); services refuse to start otherwise.
 */
export async function assertRowLevelSecurityApplies(pool: pg.Pool): Promise<void> {
  const result = await pool.query<{ role: string; bypasses: boolean }>(
    "SELECT current_user AS role, (rolsuper OR rolbypassrls) AS bypasses FROM pg_roles WHERE rolname = current_user",
  );
  const row = result.rows[0];
  if (!row || row.bypasses) {
    throw new Error(
      `Postgres role ${row?.role ?? "?"} bypasses row-level security; connect as (or SET ROLE to) a role without SUPERUSER and BYPASSRLS`,
    );
  }
}
