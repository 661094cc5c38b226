// Tenant-scoped Postgres access: the second wall behind every query's own `tenant = $1` predicate.
// Services run their queries as a role without BYPASSRLS (the role each pooled session starts as), and
// row-level security policies compare each row's tenant with the session setting
// `switchyard.tenant`. `TenantDb` sets that setting before a query runs — only when the pooled
// connection last served another tenant, so a hot tenant pays no extra round trip — and always
// outside a transaction (a rolled-back transaction would undo it).
import type pg from "pg";
import type { PoolClient, QueryResult, QueryResultRow } from "pg";
import { FairSlots } from "./fair-slots.js";
import { SpanKind, SpanStatusCode, tracer } from "./tracing.js";

/** The Postgres setting the row-level security policies read. */
export const TENANT_SETTING = "switchyard.tenant";

const tenantOf = new WeakMap<PoolClient, string>();

/**
 * Named (server-side prepared) statements: a hot statement's text is parsed and planned once per
 * pooled connection instead of on every call (for thread/name/set's statement that is most of its
 * Postgres CPU). Names are given per distinct text, so two texts never share one; only fixed texts
 * opt in, which bounds how many each connection keeps.
 */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `sy_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}

export interface QueryOptions {
  /** Prepare the statement once per connection (fixed texts only: hot reads and writes). */
  prepare?: boolean;
}

export interface TenantQueryable {
  query<Row extends QueryResultRow>(operation: string, sql: string, params: unknown[]): Promise<QueryResult<Row>>;
}

export class TenantDb {
  /** The pool's connections, shared between tenants in turn when they run out (fair-slots.ts). */
  readonly slots: FairSlots;

  constructor(private readonly pool: pg.Pool) {
    this.slots = new FairSlots(pool.options.max ?? 10);
  }

  /** Runs one statement for `tenant` (a span per statement, named `pg <operation>`). */
  async query<Row extends QueryResultRow>(
    tenant: string,
    operation: string,
    sql: string,
    params: unknown[],
    options: QueryOptions = {},
  ): Promise<QueryResult<Row>> {
    const config = options.prepare ? { name: statementName(sql), text: sql, values: params } : { text: sql, values: params };
    return this.withClient(tenant, (client) => traced(operation, () => client.query<Row>(config)));
  }

  /** Runs `work` in one transaction for `tenant`; it commits when `work` resolves and rolls back when it throws. */
  async transaction<T>(tenant: string, work: (db: TenantQueryable) => Promise<T>): Promise<T> {
    return this.withClient(tenant, async (client) => {
      await client.query("BEGIN");
      try {
        const result = await work({
          query: <Row extends QueryResultRow>(operation: string, sql: string, params: unknown[]) =>
            traced(operation, () => client.query<Row>(sql, params)),
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    });
  }

  private async withClient<T>(tenant: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const turn = this.slots.acquire(tenant);
    if (turn) await turn;
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.slots.release();
      throw error;
    }
    let broken: Error | undefined;
    try {
      if (tenantOf.get(client) !== tenant) {
        tenantOf.delete(client);
        await client.query("SELECT set_config($1, $2, false)", [TENANT_SETTING, tenant]);
        tenantOf.set(client, tenant);
      }
      return await work(client);
    } catch (error) {
      // A statement error leaves the connection usable; a lost connection (no SQLSTATE, class 08) or
      // one the server is shutting down or restarting (57P01–57P03) must not go back to the pool.
      const code = String((error as { code?: unknown }).code ?? "");
      if (!code || code.startsWith("08") || code.startsWith("57P")) {
        broken = error as Error;
      }
      throw error;
    } finally {
      client.release(broken);
      this.slots.release();
    }
  }
}

async function traced<T>(operation: string, run: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(`pg ${operation}`, {
    kind: SpanKind.CLIENT,
    attributes: { "db.system": "postgresql", "db.operation.name": operation },
  });
  try {
    return await run();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    throw error;
  } finally {
    span.end();
  }
}
