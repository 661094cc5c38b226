// The real `codex app-server` 0.171.0 (stdio, loopback, a fresh CODEX_HOME and working directory)
// beside a Switchyard stack and a client of it: what the interop suites compare side by side.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodexTestClient } from "./client.js";
import { ensureCodexBinary, loopbackCodexHome } from "./codex-binary.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./scripted-responses.js";
import { type Stack, startStack } from "./stack.js";
import { StdioAppServer } from "./stdio-app-server.js";
import { hs256Token, TEST_HS256_SECRET } from "./tokens.js";

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
    /** The binary's own client asks for the experimental API (default true). */
    codexExperimentalApi?: boolean;
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
      experimentalApi: options.codexExperimentalApi,
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

/**
 * `besideCodex` with its client a user of a tenant (a token the stack's gateway accepts), so what the
 * client writes to its config lands in that user's layer, as the binary's lands in its config.toml.
 */
export async function besideCodexAsUser(name: string, user: { tenant: string; subject: string }): Promise<BesideCodex> {
  return besideCodex(name, {
    stack: { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } },
    client: { token: await hs256Token({ tenant: user.tenant, sub: user.subject }) },
  });
}

/** A reply as either side gives it. */
export type SideReply = { result?: any; error?: { code: number; message: string } };
/** What a side sent: a notification by its method and params, an answer as `answer`. */
export interface Heard {
  method: string;
  params?: any;
}

/** One side as an interop suite drives it: the binary over stdio, or Switchyard through its gateway. */
export interface Side {
  name: "codex" | "switchyard";
  request(method: string, params: unknown): Promise<SideReply>;
  /** From now on: a function listing what this side sent since. */
  heardFrom(): () => Heard[];
  turnCompleted(turnId: string): Promise<unknown>;
}

/** The two sides of `beside`, each driven the same way. */
export function sidesOf(beside: BesideCodex): { codex: Side; switchyard: Side } {
  const completed = (turnId: string) => (n: { method: string; params: any }) =>
    n.method === "turn/completed" && n.params.turn.id === turnId;
  return {
    codex: {
      name: "codex",
      request: (method, params) => beside.codex.request(method, params),
      heardFrom: () => {
        const from = beside.codex.lines.length;
        return () =>
          beside.codex.lines.slice(from).map((line) => {
            const message = JSON.parse(line);
            return message.method ? { method: message.method, params: message.params } : { method: "answer" };
          });
      },
      turnCompleted: (turnId) => beside.codex.waitForNotification(completed(turnId), 30_000),
    },
    switchyard: {
      name: "switchyard",
      request: (method, params) => beside.client.request(method, params),
      heardFrom: () => {
        const from = beside.client.received.length;
        return () =>
          beside.client.received
            .slice(from)
            .map((frame) => (frame.kind === "result" ? { method: "answer" } : { method: frame.method, params: frame.body }));
      },
      turnCompleted: (turnId) => beside.client.waitForNotification(completed(turnId), 30_000),
    },
  };
}

/** The result of a request the side must answer without an error. */
export async function sideCall(side: Side, method: string, params: unknown): Promise<any> {
  const reply = await side.request(method, params);
  if (reply.error) throw new Error(`${side.name} ${method}: ${JSON.stringify(reply.error)}`);
  return reply.result;
}

/**
 * Names for ids (UUIDs, any case) in the order they first appear, so two sides' transcripts compare
 * though their ids differ: `<1>`, `<2>`, … (`in upper case` for an id spelled so); `kept` ids stay.
 */
export function idNamer(kept: readonly string[] = []): (text: string) => string {
  const names = new Map<string, string>();
  return (text) =>
    text.replaceAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (spelled) => {
      const id = spelled.toLowerCase();
      if (kept.includes(id)) return spelled;
      if (!names.has(id)) names.set(id, `<${names.size + 1}>`);
      return `${names.get(id)}${spelled === id ? "" : " in upper case"}`;
    });
}

/**
 * How a side-by-side transcript shows a value, so the two sides' compare: ids named (idNamer), numbers
 * under a `times` key blanked, whatever is under an `own` key (each side's model, paths, cursors)
 * blanked, Responses item ids (`msg_…`, `rs_…`, `fco_…`) made generic, and `text` applied to every
 * other string.
 */
export function transcriptView(options: {
  times: RegExp;
  own: RegExp;
  text?: (value: string) => string;
}): (value: unknown) => any {
  const name = idNamer();
  const text = options.text ?? ((value: string) => value);
  return (value) =>
    JSON.parse(
      name(
        JSON.stringify(value, (key, inner) =>
          options.times.test(key) && typeof inner === "number"
            ? "<time>"
            : options.own.test(key)
              ? "<own>"
              : typeof inner === "string"
                ? text(inner.replace(/^(msg|rs|fco)_[\w-]+$/, "<$1 id>"))
                : inner,
        ),
      ),
    );
}

/**
 * A request through `client` whose answer (a refusal's code and message), as `shown` shows it, joins
 * the transcript's current step (`stepNow()`); resolves with the result.
 */
export function recordingCall(
  client: CodexTestClient,
  shown: (value: unknown) => unknown,
  stepNow: () => unknown[],
): (method: string, params: unknown) => Promise<any> {
  return async (method, params) => {
    const reply = await client.request(method, params);
    stepNow().push({
      [`answer to ${method}`]: shown(reply.error ? { code: reply.error.code, message: reply.error.message } : reply.result),
    });
    return reply.result;
  };
}

/**
 * A thread started in `cwd` with one turn per prompt, each answered `answer <prompt>` by the scripted
 * provider both sides use (so the thread's preview is its first prompt); its id and its turns' ids.
 */
export async function threadWithTurns(
  side: Side,
  provider: { script(...steps: { text: string }[]): void },
  cwd: string,
  prompts: string[],
  start: Record<string, unknown> = {},
): Promise<{ threadId: string; turnIds: string[] }> {
  const threadId = (await sideCall(side, "thread/start", { cwd, ...start })).thread.id as string;
  const turnIds: string[] = [];
  for (const prompt of prompts) {
    provider.script({ text: `answer ${prompt}` });
    const input = [{ type: "text", text: prompt, text_elements: [] }];
    const turnId = (await sideCall(side, "turn/start", { threadId, input })).turn.id as string;
    await side.turnCompleted(turnId);
    turnIds.push(turnId);
  }
  return { threadId, turnIds };
}

/**
 * Both sides with one scripted Responses server as their model provider (what a suite that runs turns
 * on both needs), the experimental API on; `stop` stops the sides, then the provider.
 */
export async function besideCodexScripted(name: string): Promise<{ sides: BesideCodex; provider: ScriptedResponses }> {
  const provider = await startScriptedResponses();
  try {
    const sides = await besideCodex(name, {
      codexHome: { providerBaseUrl: provider.baseUrl },
      stack: scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl)),
      client: { experimentalApi: true },
    });
    const stopSides = sides.stop;
    sides.stop = async () => {
      await stopSides();
      await provider.close();
    };
    return { sides, provider };
  } catch (error) {
    await provider.close();
    throw error;
  }
}

/** A model request's input as lines: type, role and the text of each item (ids and formats aside). */
export function inputLines(request: Record<string, unknown> | undefined): string[] {
  const input = (request?.input ?? []) as { type?: string; role?: string; content?: { text?: string }[]; output?: unknown }[];
  return input.map((item) => {
    const text = item.content?.map((part) => part.text ?? "").join("") ?? JSON.stringify(item.output ?? "");
    return `${item.type}/${item.role ?? ""}: ${text}`;
  });
}
