// Instance presence in Redis, for `switchyard status` and operators: each process refreshes a key
// with a short TTL. Losing Redis only hides instances from status; nothing depends on it to work.
import type { Redis } from "ioredis";

export const presenceKey = (prefix: string, service: string, instanceId: string) => `${prefix}:instance:${service}:${instanceId}`;
export const presencePattern = (prefix: string) => `${prefix}:instance:*`;

export function startPresence(options: {
  redis: Redis;
  prefix: string;
  service: string;
  instanceId: string;
  describe: () => Record<string, unknown>;
  intervalMs?: number;
}): () => Promise<void> {
  const intervalMs = options.intervalMs ?? 5_000;
  const key = presenceKey(options.prefix, options.service, options.instanceId);
  const startedAt = new Date().toISOString();
  const beat = () =>
    options.redis
      .set(
        key,
        JSON.stringify({
          service: options.service,
          instanceId: options.instanceId,
          pid: process.pid,
          startedAt,
          ...options.describe(),
        }),
        "PX",
        intervalMs * 3,
      )
      .catch(() => {});
  void beat();
  // The first beat is lost if Redis is still connecting (no offline queue): beat again once ready.
  options.redis.on("ready", beat);
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    options.redis.off("ready", beat);
    await options.redis.del(key).catch(() => {});
  };
}
