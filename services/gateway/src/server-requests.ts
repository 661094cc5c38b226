// Server→client JSON-RPC requests (`item/tool/call`, …) for one client connection. The thread service
// publishes a request once on the thread's event subject under a token (`Sy-Server-Request`); every
// subscribed connection sends it under a JSON-RPC id of its own (an integer counter from 0, as Codex
// numbers them, never reused), and the client's answer goes back to `serverRequestReply(token)` as a
// `ServerRequestAnswer`. When the thread service announces the token resolved (answered by some
// connection, or withdrawn), each connection still holding it tells its client
// `serverRequest/resolved` with its own id.
//
// Pending requests live and die with the connection. Leaving a thread (`thread/unsubscribe`) keeps
// that thread's pending requests answerable, as Codex still accepts the answer; the connection then
// no longer hears their resolution, so such entries go when the connection closes or are pushed out
// by the bound below.
import {
  clip,
  findJsonDefect,
  INVALID_REQUEST_CODE,
  isWireError,
  type JsonDefect,
  notificationMessage,
  type RequestId,
  type ServerRequestAnswer,
  type ServerRequestEvent,
  serdeDetail,
  serverRequests,
  TurnNotification,
  type WireError,
} from "@switchyard/protocol";

/** A server request read off the bus once, shared by every connection it is delivered to. */
export interface IncomingServerRequest {
  token: string;
  method: string;
  threadId: string;
  /** The params, serialized once: each connection only wraps them in a frame with its own id. */
  paramsJson: string;
}

export interface PendingServerRequest {
  token: string;
  method: string;
  threadId: string;
}

/**
 * A turn withdraws what it asked (timeout, interrupt), but an instance that dies mid-turn never
 * says so: past this many, a connection forgets its oldest pending request rather than grow.
 */
export const MAX_PENDING_SERVER_REQUESTS = 1024;

/** The body of an event carrying `Sy-Server-Request: token`; a reason when it is not a `ServerRequestEvent`. */
export function parseServerRequestEvent(token: string, body: string): IncomingServerRequest | { invalid: string } {
  let event: Partial<ServerRequestEvent>;
  try {
    event = JSON.parse(body);
  } catch {
    return { invalid: "body is not JSON" };
  }
  if (typeof event !== "object" || event === null) return { invalid: "body is not an object" };
  if (typeof event.method !== "string" || event.method.length === 0) return { invalid: "method is not a string" };
  if (typeof event.threadId !== "string") return { invalid: "threadId is not a string" };
  return { token, method: event.method, threadId: event.threadId, paramsJson: JSON.stringify(event.params ?? null) };
}

/** One connection's server requests awaiting its client's answer. */
export class ServerRequestBook {
  private nextId = 0;
  private readonly pendingById = new Map<number, PendingServerRequest>();
  private readonly idByToken = new Map<string, number>();

  constructor(private readonly maxPending = MAX_PENDING_SERVER_REQUESTS) {}

  /**
   * Gives `request` this connection's next id and returns the frame to send, or undefined when the
   * token is already pending here (a duplicate delivery is not asked twice).
   */
  issue(request: IncomingServerRequest): string | undefined {
    if (this.idByToken.has(request.token)) return undefined;
    const id = this.nextId++;
    this.pendingById.set(id, { token: request.token, method: request.method, threadId: request.threadId });
    this.idByToken.set(request.token, id);
    if (this.pendingById.size > this.maxPending) {
      const [oldestId, oldest] = this.pendingById.entries().next().value as [number, PendingServerRequest];
      this.pendingById.delete(oldestId);
      this.idByToken.delete(oldest.token);
    }
    return `{"id":${id},"method":${JSON.stringify(request.method)},"params":${request.paramsJson}}`;
  }

  /** The client answered `id`: the request it answers, now forgotten; undefined when `id` names none. */
  take(id: RequestId): PendingServerRequest | undefined {
    if (typeof id !== "number") return undefined; // ids issued here are integers; "0" is not 0
    const pending = this.pendingById.get(id);
    if (!pending) return undefined;
    this.pendingById.delete(id);
    this.idByToken.delete(pending.token);
    return pending;
  }

  /**
   * The token was resolved elsewhere: the `serverRequest/resolved` frame for this connection's id,
   * now forgotten; undefined when this connection never had it or has already answered it.
   */
  resolve(token: string, emittedAtMs: number): string | undefined {
    const id = this.idByToken.get(token);
    if (id === undefined) return undefined;
    const pending = this.pendingById.get(id);
    this.pendingById.delete(id);
    this.idByToken.delete(token);
    const params = { threadId: pending?.threadId ?? "", requestId: id };
    return JSON.stringify(notificationMessage(TurnNotification.serverRequestResolved, params, emittedAtMs));
  }

  clear(): void {
    this.pendingById.clear();
    this.idByToken.clear();
  }

  get pendingCount(): number {
    return this.pendingById.size;
  }
}

/** `data.reason` of an answer the gateway made of a response the asker could not use. */
export const INVALID_RESPONSE_REASON = "invalidResponse";

const invalidResponse = (connection: string, detail: string): ServerRequestAnswer => ({
  connection,
  error: { code: INVALID_REQUEST_CODE, message: `Invalid response: ${detail}`, data: { reason: INVALID_RESPONSE_REASON } },
});

function describeDefect(defect: JsonDefect): string {
  return defect.kind === "tooDeep"
    ? `recursion limit exceeded (JSON nested deeper than ${defect.maxDepth} levels)`
    : `string at \`${clip(defect.path)}\` contains a NUL character (\\u0000), which cannot be stored`;
}

/**
 * What the client's response frame (`{id, result}` or `{id, error}`) to `pending` tells the turn
 * that asked. Anything the turn could not use — too large for the bus, too deep, a NUL string, a
 * result of the wrong shape, a malformed error — becomes an error answer (-32600 "Invalid response:
 * …"), so the turn fails its tool call cleanly instead of waiting.
 */
export function answerOf(
  pending: PendingServerRequest,
  response: Record<string, unknown>,
  connection: string,
  frame: { byteLength: number; limitBytes: number },
): ServerRequestAnswer {
  if (frame.byteLength > frame.limitBytes) {
    return invalidResponse(connection, `response too large (${frame.byteLength} bytes; the limit is ${frame.limitBytes} bytes)`);
  }
  const defect = findJsonDefect(response);
  if (defect) return invalidResponse(connection, describeDefect(defect));
  if ("error" in response) {
    const error = response.error;
    if (!isWireError(error)) return invalidResponse(connection, "`error` must have a numeric `code` and a string `message`");
    const relayed: WireError = { code: error.code, message: error.message };
    if (error.data !== undefined) relayed.data = error.data;
    return { connection, error: relayed };
  }
  const result = response.result;
  const spec = Object.hasOwn(serverRequests, pending.method)
    ? serverRequests[pending.method as keyof typeof serverRequests]
    : undefined;
  if (spec) {
    const parsed = spec.result.safeParse(result);
    if (!parsed.success) return invalidResponse(connection, serdeDetail(parsed.error, result));
  }
  return { connection, result };
}
