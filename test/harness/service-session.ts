// A Postgres session as a service holds one: the `switchyard_service` role (row-level security
// applies) with the tenant set on the session, as TenantDb sets it. Suites use it to check the
// policies and what the services' own statements read.
import pg from "pg";

/** A new connection as the service role, with `tenant` on the session (undefined: no tenant); close it with `end()`. */
export async function serviceSession(
  databaseUrl: string,
  tenant: string | undefined,
  options: { isGenericPlan?: boolean } = {},
): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("SET ROLE switchyard_service");
  if (tenant !== undefined) await client.query("SELECT set_config('switchyard.tenant', $1, false)", [tenant]);
  // A named statement's generic plan from its first run, as a pooled connection keeps one.
  if (options.isGenericPlan) await client.query("SET plan_cache_mode = force_generic_plan");
  return client;
}

/** The rows scans of `schema.table` have read so far in the session's open transaction. */
export async function rowsReadInTransaction(
  client: pg.Client,
  schema: string,
  table: string,
): Promise<{ scanned: number; fetchedByIndex: number }> {
  const { rows } = await client.query<{ seq_tup_read: string; idx_tup_fetch: string }>(
    "SELECT seq_tup_read, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE schemaname = $1 AND relname = $2",
    [schema, table],
  );
  return { scanned: Number(rows[0]?.seq_tup_read ?? 0), fetchedByIndex: Number(rows[0]?.idx_tup_fetch ?? 0) };
}
