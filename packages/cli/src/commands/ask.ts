// `switchyard ask "prompt"`: one turn on a new thread through @switchyard/client; only the final
// agent message goes to stdout (progress to stderr), so `ANSWER=$(pnpm -s switchyard ask "…")` works.
import { SwitchyardClient } from "@switchyard/client";
import { parseTtl } from "../auth/dev-token.js";
import type { Command } from "./command.js";
import { tokenForEnv } from "./token.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export const askCommand: Command = {
  name: "ask",
  summary: "run one turn on a new thread and print the agent's final message",
  positional: "prompt",
  options: {
    prompt: { type: "string", description: "the prompt (or the first argument, or stdin)" },
    model: { type: "string", description: "model for the thread (default: the tenant's)" },
    cwd: { type: "string", description: "working directory for the thread" },
    url: { type: "string", description: "gateway WebSocket URL (default: SWITCHYARD_URL, ws://127.0.0.1:4545)" },
    token: {
      type: "string",
      description: "client JWT (default: SWITCHYARD_TOKEN, else a dev token for tenant dev, subject you)",
    },
    timeout: { type: "string", description: "give up after this long: seconds or 30s, 15m, 1h (default 10m)" },
  },
  details: [
    'Examples: pnpm -s switchyard ask "What is 2+2?"      echo "Summarize this" | pnpm -s switchyard ask',
    "Progress goes to stderr; stdout holds only the agent's final message. Exits 1 when the turn fails.",
  ].join("\n"),
  async run(options, context) {
    let prompt = options.prompt as string | undefined;
    if (prompt === undefined && !process.stdin.isTTY) prompt = await readStdin();
    prompt = prompt?.trim();
    if (!prompt) {
      context.printError("switchyard ask: no prompt (pass it as an argument, with --prompt, or on stdin)");
      return 2;
    }
    const url = (options.url as string | undefined) ?? (process.env.SWITCHYARD_URL || "ws://127.0.0.1:4545");
    const token =
      (options.token as string | undefined) ??
      (process.env.SWITCHYARD_TOKEN || undefined) ??
      (await tokenForEnv(context.env, { tenant: "dev", subject: "you", roles: [], ttl: "1h" }));
    const timeoutMs = parseTtl((options.timeout as string | undefined) ?? "10m") * 1000;

    let client: SwitchyardClient;
    try {
      client = await SwitchyardClient.connect({
        url,
        token,
        clientInfo: { name: "switchyard-ask", title: "switchyard ask", version: "0.1.0" },
      });
    } catch (error) {
      context.printError(`switchyard ask: cannot connect to ${url}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    try {
      const { thread, model } = await client.request("thread/start", {
        model: (options.model as string | undefined) ?? null,
        cwd: (options.cwd as string | undefined) ?? null,
        ephemeral: null,
      });
      context.printError(`thread ${thread.id} (model ${model})`);
      const completed = client.waitFor("turn/completed", (params) => params.threadId === thread.id, timeoutMs);
      completed.catch(() => {});
      const started = await client.request("turn/start", {
        threadId: thread.id,
        input: [{ type: "text", text: prompt, text_elements: [] }],
      });
      context.printError(`turn ${started.turn.id} started`);
      const { turn } = await completed;
      if (turn.status !== "completed") {
        context.printError(`turn ${turn.status}: ${turn.error?.message ?? "no error message"}`);
        return 1;
      }
      const messages = turn.items.filter((item) => item.type === "agentMessage");
      const last = messages.at(-1) as { text?: string } | undefined;
      context.print(last?.text ?? "");
      return 0;
    } finally {
      await client.close({ timeoutMs: 1_000 });
    }
  },
};
