// Against the real Redis the environment names (REDIS_URL, loopback by default).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { createLogger, createRedis } from "@switchyard/runtime";
import { RateLimiter } from "./rate-limit.js";

const redis = createRedis({
  url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  log: createLogger({ service: "test", instanceId: "rate-limit", level: "silent" }),
  name: "rate-limit-test",
});
const limiter = new RateLimiter(redis, `t${randomBytes(4).toString("hex")}`);

describe("pairing rate limits (Redis)", () => {
  after(() => redis.disconnect());

  test("the limit holds per tenant bucket within the window and lifts when it ends", async () => {
    await new Promise((resolve) => (redis.status === "ready" ? resolve(undefined) : redis.once("ready", resolve)));
    const results = [];
    for (let attempt = 0; attempt < 5; attempt++) results.push(await limiter.take("claims:acme", 3, 400));
    assert.deepEqual(
      results.map((result) => result.allowed),
      [true, true, true, false, false],
    );
    const refused = results[3] as { retryAfterMs: number };
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 400);
    assert.equal((await limiter.take("claims:other", 3, 400)).allowed, true, "another tenant has its own budget");
    await new Promise((resolve) => setTimeout(resolve, 450));
    assert.equal((await limiter.take("claims:acme", 3, 400)).allowed, true, "a new window");
  });
});
