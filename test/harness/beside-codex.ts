// The real `codex app-server` 0.171.0 (stdio, loopback, a fresh CODEX_HOME and working directory)
// beside a Switchyard stack and a client of it: what the interop suites compare side by side.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodexTestClient } from "./client.js";
import { ensureCodexBinary, loopbackCodexHome } from "./codex-binary.js";
import { type Stack, startStack } from "./stack.js";
import { StdioAppServer } from "./stdio-app-server.js";

export interface BesideCodex {
  codex: StdioAppServer;
  stack: Stack;
  client: CodexTestClient;
  /** The directory the binary runs in (its own cwd), with `workspace` the temporary folder holding it. */
  serverCwd: string;
  workspace: string;
  stop(): Promise<void>;
}

export async function besideCodex(
  name: string,
  options: {
    /** config.toml lines and the provider, as `loopbackCodexHome` takes them. */
    codexHome?: Parameters<typeof loopbackCodexHome>[1];
    stack?: Parameters<typeof startStack>[1];
    client?: Parameters<typeof CodexTestClient.open>[1];
    /** Runs after the stack is up and before the client connects (operator setup). */
    prepare?: (stack: Stack, workspace: string) => Promise<void>;
  } = {},
): Promise<BesideCodex> {
  const workspace = mkdtempSync(join(tmpdir(), `sy-${name}-`));
  const serverCwd = join(workspace, "work");
  mkdirSync(serverCwd);
  const parts: Partial<BesideCodex> = { workspace, serverCwd };
  const stop = async () => {
    await parts.client?.close();
    await parts.stack?.stop();
    await parts.codex?.stop();
  };
  try {
    parts.codex = await StdioAppServer.start(ensureCodexBinary("0.171.0"), {
      codexHome: loopbackCodexHome(join(workspace, "home"), options.codexHome),
      cwd: serverCwd,
    });
    parts.stack = await startStack(name, options.stack);
    await options.prepare?.(parts.stack, workspace);
    parts.client = await CodexTestClient.open(parts.stack.url, options.client);
  } catch (error) {
    await stop();
    throw error;
  }
  return { ...(parts as Omit<BesideCodex, "stop">), stop };
}
