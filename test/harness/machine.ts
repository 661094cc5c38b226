// A real Codex machine for remote-control tests: `codex remote-control --no-daemon` with a CODEX_HOME
// written by `switchyard connect-machine`'s own code, kept on loopback (proxies to a refusing port,
// NO_PROXY for loopback, a loopback model provider, analytics and update checks off). Or, for the
// relay bench, `codex app-server --listen ws://127.0.0.1:PORT` with the same CODEX_HOME: one
// app-server that a client reaches directly and, once it enables remote control, through the relay.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineAccessToken, writeMachineCodexHome } from "../../packages/cli/src/commands/connect-machine.js";
import { interruptProcess } from "./ports.js";

const workRoot = fileURLToPath(new URL("../../.switchyard/interop", import.meta.url));

export interface CodexMachine {
  child: ChildProcess;
  codexHome: string;
  /** The machine's working directory (what a thread started without a cwd gets). */
  cwd: string;
  output(): string;
  stop(): Promise<void>;
}

interface MachineOptions {
  binary: string;
  baseUrl: string;
  tenant: string;
  subject: string;
  secret: string;
  timeoutMs?: number;
}

/** A CODEX_HOME that enrolls with `baseUrl` for `tenant`, a working directory, and the loopback env. */
async function prepareMachine(options: MachineOptions): Promise<{ codexHome: string; cwd: string; env: NodeJS.ProcessEnv }> {
  mkdirSync(workRoot, { recursive: true });
  const codexHome = mkdtempSync(join(workRoot, "machine-home-"));
  const cwd = realpathSync(mkdtempSync(join(workRoot, "machine-work-")));
  const accessToken = await machineAccessToken({
    tenant: options.tenant,
    subject: options.subject,
    secret: options.secret,
    ttlSeconds: 3_600,
  });
  writeMachineCodexHome({
    codexHome,
    baseUrl: options.baseUrl,
    tenant: options.tenant,
    accessToken,
    modelBaseUrl: "http://127.0.0.1:9/v1",
  });
  const env = {
    ...process.env,
    CODEX_HOME: codexHome,
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
    RUST_LOG: "warn",
  };
  return { codexHome, cwd, env };
}

/** A machine's CODEX_HOME and working directory go once it has stopped (the suites run often). */
function removeFolders(...folders: string[]): void {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
}

/** Spawns the binary and resolves once `isReady` says so (or rejects with its output). */
async function spawnMachine(
  options: MachineOptions,
  args: string[],
  isReady: (output: string) => Promise<boolean> | boolean,
): Promise<CodexMachine> {
  const { codexHome, cwd, env } = await prepareMachine(options);
  const child = spawn(options.binary, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await isReady(output))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      removeFolders(codexHome, cwd);
      throw new Error(`codex exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      removeFolders(codexHome, cwd);
      throw new Error(`codex did not become ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    codexHome,
    cwd,
    output: () => output,
    async stop() {
      await interruptProcess(child);
      removeFolders(codexHome, cwd);
    },
  };
}

export function startCodexMachine(options: MachineOptions): Promise<CodexMachine> {
  return spawnMachine(options, ["remote-control", "--no-daemon"], (output) => output.includes("available for remote control"));
}

/**
 * `codex app-server --listen ws://127.0.0.1:<free port>` with a machine's CODEX_HOME: reachable
 * directly at `url` (no auth on loopback); a client's `remoteControl/enable` connects it to the
 * remote-control service as well.
 */
export async function startCodexAppServerMachine(options: MachineOptions): Promise<CodexMachine & { url: string }> {
  const port = await freePort();
  const machine = await spawnMachine(options, ["app-server", "--listen", `ws://127.0.0.1:${port}`], () =>
    fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.ok,
      () => false,
    ),
  );
  return { ...machine, url: `ws://127.0.0.1:${port}` };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
