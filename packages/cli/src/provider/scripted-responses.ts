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
//
// For the provider client's retry tests a step can also: fail `failTimes` requests in a row with
// `failStatus` (then answer the next request normally, e.g. a 500 then a stream), send `failHeaders`
// with its failures (`retry-after-ms`), cut the stream right after `response.created`
// (`cutAfterCreated`: before any output), hang after some deltas (`stallAfterDeltas`), or end with
// `response.failed` (`responseFailed`) or `response.incomplete` (`responseIncomplete`) after
// `response.created`.
//
// For the benchmark (test/bench): a step can make its deltas as it sends them (`generatedDeltas`,
// e.g. each stamped with its send time) with a fixed gap between them, `stepFor` picks a step from
// the request itself when none is queued, and `recordRequests: false` keeps no request history.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptStep {
  /** The assistant's reply, streamed in `chunks` deltas. Default: the server's default reply. */
  text?: string;
  chunks?: number;
  /** A reasoning summary streamed (as `response.reasoning_summary_text.delta`) before the reply. */
  reasoningSummary?: string;
  /**
   * The usage `response.completed` reports, in place of 12 input tokens and the output's length. (A
   * client that runs a tool call as soon as its item is done may or may not have read the usage
   * yet when the tool runs: a call reported as spending nothing reads the same either way.)
   */
  usage?: { inputTokens: number; outputTokens: number };
  /** Answer with a function call instead of a message (the model calling a tool). */
  toolCall?: { name: string; arguments: unknown; callId?: string; namespace?: string };
  /** Milliseconds before the first event (and between deltas, divided evenly). */
  delayMs?: number;
  /** Answer with this HTTP status and a JSON error body instead of a stream. */
  failStatus?: number;
  /**
   * With `failStatus`: fail this many requests in a row, then answer the next one with the rest of
   * the step (a stream). Without it the step fails once and is used up.
   */
  failTimes?: number;
  /** With `failStatus`: this body instead of the JSON error (sent as text/plain unless it parses as JSON). */
  failBody?: string;
  /** Extra response headers sent with a `failStatus` answer (e.g. `{"retry-after-ms": "50"}`). */
  failHeaders?: Record<string, string>;
  /** Extra response headers sent with the stream (e.g. Codex's `x-codex-primary-used-percent`). */
  headers?: Record<string, string>;
  /** End the stream right after `response.created`, before any output item (a drop before output). */
  cutAfterCreated?: boolean;
  /** Send `response.failed` with this error after `response.created`, then end the stream. */
  responseFailed?: { code?: string; message: string };
  /** Send `response.incomplete` with this reason after `response.created`, then end the stream. */
  responseIncomplete?: string;
  /**
   * End the stream after this many deltas, without `response.completed`. Without `delayMs` the
   * socket is destroyed before anything was flushed, so the client sees a connection closed before
   * the response headers (Codex: "error sending request"); with `delayMs` it sees the deltas first.
   */
  cutAfterDeltas?: number;
  /** Send the stream's headers and `response.created`, then nothing more (a provider that hangs). */
  stall?: boolean;
  /** Send this many text deltas, then nothing more (a provider that hangs mid-answer). */
  stallAfterDeltas?: number;
  /**
   * Instead of splitting `text`: send `count` text deltas, delta i made by `makeDelta(i)` right as it
   * is sent (a benchmark stamps each with its send time), `gapMs` apart; the message's text is their
   * concatenation. `cutAfterDeltas` and `stallAfterDeltas` apply as usual.
   */
  generatedDeltas?: { count: number; gapMs?: number; makeDelta(index: number): string };
}

export interface ScriptedResponsesOptions {
  defaultReply?: string;
  host?: string;
  port?: number;
  /** Picks the step for a request when none is queued (undefined: the default reply). */
  stepFor?: (body: Record<string, unknown>) => ScriptStep | undefined;
  /** Keep each request's body, headers and URL (`requests`, …). Default true; a long benchmark turns it off. */
  recordRequests?: boolean;
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
  /** Drops the steps not taken yet (a test's leftovers must not answer the next test). */
  clearScript(): void;
  close(): Promise<void>;
}

const sse = (response: ServerResponse, type: string, body: Record<string, unknown>, flushed?: () => void) =>
  response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`, flushed);

// Unref'd: the listening server keeps the process alive; a scripted delay must not outlive close().
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

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

export async function startScriptedResponses(options: ScriptedResponsesOptions = {}): Promise<ScriptedResponses> {
  const queue: ScriptStep[] = [];
  const requests: Record<string, unknown>[] = [];
  const requestHeaders: Record<string, string | string[] | undefined>[] = [];
  const requestUrls: string[] = [];
  let responseCount = 0;
  // How many requests the head step has failed so far (for `failTimes`).
  let headStepFailures = 0;

  const takeStep = (): ScriptStep => {
    const head = queue[0];
    if (head?.failStatus && head.failTimes !== undefined) {
      if (headStepFailures < head.failTimes) {
        headStepFailures++;
        return head;
      }
      queue.shift();
      headStepFailures = 0;
      const { failStatus: _failed, failTimes: _times, failHeaders: _headers, failBody: _body, ...rest } = head;
      return rest;
    }
    return queue.shift() ?? {};
  };

  const defaultText = (body: Record<string, unknown>) => {
    if (options.defaultReply !== undefined) return options.defaultReply;
    const said = lastUserText(body);
    return said ? `Hello from Switchyard's scripted provider. You said: ${said}` : "Hello from Switchyard's scripted provider.";
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
    if (options.recordRequests !== false) {
      requests.push(body);
      requestHeaders.push({ ...request.headers });
      requestUrls.push(request.url);
    }
    const step = queue.length === 0 && options.stepFor ? (options.stepFor(body) ?? {}) : takeStep();
    if (step.delayMs) await sleep(step.delayMs);
    if (step.failStatus) {
      const body =
        step.failBody ?? JSON.stringify({ error: { message: `scripted failure ${step.failStatus}`, type: "server_error" } });
      const isJson = (() => {
        try {
          JSON.parse(body);
          return true;
        } catch {
          return false;
        }
      })();
      response
        .writeHead(step.failStatus, { ...step.failHeaders, "content-type": isJson ? "application/json" : "text/plain" })
        .end(body);
      return;
    }
    responseCount++;
    const responseId = `resp_${responseCount}`;
    response.writeHead(200, { ...step.headers, "content-type": "text/event-stream", "cache-control": "no-cache" });
    // Destroyed only once written: a socket destroyed at once loses the corked headers too.
    const cutNow = step.cutAfterCreated ? () => response.destroy() : undefined;
    sse(response, "response.created", { response: { id: responseId, status: "in_progress" } }, cutNow);
    if (step.stall || cutNow) return; // stalled: headers sent, nothing more; the client's idle timeout must end it
    if (step.responseFailed) {
      const error = { code: step.responseFailed.code ?? null, message: step.responseFailed.message };
      sse(response, "response.failed", { response: { id: responseId, status: "failed", error } });
      response.end();
      return;
    }
    if (step.responseIncomplete !== undefined) {
      sse(response, "response.incomplete", {
        response: { id: responseId, status: "incomplete", incomplete_details: { reason: step.responseIncomplete } },
      });
      response.end();
      return;
    }
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
        sse(response, "response.reasoning_summary_text.delta", {
          item_id: reasoningId,
          output_index: outputIndex,
          summary_index: 0,
          delta,
        });
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
        arguments:
          typeof step.toolCall.arguments === "string" ? step.toolCall.arguments : JSON.stringify(step.toolCall.arguments),
        status: "completed",
      };
      sse(response, "response.output_item.added", {
        output_index: outputIndex,
        item: { ...call, arguments: "", status: "in_progress" },
      });
      sse(response, "response.function_call_arguments.delta", {
        item_id: call.id,
        output_index: outputIndex,
        delta: call.arguments,
      });
      sse(response, "response.output_item.done", { output_index: outputIndex, item: call });
      output.push(call);
      outputTokens += call.arguments.length;
    } else {
      const itemId = `msg_${responseCount}`;
      const generated = step.generatedDeltas;
      let text = generated ? "" : (step.text ?? structuredAnswer(body) ?? defaultText(body));
      sse(response, "response.output_item.added", {
        output_index: outputIndex,
        item: { type: "message", id: itemId, role: "assistant", status: "in_progress", content: [] },
      });
      const deltas = generated ? [] : split(text, step.chunks ?? 3);
      const deltaCount = generated ? generated.count : deltas.length;
      for (let index = 0; index < deltaCount; index++) {
        // The client went away (its turn ended, its process died): stop streaming to nobody.
        if (response.destroyed) return;
        if (step.cutAfterDeltas !== undefined && index >= step.cutAfterDeltas) {
          response.destroy();
          return;
        }
        if (step.stallAfterDeltas !== undefined && index >= step.stallAfterDeltas) return;
        const delta = generated ? generated.makeDelta(index) : (deltas[index] as string);
        if (generated) text += delta;
        sse(response, "response.output_text.delta", { item_id: itemId, output_index: outputIndex, content_index: 0, delta });
        if (generated?.gapMs && index < deltaCount - 1) await sleep(generated.gapMs);
        else if (step.delayMs) await sleep(Math.ceil(step.delayMs / deltaCount));
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
          input_tokens: step.usage?.inputTokens ?? 12,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: step.usage?.outputTokens ?? outputTokens,
          output_tokens_details: { reasoning_tokens: step.reasoningSummary?.length ?? 0 },
          total_tokens: (step.usage?.inputTokens ?? 12) + (step.usage?.outputTokens ?? outputTokens),
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
    clearScript: () => void queue.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
