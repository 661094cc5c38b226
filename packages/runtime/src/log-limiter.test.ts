import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { LogLimiter } from "./log-limiter.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

test("at most `burst` lines per key per window, then a count of what was dropped", async () => {
  const { log, lines } = capture();
  const limiter = new LogLimiter(log, { burst: 3, windowMs: 50, maxKeys: 100 });
  for (let index = 0; index < 1_000; index++) limiter.warn("connection-a", { index }, "bad frame");
  limiter.warn("connection-b", {}, "bad frame");
  assert.equal(lines.length, 4, "three for a, one for b");
  await new Promise((resolve) => setTimeout(resolve, 60));
  limiter.warn("connection-a", {}, "bad frame");
  assert.equal(lines.length, 5);
  assert.equal(lines[4]?.suppressedSinceLastLine, 997);
});

test("the number of remembered keys is bounded", () => {
  const { log } = capture();
  const limiter = new LogLimiter(log, { burst: 1, windowMs: 60_000, maxKeys: 10 });
  for (let index = 0; index < 1_000; index++) limiter.warn(`connection-${index}`, {}, "bad frame");
  assert.ok((limiter as unknown as { windows: Map<string, unknown> }).windows.size <= 10);
});
