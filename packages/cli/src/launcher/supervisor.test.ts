import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { repoRoot } from "../paths.js";
import type { BackoffPolicy } from "./backoff.js";
import { serviceIncarnation } from "./incarnations.js";
import { type ExitStatus, spawnService } from "./service-process.js";
import { describeSupervisorEvent, type Incarnation, Supervisor, type SupervisorEvent } from "./supervisor.js";

const scratch = mkdtempSync(join(tmpdir(), "supervisor-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const fast: BackoffPolicy = { initialDelayMs: 50, maxDelayMs: 200, multiplier: 2, resetAfterMs: 10_000 };

/** A real `node -e` child as the supervisor sees it; "READY" on stdout means ready. */
function nodeProcess(script: string, env: Record<string, string> = {}): Incarnation<void> {
  const child = spawn(process.execPath, ["-e", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let hasExited = false;
  let markReady = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => {});
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes("READY")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("close", (code, signal) => {
      hasExited = true;
      failReady(new Error("exited before it was ready"));
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid ?? -1,
    ready,
    exited,
    get hasExited() {
      return hasExited;
    },
    stop: async () => {
      if (!hasExited) child.kill("SIGTERM");
      return exited;
    },
    kill: () => {
      if (!hasExited) child.kill("SIGKILL");
    },
    lastOutput: () => output.trim(),
  };
}

/** Counts its runs in a file, so a script can behave differently on each start. */
function countedScript(body: string): { script: string; env: Record<string, string> } {
  const counter = join(scratch, `runs-${Math.random().toString(36).slice(2)}`);
  writeFileSync(counter, "0");
  const script = `
    const fs = require("node:fs");
    const run = Number(fs.readFileSync(process.env.RUN_COUNTER, "utf8")) + 1;
    fs.writeFileSync(process.env.RUN_COUNTER, String(run));
    ${body}`;
  return { script, env: { RUN_COUNTER: counter } };
}

type Recorded = SupervisorEvent & { at: number };

function supervise(
  t: TestContext,
  launch: () => Incarnation<unknown>,
  options: { policy?: BackoffPolicy; maxFailuresBeforeReady?: number } = {},
) {
  const events: Recorded[] = [];
  const supervisor = new Supervisor({
    name: "child",
    launch,
    onEvent: (event) => events.push({ ...event, at: performance.now() }),
    policy: options.policy ?? fast,
    ...(options.maxFailuresBeforeReady !== undefined ? { maxFailuresBeforeReady: options.maxFailuresBeforeReady } : {}),
  });
  t.after(() => supervisor.kill()); // no stray child, whatever the test did
  const ofType = <T extends SupervisorEvent["type"]>(type: T) =>
    events.filter((event): event is Recorded & { type: T } => event.type === type);
  const until = async (condition: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`timed out; events: ${events.map((event) => event.type).join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { supervisor, events, ofType, until };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("supervisor", () => {
  it("restarts a process that keeps dying, each time after a longer delay, up to the cap", async (t) => {
    const { supervisor, ofType, until } = supervise(t, () => nodeProcess('console.log("READY"); process.exit(3)'));
    void supervisor.start();
    await until(() => ofType("died").length >= 5 && ofType("started").length >= 6);
    await supervisor.stop();

    const died = ofType("died").slice(0, 5);
    assert.deepEqual(
      died.map((event) => event.restart),
      [
        { attempt: 1, delayMs: 50 },
        { attempt: 2, delayMs: 100 },
        { attempt: 3, delayMs: 200 },
        { attempt: 4, delayMs: 200 },
        { attempt: 5, delayMs: 200 },
      ],
    );
    for (const event of died) assert.deepEqual(event.status, { code: 3, signal: null });
    const started = ofType("started");
    died.forEach((death, index) => {
      const restart = started[index + 1];
      assert.ok(restart, `restart ${index + 1} happened`);
      assert.equal(restart.attempt, index + 1);
      assert.ok(restart.at - death.at >= death.restart.delayMs - 1, `restart ${index + 1} waited ${death.restart.delayMs} ms`);
    });
    assert.equal(new Set(started.map((event) => event.pid)).size, started.length, "every start is a new process");
  });

  it("starts the back-off over after a run that lasted long enough", async (t) => {
    // Runs 1-3 die at once, run 4 lives 2 s (longer than resetAfterMs), run 5 and later die at once.
    const { script, env } = countedScript(`
      console.log("READY");
      setTimeout(() => process.exit(1), run === 4 ? 2000 : 0);`);
    const policy = { ...fast, initialDelayMs: 20, resetAfterMs: 1_500 };
    const { supervisor, ofType, until } = supervise(t, () => nodeProcess(script, env), { policy });
    void supervisor.start();
    await until(() => ofType("died").length >= 5, 15_000);
    await supervisor.stop();
    assert.deepEqual(
      ofType("died")
        .slice(0, 5)
        .map((event) => event.restart.attempt),
      [1, 2, 3, 1, 2],
    );
    assert.ok((ofType("died")[3]?.uptimeMs ?? 0) >= 1_500);
  });

  it("resolves start() once the process is ready", async (t) => {
    const { supervisor, ofType } = supervise(t, () => nodeProcess('console.log("READY"); setInterval(() => {}, 1000)'));
    await supervisor.start();
    assert.deepEqual(
      ofType("ready").map((event) => event.attempt),
      [0],
    );
    assert.ok(supervisor.pid !== undefined && isAlive(supervisor.pid));
  });

  it("stop() stops the running process with SIGTERM and does not restart it", async (t) => {
    const { supervisor, ofType } = supervise(t, () => nodeProcess('console.log("READY"); setInterval(() => {}, 1000)'));
    await supervisor.start();
    const pid = supervisor.pid;
    assert.ok(pid !== undefined);
    const status = await supervisor.stop();
    assert.deepEqual(status, { code: null, signal: "SIGTERM" });
    assert.equal(isAlive(pid), false);
    await sleep(300);
    assert.equal(ofType("started").length, 1, "nothing restarted");
    assert.equal(ofType("died").length, 0, "a stop is not a death");
  });

  it("stop() during the back-off delay cancels the restart", async (t) => {
    const policy = { ...fast, initialDelayMs: 1_000 };
    const { supervisor, ofType, until } = supervise(t, () => nodeProcess('console.log("READY"); process.exit(1)'), { policy });
    void supervisor.start();
    await until(() => ofType("died").length === 1);
    const stoppedAt = performance.now();
    assert.equal(await supervisor.stop(), undefined, "nothing was running");
    assert.ok(performance.now() - stoppedAt < 500, "stop did not wait for the back-off");
    await sleep(1_300);
    assert.equal(ofType("started").length, 1, "the pending restart never happened");
  });

  it("kill() SIGKILLs a process that ignores SIGTERM, and nothing restarts", async (t) => {
    const script = 'process.on("SIGTERM", () => {}); console.log("READY"); setInterval(() => {}, 1000)';
    let current: Incarnation<void> | undefined;
    const { supervisor, ofType } = supervise(t, () => {
      current = nodeProcess(script);
      return current;
    });
    await supervisor.start();
    supervisor.kill();
    assert.deepEqual(await current?.exited, { code: null, signal: "SIGKILL" });
    await sleep(300);
    assert.equal(ofType("started").length, 1);
  });

  it("gives up on a process that never becomes ready, saying why", async (t) => {
    const { supervisor, ofType } = supervise(
      t,
      () => nodeProcess('console.error("bad config: PORT is not a number"); process.exit(2)'),
      { maxFailuresBeforeReady: 3 },
    );
    await assert.rejects(supervisor.start(), /never became ready \(3 failed starts\)/);
    assert.equal(ofType("started").length, 3);
    assert.equal(ofType("died").length, 2, "the first two failures were retried");
    const [gaveUp] = ofType("gave-up");
    assert.ok(gaveUp);
    assert.deepEqual(gaveUp.status, { code: 2, signal: null });
    assert.match(gaveUp.lastOutput, /bad config: PORT is not a number/);
    const line = describeSupervisorEvent(gaveUp);
    assert.equal(line.level, "error");
    assert.match(line.message, /^child \(pid \d+\) never became ready: it failed 3 times in a row \(last: code 2\); giving up$/);
    assert.match(String(line.fields.lastOutput), /bad config/);
  });

  it("keeps restarting a process that was ready once, however often it fails after that", async (t) => {
    // Run 1 is ready, then every later run crashes before it is ready.
    const { script, env } = countedScript(`
      if (run === 1) { console.log("READY"); setTimeout(() => process.exit(1), 100); }
      else { console.error("crash " + run); process.exit(1); }`);
    const { supervisor, ofType, until } = supervise(t, () => nodeProcess(script, env), { maxFailuresBeforeReady: 2 });
    await supervisor.start();
    await until(() => ofType("died").length >= 5);
    await supervisor.stop();
    assert.equal(ofType("gave-up").length, 0);
    assert.match(ofType("died")[4]?.lastOutput ?? "", /^crash 5$/);
  });

  it("shows the last lines a crashed service printed, stack trace included", async (t) => {
    const entry = join(scratch, "crashing-service.mjs");
    writeFileSync(
      entry,
      [
        'console.log(JSON.stringify({ level: "info", msg: "loading settings" }));',
        'throw new Error("DATABASE_URL points nowhere");',
      ].join("\n"),
    );
    const launch = () =>
      serviceIncarnation(
        spawnService({ name: "child", service: "child", entry, cwd: repoRoot, env: process.env, onLine: () => {} }),
        1_000,
      );
    const { supervisor, ofType } = supervise(t, launch, { maxFailuresBeforeReady: 1 });
    await assert.rejects(supervisor.start());
    const [gaveUp] = ofType("gave-up");
    assert.ok(gaveUp);
    assert.match(gaveUp.lastOutput, /loading settings/);
    assert.match(gaveUp.lastOutput, /Error: DATABASE_URL points nowhere/);
  });

  it("describes deaths and restarts for the operator", () => {
    const died = describeSupervisorEvent({
      type: "died",
      name: "nats-server",
      pid: 42,
      status: { code: null, signal: "SIGKILL" },
      uptimeMs: 12_345,
      lastOutput: "[INF] Server is ready",
      restart: { attempt: 2, delayMs: 500 },
    });
    assert.equal(died.level, "error");
    assert.equal(
      died.message,
      "nats-server (pid 42) died unexpectedly (signal SIGKILL, after 12.3 s); restarting in 500 ms, attempt 2",
    );
    assert.deepEqual(died.fields, { pid: 42, lastOutput: "[INF] Server is ready" });
    const restarted = describeSupervisorEvent({ type: "started", name: "thread", pid: 7, attempt: 2 });
    assert.equal(restarted.message, "restarted thread (pid 7), attempt 2");
    const back = describeSupervisorEvent({ type: "ready", name: "thread", pid: 7, attempt: 2 });
    assert.equal(back.message, "thread (pid 7) is ready again after restart attempt 2");
  });
});
