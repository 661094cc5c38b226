// `pnpm start` supervises what it started: the real launcher entry with a private nats-server and
// redis-server it has to start itself (nothing answers on the ports given), the machine's Postgres
// (its own database; its own bus prefix). kill -9 the nats-server, the redis-server, then the thread
// service: each is restarted (the nats-server on the same port with the same JetStream store), the
// system answers again and the launcher keeps running; Ctrl-C then stops everything, exits 0 and
// leaves no process behind. A second Ctrl-C during a shutdown that hangs kills everything at once.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { CodexTestClient } from "./harness/client.js";
import { createTestInfra, type TestInfra } from "./harness/infra.js";
import { freePort } from "./harness/ports.js";
import { type ServiceProcess, startProcess } from "./harness/processes.js";

interface Proc {
  pid: number;
  command: string;
}

/**
 * Every live process a launcher started, even ones orphaned by a launcher that died (Linux /proc):
 * all carry its state directory in their environment, except redis-server, which writes its title
 * over its environment and is known by its private port instead.
 */
function processesOf(stateDir: string, redisPort: number): Proc[] {
  const marker = `SWITCHYARD_STATE_DIR=${stateDir}\0`;
  const redisTitle = `redis-server 127.0.0.1:${redisPort}`;
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const command = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
        const isOurs = command.endsWith(redisTitle) || readFileSync(`/proc/${name}/environ`, "utf8").includes(marker);
        return isOurs ? [{ pid: Number(name), command }] : [];
      } catch {
        return []; // gone meanwhile, or not ours to read
      }
    });
}

async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting until ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
}

/** A `pnpm start` of its own: private nats-server and redis-server, state directory, database and bus prefix. */
interface Launcher {
  process: ServiceProcess & { readyLine: string };
  infra: TestInfra;
  stateDir: string;
  natsUrl: string;
  gatewayUrl: string;
  /** The dev tenant's thread-config gRPC endpoint, as the banner gives it. */
  threadConfigEndpoint: string | undefined;
  token: string;
  /** The launcher's own log messages so far. */
  messages(): string[];
  /** Every live process it started (itself included). */
  processes(): Proc[];
  /** Its processes whose command line matches. */
  named(pattern: RegExp): Proc[];
  isRunning(): boolean;
  /** Kills whatever it started that is still there, drops its database and state. */
  dispose(): Promise<void>;
}

/** A service's process, whichever way the launcher runs it (its bundle, or its source through tsx). */
const serviceProcess = (service: string) => new RegExp(`services/${service}/(dist/main\\.js|src/main\\.ts)`);

async function startLauncher(name: string, extraEnv: Record<string, string> = {}): Promise<Launcher> {
  const infra = await createTestInfra(name);
  const stateDir = mkdtempSync(join(tmpdir(), "switchyard-launcher-"));
  const natsUrl = `nats://127.0.0.1:${await freePort()}`;
  const redisPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const processes = () => processesOf(stateDir, redisPort);
  const dispose = async () => {
    if (process.env.SWITCHYARD_TEST_SHOW_LOGS) console.log(`--- launcher ${name}\n${started?.output() ?? ""}`);
    for (const proc of processes()) {
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(stateDir, { recursive: true, force: true });
    await infra.dispose();
  };
  let started: (ServiceProcess & { readyLine: string }) | undefined;
  try {
    started = await startProcess(
      name,
      "packages/cli/src/main.ts",
      {
        ...infra.env,
        NATS_URL: natsUrl,
        REDIS_URL: redisUrl,
        SWITCHYARD_STATE_DIR: stateDir,
        GATEWAY_PORT: "0",
        // A port free right now (a random one could be held by any socket on the machine, and the
        // config service then leaves the dev tenant's endpoint out of the banner).
        CONFIG_GRPC_PORT_BASE: String(await freePort()),
        SWITCHYARD_LOG_FORMAT: "json",
        LOG_LEVEL: "info",
        SWITCHYARD_SHUTDOWN_TIMEOUT_MS: "5000",
        ...extraEnv,
      },
      (line) => line.includes('"event":"switchyard.ready"'),
      { args: ["start"], timeoutMs: 45_000 },
    );
  } catch (error) {
    await dispose();
    throw error;
  }
  const launcher = started;
  const ready = JSON.parse(launcher.readyLine) as { url: string; token: string; threadConfigEndpoint?: string };
  return {
    process: launcher,
    infra,
    stateDir,
    natsUrl,
    gatewayUrl: ready.url,
    threadConfigEndpoint: ready.threadConfigEndpoint,
    token: ready.token,
    messages: () =>
      launcher
        .output()
        .split("\n")
        .filter((line) => line.includes('"service":"switchyard"'))
        .map((line) => String((JSON.parse(line) as { msg: unknown }).msg)),
    processes,
    named: (pattern) => processes().filter((proc) => pattern.test(proc.command)),
    isRunning: () => launcher.child.exitCode === null && launcher.child.signalCode === null,
    dispose,
  };
}

const hasMessage = (launcher: Launcher, pattern: RegExp) => async () =>
  launcher.messages().some((message) => pattern.test(message)) ? true : undefined;

describe("pnpm start supervises what it started", { timeout: 90_000 }, () => {
  let launcher: Launcher;

  const createThread = async () => {
    const client = await CodexTestClient.open(`${launcher.gatewayUrl}/`, { token: launcher.token });
    try {
      const started = await client.call("thread/start", {});
      assert.deepEqual(await client.call("thread/name/set", { threadId: started.thread.id, name: "still here" }), {});
      return started.thread.id as string;
    } finally {
      await client.close();
    }
  };
  const gatewayIsReady = async () => {
    const response = await fetch(`${launcher.gatewayUrl.replace(/^ws/, "http")}/readyz`);
    return response.status === 200 ? true : undefined;
  };

  before(async () => {
    // The default: the service bundles are built from the sources, then run.
    launcher = await startLauncher("launcher", { SWITCHYARD_RUN_FROM: "build" });
  });
  after(async () => launcher?.dispose());

  test("it started its own nats-server, and the system answers", async () => {
    const messages = launcher.messages();
    assert.ok(
      messages.some((message) => message.startsWith("NATS: started nats-server")),
      messages.join("\n"),
    );
    assert.equal(launcher.named(/nats-server/).length, 1);
    await createThread();
    // Every service that exists runs, and the banner gives the dev tenant's thread-config endpoint.
    assert.equal(launcher.named(/services\/config\/dist\/main\.js/).length, 1);
    // As by default: the bundles built from the sources first, then run.
    assert.ok(
      messages.some((message) => message.startsWith("built the service bundles")),
      messages.join("\n"),
    );
    assert.match(launcher.threadConfigEndpoint ?? "", /^http:\/\/127\.0\.0\.1:\d+$/, launcher.process.output().slice(-4_000));
  });

  test("a killed nats-server is restarted on the same port with the same JetStream store", async () => {
    const [nats] = launcher.named(/nats-server/);
    assert.ok(nats);
    process.kill(nats.pid, "SIGKILL");

    await eventually("the launcher reports the restart", hasMessage(launcher, /^nats-server \(pid \d+\) is ready again/));
    const messages = launcher.messages();
    assert.ok(
      messages.some(
        (message) =>
          message.startsWith(`nats-server (pid ${nats.pid}) died unexpectedly (signal SIGKILL`) && message.includes("attempt 1"),
      ),
      messages.join("\n"),
    );
    assert.ok(messages.some((message) => /^restarted nats-server \(pid \d+\), attempt 1$/.test(message)));
    const restarted = launcher.named(/nats-server/);
    assert.equal(restarted.length, 1);
    assert.notEqual(restarted[0]?.pid, nats.pid);
    assert.equal(restarted[0]?.command, nats.command, "same port, same store directory");

    // Streams created before the kill are still there: the store survived.
    const nc = await connect({ servers: launcher.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const streams: string[] = [];
      for await (const stream of jsm.streams.list()) streams.push(stream.config.name);
      const prefix = `${launcher.infra.busPrefix.toUpperCase()}_`;
      assert.ok(
        streams.some((name) => name.startsWith(prefix)),
        `streams: ${streams.join(", ")}`,
      );
    } finally {
      await nc.close();
    }

    await eventually("the gateway is ready again", gatewayIsReady);
    await eventually("a request through the gateway works again", createThread);
    assert.ok(launcher.isRunning(), "the launcher is still running");
  });

  test("a killed redis-server is restarted on the same port", async () => {
    const [redis] = launcher.named(/redis-server/);
    assert.ok(redis);
    process.kill(redis.pid, "SIGKILL");

    await eventually("the launcher reports the restart", hasMessage(launcher, /^redis-server \(pid \d+\) is ready again/));
    const restarted = launcher.named(/redis-server/);
    assert.equal(restarted.length, 1);
    assert.notEqual(restarted[0]?.pid, redis.pid);
    assert.equal(restarted[0]?.command, redis.command, "same port, same directory");
    await eventually("the gateway is ready", gatewayIsReady);
    assert.ok(launcher.isRunning(), "the launcher is still running");
  });

  test("a killed thread service is restarted", async () => {
    const [thread] = launcher.named(serviceProcess("thread"));
    assert.ok(thread);
    process.kill(thread.pid, "SIGKILL");

    await eventually(
      "the launcher reports the thread service ready again",
      hasMessage(launcher, /^thread \(pid \d+\) is ready again/),
    );
    assert.ok(
      launcher.messages().some((message) => message.startsWith(`thread (pid ${thread.pid}) died unexpectedly (signal SIGKILL`)),
    );
    const restarted = launcher.named(serviceProcess("thread"));
    assert.equal(restarted.length, 1);
    assert.notEqual(restarted[0]?.pid, thread.pid);
    await eventually("a request through the gateway works again", createThread);
    assert.ok(launcher.isRunning(), "the launcher is still running");
  });

  test("Ctrl-C stops everything in order, restarts nothing, exits 0 and leaves no process behind", async () => {
    const running = launcher.processes();
    assert.ok(
      running.length >= 5,
      `launcher, nats-server, redis-server, thread, gateway: ${running.map((proc) => proc.command).join("; ")}`,
    );
    const exited = new Promise<number | null>((resolve) => launcher.process.child.once("exit", (code) => resolve(code)));
    launcher.process.child.kill("SIGINT");
    assert.equal(await exited, 0, launcher.messages().slice(-10).join("\n"));

    const messages = launcher.messages();
    assert.ok(messages.includes("stopped"));
    const order = ["gateway stopped", "thread stopped", "nats-server stopped"].map((prefix) =>
      messages.findIndex((message) => message.startsWith(prefix)),
    );
    assert.ok(messages.findIndex((message) => message.startsWith("redis-server stopped")) > (order[1] ?? 0));
    assert.ok(
      order.every((index, position) => index >= 0 && (position === 0 || index > (order[position - 1] ?? 0))),
      messages.join("\n"),
    );
    assert.equal(messages.filter((message) => message.startsWith("restarted")).length, 3, "nothing restarted on the way out");
    await eventually(
      "every process it started is gone",
      async () => (launcher.processes().length === 0 ? true : undefined),
      5_000,
    );
  });
});

describe("a second Ctrl-C during shutdown", { timeout: 60_000 }, () => {
  let launcher: Launcher;
  before(async () => {
    launcher = await startLauncher("launcher_force");
  });
  after(async () => launcher?.dispose());

  test("kills everything at once and exits non-zero", async () => {
    // A frozen gateway cannot shut down, so the launcher's orderly stop waits for it.
    const [gateway] = launcher.named(serviceProcess("gateway"));
    assert.ok(gateway);
    process.kill(gateway.pid, "SIGSTOP");
    const exited = new Promise<number | null>((resolve) => launcher.process.child.once("exit", (code) => resolve(code)));
    launcher.process.child.kill("SIGINT");
    await eventually("the launcher starts stopping", hasMessage(launcher, /^SIGINT: stopping/));
    // Past the window in which a repeated signal counts as the same key press (pnpm forwards it too).
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.ok(launcher.isRunning(), "still waiting for the frozen gateway");

    const forcedAt = Date.now();
    launcher.process.child.kill("SIGINT");
    assert.equal(await exited, 130);
    assert.ok(Date.now() - forcedAt < 2_000, "it did not wait any longer");
    assert.ok(launcher.messages().includes("SIGINT again: killing everything now"));
    await eventually(
      "every process it started is gone",
      async () => (launcher.processes().length === 0 ? true : undefined),
      5_000,
    );
  });
});
