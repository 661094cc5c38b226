// Redis holds only rebuildable state; a Redis outage degrades (logged), it never fails a request.
import { Redis } from "ioredis";
import type { Logger } from "./logger.js";

export type { Redis };

export function createRedis(options: { url: string; log: Logger; name: string }): Redis {
  const redis = new Redis(options.url, {
    connectionName: options.name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let isDown = false;
  redis.on("error", (error) => {
    if (!isDown) options.log.warn({ err: error.message }, "redis unavailable; hot state degrades until it returns");
    isDown = true;
  });
  redis.on("ready", () => {
    if (isDown) options.log.info("redis reachable again");
    isDown = false;
  });
  return redis;
}
