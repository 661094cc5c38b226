// The Lua scripts behind the shared limits. Each runs atomically in Redis and reads Redis's own clock
// (TIME), so gateways with skewed clocks share one notion of now. Registered with ioredis's
// defineCommand (EVALSHA, falling back to EVAL once per connection).
import type { Redis } from "@switchyard/runtime";

const NOW_MS = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * Token buckets. KEYS[1] the tenant's, KEYS[2] the token's (hashes: tokens, at).
 * ARGV: tenant rate/s, tenant burst, token rate/s, token burst, most tokens to take.
 * {1, n}: n tokens (at least 1, at most the last argument) taken from both.
 * {0, i, ms}: bucket i (1 tenant, 2 token) is empty for ms more; nothing taken.
 */
const TAKE_REQUEST_TOKENS = `${NOW_MS}
local levels = {}
for i = 1, 2 do
  local rate = tonumber(ARGV[i * 2 - 1])
  local burst = tonumber(ARGV[i * 2])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local tokens = tonumber(state[1])
  if tokens == nil then
    tokens = burst
  else
    tokens = math.min(burst, tokens + math.max(0, now - tonumber(state[2])) * rate / 1000)
  end
  if tokens < 1 then
    return {0, i, math.ceil((1 - tokens) * 1000 / rate)}
  end
  levels[i] = tokens
end
local taken = math.min(math.floor(levels[1]), math.floor(levels[2]), tonumber(ARGV[5]))
for i = 1, 2 do
  local rate = tonumber(ARGV[i * 2 - 1])
  local burst = tonumber(ARGV[i * 2])
  redis.call('HSET', KEYS[i], 'tokens', levels[i] - taken, 'at', now)
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst * 1000 / rate) + 1000)
end
return {1, taken}`;

/**
 * Connection admission. KEYS[1] the tenant's, KEYS[2] the token's live connections (sorted sets of
 * connection ids scored by expiry). ARGV: connection id, lease ms, tenant limit, token limit.
 * Expired members are dropped first. {1}: admitted into both. {0, i}: set i is full; nothing added.
 */
const ADMIT_CONNECTION = `${NOW_MS}
for i = 1, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
end
for i = 1, 2 do
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[i + 2]) then
    return {0, i}
  end
end
local lease = tonumber(ARGV[2])
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], lease)
end
return {1}`;

/** Lease renewal. KEYS[i] a sorted set, ARGV[1] lease ms, ARGV[i + 1] the connection id to (re)add to KEYS[i]. */
const RENEW_CONNECTIONS = `${NOW_MS}
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', key, lease)
end
return #KEYS`;

export interface LimitCommands {
  takeRequestTokens(
    tenantKey: string,
    tokenKey: string,
    tenantRate: number,
    tenantBurst: number,
    tokenRate: number,
    tokenBurst: number,
    mostTokens: number,
  ): Promise<number[]>;
  admitConnection(
    tenantKey: string,
    tokenKey: string,
    connectionId: string,
    leaseMs: number,
    tenantLimit: number,
    tokenLimit: number,
  ): Promise<number[]>;
  renewConnections(...keysThenArgs: (string | number)[]): Promise<number>;
}

export type LimitRedis = Redis & LimitCommands;

export function defineLimitCommands(redis: Redis): LimitRedis {
  redis.defineCommand("takeRequestTokens", { numberOfKeys: 2, lua: TAKE_REQUEST_TOKENS });
  redis.defineCommand("admitConnection", { numberOfKeys: 2, lua: ADMIT_CONNECTION });
  redis.defineCommand("renewConnections", { lua: RENEW_CONNECTIONS });
  return redis as LimitRedis;
}
