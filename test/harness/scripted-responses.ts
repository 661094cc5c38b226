// A scripted OpenAI Responses-API server on loopback: real HTTP and server-sent events, deterministic
// replies. Each POST to `<base>/responses` takes the next script step (or the default reply) and
// streams `response.created`, the assistant message as `response.output_item.added`, text deltas and
// `response.output_item.done`, then `response.completed` with token usage. A step can delay, fail
// with an HTTP status, or cut the stream after some deltas. Every request body is kept for assertions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptStep {
  /** The assistant's reply, streamed in `chunks` deltas. */
  text?: string;
  chunks?: number;
  /** Milliseconds before the first event (and between deltas, divided evenly). */
  delayMs?: number;
  /** Answer with this HTTP status and a JSON error body instead of a stream. */
  failStatus?: number;
  /** End the stream after this many deltas, without `response.completed`. */
  cutAfterDeltas?: number;
}

export interface ScriptedResponses {
  /** `http://127.0.0.1:<port>/v1`: a provider's `base_url`. */
  baseUrl: string;
  /** Request bodies received, in order. */
  requests: Record<string, unknown>[];
  /** Queues steps; when none is queued, every request gets `defaultReply`. */
  script(...steps: ScriptStep[]): void;
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

export async function startScriptedResponses(options: { defaultReply?: string } = {}): Promise<ScriptedResponses> {
  const queue: ScriptStep[] = [];
  const requests: Record<string, unknown>[] = [];
  let responseCount = 0;

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== "POST" || !request.url?.endsWith("/responses")) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
      return;
    }
    try {
      requests.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
    } catch {
      requests.push({});
    }
    const step = queue.shift() ?? { text: options.defaultReply ?? "Hello from the scripted provider." };
    if (step.delayMs) await sleep(step.delayMs);
    if (step.failStatus) {
      response
        .writeHead(step.failStatus, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: `scripted failure ${step.failStatus}`, type: "server_error" } }));
      return;
    }
    responseCount++;
    const responseId = `resp_${responseCount}`;
    const itemId = `msg_${responseCount}`;
    const text = step.text ?? "";
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    sse(response, "response.created", { response: { id: responseId, status: "in_progress" } });
    sse(response, "response.output_item.added", {
      output_index: 0,
      item: { type: "message", id: itemId, role: "assistant", status: "in_progress", content: [] },
    });
    const deltas = split(text, step.chunks ?? 3);
    for (const [index, delta] of deltas.entries()) {
      if (step.cutAfterDeltas !== undefined && index >= step.cutAfterDeltas) {
        response.destroy();
        return;
      }
      sse(response, "response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta });
      if (step.delayMs) await sleep(Math.ceil(step.delayMs / deltas.length));
    }
    const message = {
      type: "message",
      id: itemId,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text, annotations: [] }],
    };
    sse(response, "response.output_item.done", { output_index: 0, item: message });
    sse(response, "response.completed", {
      response: {
        id: responseId,
        status: "completed",
        output: [message],
        usage: {
          input_tokens: 12,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: text.length,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 12 + text.length,
        },
      },
    });
    response.end();
  };

  const server: Server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...steps) => void queue.push(...steps),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
