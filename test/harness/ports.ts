// Loopback ports for the private servers suites start (NATS, Postgres, Redis), and the
// kill-and-start-again handle the simple ones share.
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { checkTcp } from "../../packages/cli/src/infra/probes.js";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** SIGINT, then SIGKILL if it is still running after `graceMs`; resolves once it has exited. */
export async function interruptProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGINT");
  const stuck = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(stuck);
}

export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await checkTcp("127.0.0.1", port, 1_000)).isOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

export interface PrivateServer {
  url: string;
  port: number;
  /** SIGKILL: the server gets no chance to flush or say goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and store); resolves when it accepts connections. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** A server process on a port of its own that a suite may kill and start again, started once. */
export async function startRestartableServer(options: {
  url: string;
  port: number;
  what: string;
  spawn: () => ChildProcess;
  /** After the process is gone for good (remove its store, say). */
  cleanUp?: () => void;
}): Promise<PrivateServer> {
  let child: ChildProcess | undefined;
  const server: PrivateServer = {
    url: options.url,
    port: options.port,
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
    async start() {
      child = options.spawn();
      await waitForPort(options.port, 10_000, options.what);
    },
    async dispose() {
      await server.kill();
      options.cleanUp?.();
    },
  };
  await server.start();
  return server;
}
