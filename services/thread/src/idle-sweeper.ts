// Unloads idle threads: a loaded thread with no subscribers and no activity for THREAD_IDLE_UNLOAD_MS
// becomes notLoaded, announced with thread/status/changed and thread/closed. It also forgets the
// subscriptions of gateways that are gone (no presence in Redis for a minute: they died without
// saying goodbye), so their threads can unload. Every instance sweeps; `FOR UPDATE SKIP LOCKED`
// gives each thread to one of them. The sweep spans tenants, so it runs on the maintenance pool
// (the login role), not the tenant-scoped one.
import { Notification } from "@switchyard/protocol";
import { type EventPublisher, type Logger, type Pool, presenceKey, type Redis } from "@switchyard/runtime";
import type { ThreadChanges } from "./store/thread-changes.js";

/** How long a subscription must exist before a missing gateway presence counts (presence TTL is 15 s). */
const GATEWAY_GRACE_MS = 60_000;

export function startIdleSweeper(options: {
  pool: Pool;
  redis: Redis;
  busPrefix: string;
  events: EventPublisher;
  changes: ThreadChanges;
  idleMs: number;
  log: Logger;
}): () => void {
  const { pool, log } = options;
  let isSweeping = false;
  const sweep = async () => {
    if (isSweeping) return;
    isSweeping = true;
    try {
      await forgetDeadGateways();
      const unloaded = await pool.query<{ tenant: string; id: string }>(
        `UPDATE thread.threads AS t SET loaded_at = NULL
           FROM (SELECT tenant, id FROM thread.threads AS candidate
                  WHERE loaded_at IS NOT NULL AND active_turn_id IS NULL
                    AND greatest(loaded_at, updated_at) < now() - make_interval(secs => $1::double precision / 1000)
                    AND NOT EXISTS (SELECT 1 FROM thread.subscriptions AS s WHERE s.tenant = candidate.tenant AND s.thread_id = candidate.id)
                  LIMIT 500 FOR UPDATE SKIP LOCKED) AS idle
          WHERE t.tenant = idle.tenant AND t.id = idle.id
         RETURNING t.tenant, t.id`,
        [options.idleMs],
      );
      for (const thread of unloaded.rows) {
        options.changes.announce(thread.tenant, [thread.id]);
        const target = { tenant: thread.tenant, threadId: thread.id };
        options.events.emit(Notification.threadStatusChanged, { threadId: thread.id, status: { type: "notLoaded" } }, target);
        options.events.emit(Notification.threadClosed, { threadId: thread.id }, target);
      }
      if (unloaded.rows.length > 0) log.info({ unloaded: unloaded.rows.length }, "unloaded idle threads");
    } catch (error) {
      log.warn({ err: String(error) }, "idle sweep failed; will try again");
    } finally {
      isSweeping = false;
    }
  };

  const forgetDeadGateways = async () => {
    const gateways = await pool.query<{ gateway: string }>(
      `SELECT DISTINCT split_part(connection, '/', 1) AS gateway FROM thread.subscriptions
        WHERE subscribed_at < now() - make_interval(secs => $1::double precision / 1000)`,
      [GATEWAY_GRACE_MS],
    );
    for (const { gateway } of gateways.rows) {
      const isAlive = await options.redis.exists(presenceKey(options.busPrefix, "gateway", gateway)).then(
        (count) => count > 0,
        () => true, // Redis down: presence is unknown, so keep everything
      );
      if (isAlive) continue;
      const forgotten = await pool.query(
        `DELETE FROM thread.subscriptions WHERE split_part(connection, '/', 1) = $1
            AND subscribed_at < now() - make_interval(secs => $2::double precision / 1000)`,
        [gateway, GATEWAY_GRACE_MS],
      );
      log.warn({ gateway, subscriptions: forgotten.rowCount }, "forgot the subscriptions of a gateway that is gone");
    }
  };

  const timer = setInterval(() => void sweep(), Math.max(250, Math.min(options.idleMs / 4, 30_000)));
  timer.unref();
  return () => clearInterval(timer);
}
