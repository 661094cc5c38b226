// Per-tenant thread-config listeners. The released Codex client sends no credentials and drops any
// path from the endpoint URL, so the listener names the tenant: each tenant is assigned its own port
// (config.grpc_endpoints), and every config instance tries to open every assigned port. On one host
// the first instance to bind a port serves it and the others retry every sync interval, so a port
// whose holder dies is taken over; on separate hosts (pods) every instance serves every tenant.
import type { Logger, Pool } from "@switchyard/runtime";
import type { ThreadConfigServer } from "./grpc/server.js";

/** The tenant's listener port, assigning the next free one at or above `basePort` if it has none. */
export async function assignEndpointPort(pool: Pool, tenant: string, basePort: number): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await pool.query<{ port: number }>("SELECT port FROM config.grpc_endpoints WHERE tenant = $1", [tenant]);
    if (existing.rows[0]) return existing.rows[0].port;
    try {
      const inserted = await pool.query<{ port: number }>(
        `INSERT INTO config.grpc_endpoints (tenant, port)
         SELECT $1, greatest($2::integer, coalesce(max(port) + 1, $2::integer)) FROM config.grpc_endpoints
         ON CONFLICT (tenant) DO NOTHING RETURNING port`,
        [tenant, basePort],
      );
      if (inserted.rows[0]) return inserted.rows[0].port;
    } catch (error) {
      // Two tenants assigned the same port at once: the loser takes the next one.
      if ((error as { code?: string }).code !== "23505") throw error;
    }
  }
  throw new Error(`could not assign a thread-config port to tenant ${tenant}`);
}

export function endpointUrl(host: string, port: number): string {
  return `http://${host}:${port}`;
}

/** Keeps this instance's listeners in step with the assigned ports until stopped. */
export function startTenantListeners(options: {
  pool: Pool;
  server: ThreadConfigServer;
  host: string;
  syncMs: number;
  log: Logger;
}): { stop(): void; synced: Promise<void> } {
  const { pool, server, host, log } = options;
  const busyPorts = new Set<number>();
  let isStopped = false;
  const sync = async () => {
    const rows = await pool.query<{ tenant: string; port: number }>("SELECT tenant, port FROM config.grpc_endpoints");
    const serving = new Map(server.tenants().map((entry) => [entry.tenant, entry.port]));
    for (const { tenant, port } of rows.rows) {
      if (serving.get(tenant) === port) continue;
      if (serving.has(tenant)) await server.stopTenant(tenant);
      try {
        await server.listenTenant(tenant, host, port);
        busyPorts.delete(port);
      } catch (error) {
        // Another instance on this host holds it; take it over when that instance goes.
        if (!busyPorts.has(port)) log.info({ tenant, port, err: String(error) }, "thread-config port held elsewhere; will retry");
        busyPorts.add(port);
      }
    }
  };
  const synced = sync().catch((error) => log.warn({ err: String(error) }, "thread-config listener sync failed"));
  const timer = setInterval(() => {
    if (isStopped) return;
    sync().catch((error) => log.warn({ err: String(error) }, "thread-config listener sync failed"));
  }, options.syncMs);
  timer.unref();
  return {
    synced,
    stop() {
      isStopped = true;
      clearInterval(timer);
    },
  };
}
