// The real `codex app-server` on its loopback websocket listener, as several clients reach it:
// `--listen ws://127.0.0.1:<port> --ws-auth capability-token --ws-token-file <file>`, with a fresh
// CODEX_HOME (its model provider, when given, the tests' scripted Responses server) and working
// directory, and no way off the machine (its proxies point at a closed port). `pnpm bench --peer`
// measures it; interop suites that need more than one connection compare against it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { CodexTestClient } from "./client.js";
import { ensureCodexBinary, loopbackCodexHome } from "./codex-binary.js";
import { freePort, interruptProcess } from "./ports.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./scripted-responses.js";
import { type Stack, startStack } from "./stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./tokens.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CodexListener {
  url: string;
  token: string;
  cwd: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Process ids of `root` and all its descendants (the npm wrapper spawns the native binary). */
export function processTree(root: number | undefined): number[] {
  if (root === undefined) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(parent) ?? [];
      list.push(Number(entry));
      children.set(parent, list);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

export async function startCodexListener(binary: string, options: { providerBaseUrl?: string } = {}): Promise<CodexListener> {
  const workspace = mkdtempSync(join(tmpdir(), "sy-codex-ws-"));
  const cwd = join(workspace, "work");
  mkdirSync(cwd);
  const home = loopbackCodexHome(join(workspace, "home"), { providerBaseUrl: options.providerBaseUrl });
  const token = randomBytes(24).toString("hex");
  const tokenFile = join(workspace, "ws-token");
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const port = await freePort();
  const child = spawn(
    binary,
    ["app-server", "--listen", `ws://127.0.0.1:${port}`, "--ws-auth", "capability-token", "--ws-token-file", tokenFile],
    {
      cwd,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        CODEX_HOME: home,
        RUST_LOG: "warn",
        HTTPS_PROXY: "http://127.0.0.1:9",
        HTTP_PROXY: "http://127.0.0.1:9",
        NO_PROXY: "127.0.0.1,localhost",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const stop = async () => {
    const tree = processTree(child.pid);
    await interruptProcess(child);
    // The native binary under the npm wrapper, if the wrapper's exit left it behind.
    for (const pid of tree.slice(1)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(workspace, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const isReady = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (isReady) break;
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`codex app-server exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`codex app-server did not become ready:\n${output}`);
    }
    await sleep(100);
  }
  return { url: `ws://127.0.0.1:${port}`, token, cwd, child, output: () => output, stop };
}

export interface ListenerBesideStack {
  provider: ScriptedResponses;
  codex: CodexListener;
  stack: Stack;
  /** A client of the stack's gateway `index` (round robin), as `subject` of `tenant`. */
  openSwitchyard(
    tenant: string,
    subject: string,
    options?: { experimentalApi?: boolean; name?: string; gateway?: number },
  ): Promise<CodexTestClient>;
  /** A client of the binary's listener. */
  openCodex(options?: { experimentalApi?: boolean; name?: string }): Promise<CodexTestClient>;
  stop(): Promise<void>;
}

/**
 * The binary's listener and a Switchyard stack (HS256 tokens), both with the scripted Responses
 * server as their model provider: what suites comparing several clients per side start.
 */
export async function listenerBesideStack(
  name: string,
  binary: string,
  options: { gateways?: number } = {},
): Promise<ListenerBesideStack> {
  const provider = await startScriptedResponses();
  const codex = await startCodexListener(binary, { providerBaseUrl: provider.baseUrl });
  const stack = await startStack(name, {
    gateways: options.gateways ?? 1,
    gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
    ...scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl)),
  });
  return {
    provider,
    codex,
    stack,
    async openSwitchyard(tenant, subject, clientOptions = {}) {
      const gateway = stack.gateways[(clientOptions.gateway ?? 0) % stack.gateways.length];
      return CodexTestClient.open(`${gateway?.url}/`, {
        token: await hs256Token({ tenant, sub: subject }),
        experimentalApi: clientOptions.experimentalApi,
        name: clientOptions.name,
      });
    },
    openCodex: (clientOptions = {}) =>
      CodexTestClient.open(codex.url, {
        token: codex.token,
        experimentalApi: clientOptions.experimentalApi,
        name: clientOptions.name,
      }),
    async stop() {
      await stack.stop();
      await codex.stop();
      await provider.close();
    },
  };
}

/**
 * One scripted flow played on the binary's side, then on Switchyard's (as `subject` of `tenant`),
 * each through one client with `experimentalApi`: the two transcripts to compare.
 */
export async function playOnBothSides<T>(
  sides: ListenerBesideStack,
  who: { tenant: string; subject: string },
  play: (client: CodexTestClient, provider: ScriptedResponses) => Promise<T>,
): Promise<{ theirs: T; ours: T }> {
  const theirs = await play(await sides.openCodex({ experimentalApi: true }), sides.provider);
  const ours = await play(await sides.openSwitchyard(who.tenant, who.subject, { experimentalApi: true }), sides.provider);
  return { theirs, ours };
}

/**
 * The 0.171.0 binary's listener beside a stack for the enclosing suite (call it inside `describe`):
 * started before its tests, stopped after them; the getter gives them to a test.
 */
export function listenerBesideStackForSuite(name: string, options: { gateways?: number } = {}): () => ListenerBesideStack {
  let sides: ListenerBesideStack | undefined;
  before(async () => {
    sides = await listenerBesideStack(name, ensureCodexBinary("0.171.0"), options);
  });
  after(async () => {
    await sides?.stop();
  });
  return () => {
    if (!sides) throw new Error(`${name}: the listener and stack did not start`);
    return sides;
  };
}
