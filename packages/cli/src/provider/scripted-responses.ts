// A scripted OpenAI Responses-API server on loopback: real HTTP and server-sent events, deterministic
// replies. `pnpm start` runs it as the packaged default provider when no real one is configured (so
// a first prompt gets an answer offline); the tests and the benchmark script it step by step.
//
// Each POST to `<base>/responses` takes the next script step (or the default reply) and streams what
// the real API streams: `response.created`, output items (`response.output_item.added` … `.done`),
// text deltas, reasoning-summary deltas, function calls, then `response.completed` with token usage.
// A step can delay, fail with an HTTP status, stall, or cut the stream after some deltas. A request
// that asks for structured output (`text.format.type = "json_schema"`) gets a JSON object with every
// required string property filled in, unless the step says what to answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptStep {
  /** The assistant's reply, streamed in `chunks` deltas. Default: the server's default reply. */
  text?: string;
  chunks?: number;
  /** A reasoning summary streamed (as `response.reasoning_summary_text.delta`) before the reply. */
  reasoningSummary?: string;
  /** Answer with a function call instead of a message (the model calling a tool). */
  toolCall?: { name: string; arguments: unknown; callId?: string; namespace?: string };
  /** Milliseconds before the first event (and between deltas, divided evenly). */
  delayMs?: number;
  /** Answer with this HTTP status and a JSON error body instead of a stream. */
  failStatus?: number;
  /** End the stream after this many deltas, without `response.completed`. */
  cutAfterDeltas?: number;
  /** Send the stream's headers and `response.created`, then nothing more (a provider that hangs). */
  stall?: boolean;
}

export interface ScriptedResponses {
  /** `http://127.0.0.1:<port>/v1`: a provider's `base_url`. */
  baseUrl: string;
  /** Request bodies received, in order. */
  requests: Record<string, unknown>[];
  /** Request headers received, in order (lower-case names). */
  requestHeaders: Record<string, string | string[] | undefined>[];
  /** Request URLs (path and query) received, in order. */
  requestUrls: string[];
  /** Queues steps; when none is queued, every request gets the default reply. */
  script(...steps: ScriptStep[]): void;
  /** Steps queued and not yet taken. */
  pendingSteps(): number;
  close(): Promise<void>;
}

const sse = (response: ServerResponse, type: string, body: Record<string, unknown>) =>
  response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function split(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, parts)));
  const chunks: string[] = [];
  for (let index = 0; index < text.length; index += size) chunks.push(text.slice(index, index + size));
  return chunks.length > 0 ? chunks : [""];
}

/** The text of the last user message in a Responses request's `input`. */
export function lastUserText(body: Record<string, unknown>): string {
  const input = Array.isArray(body.input) ? (body.input as Record<string, unknown>[]) : [];
  for (let index = input.length - 1; index >= 0; index--) {
    const item = input[index];
    if (item?.role !== "user" || !Array.isArray(item.content)) continue;
    const text = (item.content as Record<string, unknown>[])
      .filter((part) => part.type === "input_text" && typeof part.text === "string")
      .map((part) => part.text as string)
      .join("\n");
    if (text) return text;
  }
  return "";
}

/** A JSON answer for a structured-output request: each required string property filled in. */
function structuredAnswer(body: Record<string, unknown>): string | undefined {
  const format = (body.text as { format?: { type?: string; schema?: Record<string, unknown> } } | undefined)?.format;
  if (format?.type !== "json_schema") return undefined;
  const schema = format.schema ?? {};
  const properties = (schema.properties ?? {}) as Record<string, { type?: string }>;
  const required = (schema.required as string[] | undefined) ?? Object.keys(properties);
  const words = lastUserText(body).split(/\s+/).filter(Boolean).slice(0, 4).join(" ");
  const answer: Record<string, unknown> = {};
  for (const name of required) {
    const type = properties[name]?.type;
    answer[name] =
      type === "number" || type === "integer"
        ? 1
        : type === "boolean"
          ? true
          : name === "title"
            ? `Scripted: ${words || "a conversation"}`
            : `scripted ${name}`;
  }
  return JSON.stringify(answer);
}

export async function startScriptedResponses(
  options: { defaultReply?: string; host?: string; port?: number } = {},
): Promise<ScriptedResponses> {
  const queue: ScriptStep[] = [];
  const requests: Record<string, unknown>[] = [];
  const requestHeaders: Record<string, string | string[] | undefined>[] = [];
  const requestUrls: string[] = [];
  let responseCount = 0;

  const defaultText = (body: Record<string, unknown>) => {
    if (options.defaultReply !== undefined) return options.defaultReply;
    const said = lastUserText(body);
    return said
      ? `Hello from Switchyard's scripted provider. You said: ${said}`
      : "Hello from Switchyard's scripted provider.";
  };

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== "POST" || !request.url?.split("?")[0]?.endsWith("/responses")) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
      return;
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    } catch {
      // kept as {}
    }
    requests.push(body);
    requestHeaders.push({ ...request.headers });
    requestUrls.push(request.url);
    const step = queue.shift() ?? {};
    if (step.delayMs) await sleep(step.delayMs);
    if (step.failStatus) {
      response
        .writeHead(step.failStatus, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: `scripted failure ${step.failStatus}`, type: "server_error" } }));
      return;
    }
    responseCount++;
    const responseId = `resp_${responseCount}`;
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    sse(response, "response.created", { response: { id: responseId, status: "in_progress" } });
    if (step.stall) return; // headers sent, nothing more: the client's idle timeout must end it
    const output: Record<string, unknown>[] = [];
    let outputIndex = 0;
    let outputTokens = 0;

    if (step.reasoningSummary !== undefined) {
      const reasoningId = `rs_${responseCount}`;
      sse(response, "response.output_item.added", {
        output_index: outputIndex,
        item: { type: "reasoning", id: reasoningId, summary: [] },
      });
      sse(response, "response.reasoning_summary_part.added", {
        item_id: reasoningId,
        output_index: outputIndex,
        summary_index: 0,
        part: { type: "summary_text", text: "" },
      });
      for (const delta of split(step.reasoningSummary, 2)) {
        sse(response, "response.reasoning_summary_text.delta", { item_id: reasoningId, output_index: outputIndex, summary_index: 0, delta });
      }
      const reasoning = {
        type: "reasoning",
        id: reasoningId,
        summary: [{ type: "summary_text", text: step.reasoningSummary }],
      };
      sse(response, "response.output_item.done", { output_index: outputIndex, item: reasoning });
      output.push(reasoning);
      outputIndex++;
      outputTokens += step.reasoningSummary.length;
    }

    if (step.toolCall) {
      const call = {
        type: "function_call",
        id: `fc_${responseCount}`,
        call_id: step.toolCall.callId ?? `call_${responseCount}`,
        name: step.toolCall.name,
        ...(step.toolCall.namespace ? { namespace: step.toolCall.namespace } : {}),
        arguments: typeof step.toolCall.arguments === "string" ? step.toolCall.arguments : JSON.stringify(step.toolCall.arguments),
        status: "completed",
      };
      sse(response, "response.output_item.added", { output_index: outputIndex, item: { ...call, arguments: "", status: "in_progress" } });
      sse(response, "response.function_call_arguments.delta", { item_id: call.id, output_index: outputIndex, delta: call.arguments });
      sse(response, "response.output_item.done", { output_index: outputIndex, item: call });
      output.push(call);
      outputTokens += call.arguments.length;
    } else {
      const itemId = `msg_${responseCount}`;
      const text = step.text ?? structuredAnswer(body) ?? defaultText(body);
      sse(response, "response.output_item.added", {
        output_index: outputIndex,
        item: { type: "message", id: itemId, role: "assistant", status: "in_progress", content: [] },
      });
      const deltas = split(text, step.chunks ?? 3);
      for (const [index, delta] of deltas.entries()) {
        if (step.cutAfterDeltas !== undefined && index >= step.cutAfterDeltas) {
          response.destroy();
          return;
        }
        sse(response, "response.output_text.delta", { item_id: itemId, output_index: outputIndex, content_index: 0, delta });
        if (step.delayMs) await sleep(Math.ceil(step.delayMs / deltas.length));
      }
      const message = {
        type: "message",
        id: itemId,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text, annotations: [] }],
      };
      sse(response, "response.output_item.done", { output_index: outputIndex, item: message });
      output.push(message);
      outputTokens += text.length;
    }
    sse(response, "response.completed", {
      response: {
        id: responseId,
        status: "completed",
        output,
        usage: {
          input_tokens: 12,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: step.reasoningSummary?.length ?? 0 },
          total_tokens: 12 + outputTokens,
        },
      },
    });
    response.end();
  };

  const server: Server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://${options.host ?? "127.0.0.1"}:${port}/v1`,
    requests,
    requestHeaders,
    requestUrls,
    script: (...steps) => void queue.push(...steps),
    pendingSteps: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
