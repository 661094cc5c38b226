// A Codex-style app-server client over WebSocket for tests and benchmarks: JSON-RPC "lite" requests
// with integer ids, notifications and server→client requests collected in arrival order.
import WebSocket from "ws";
import { checkFrame, conformance } from "./conformance.js";

export interface RpcReply {
  id: number | string;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface Notification {
  method: string;
  params: any;
  emittedAtMs: number;
}

/** A request the server sent to this client (`item/tool/call`, …), under the server's id. */
export interface ServerRequest {
  id: number | string;
  method: string;
  params: any;
}

export class CodexTestClient {
  readonly notifications: Notification[] = [];
  /** Every result and notification frame received, for schema conformance checks. */
  readonly received: { kind: "result" | "notification" | "serverRequest"; method: string; body: unknown }[] = [];
  readonly serverRequests: ServerRequest[] = [];
  private readonly serverRequestWaiters: { predicate: (r: ServerRequest) => boolean; resolve: (r: ServerRequest) => void }[] = [];
  private readonly pending = new Map<number | string, { method: string; resolve: (reply: RpcReply) => void }>();
  private readonly waiters: { predicate: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];
  private nextId = 1;
  /**
   * Keep every frame (`received`, `notifications`) and check each against the official schema; a
   * load generator turns this off so its own bookkeeping does not cap what it measures (waiters
   * still see notifications as they arrive).
   */
  recordFrames = true;
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString());
      // A frame with both a method and an id is the server asking; its id may equal one of ours.
      if (typeof message.method === "string" && message.id !== undefined) {
        this.onServerRequest(message);
        return;
      }
      if (message.id !== undefined && this.pending.has(message.id)) {
        const entry = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (entry && "result" in message && this.recordFrames) {
          this.received.push({ kind: "result", method: entry.method, body: message.result });
          checkFrame("result", entry.method, message.result);
        }
        entry?.resolve(message);
        return;
      }
      if (typeof message.method === "string") {
        if (this.recordFrames) {
          this.notifications.push(message);
          this.received.push({ kind: "notification", method: message.method, body: message.params });
          checkFrame("notification", message.method, message.params);
          if (typeof message.emittedAtMs !== "number")
            conformance.failures.push(`notification ${message.method} without emittedAtMs`);
        }
        for (const waiter of [...this.waiters]) {
          if (waiter.predicate(message)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(message);
          }
        }
      }
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  private onServerRequest(message: ServerRequest): void {
    this.serverRequests.push(message);
    this.received.push({ kind: "serverRequest", method: message.method, body: message.params });
    checkFrame("serverRequest", message.method, message.params);
    if (typeof message.id !== "number" && typeof message.id !== "string")
      conformance.failures.push(`server request ${message.method} with id ${JSON.stringify(message.id)}`);
    for (const waiter of [...this.serverRequestWaiters]) {
      if (waiter.predicate(message)) {
        this.serverRequestWaiters.splice(this.serverRequestWaiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  }

  static async connect(
    url: string,
    options: { token?: string; headers?: Record<string, string> } = {},
  ): Promise<CodexTestClient> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) => {
        reject(new Error(`upgrade refused: ${response.statusCode}`));
      });
    });
    return new CodexTestClient(socket);
  }

  /** Connects and initializes in one step. */
  static async open(
    url: string,
    options: { token?: string; experimentalApi?: boolean; optOut?: string[]; name?: string } = {},
  ): Promise<CodexTestClient> {
    const client = await CodexTestClient.connect(url, options);
    const reply = await client.request("initialize", {
      clientInfo: { name: options.name ?? "switchyard-test", title: null, version: "0.169.0" },
      capabilities: { experimentalApi: options.experimentalApi ?? false, optOutNotificationMethods: options.optOut ?? null },
    });
    if (reply.error) throw new Error(`initialize failed: ${reply.error.message}`);
    return client;
  }

  /** Sends a request without waiting (pipelining); the promise resolves with its reply. */
  request(method: string, params?: unknown): Promise<RpcReply> {
    const id = this.nextId++;
    const promise = new Promise<RpcReply>((resolve) => this.pending.set(id, { method, resolve }));
    const frame: Record<string, unknown> = { id, method };
    if (params !== undefined) frame.params = params;
    this.socket.send(JSON.stringify(frame));
    return promise;
  }

  /** Like request, but throws on an error reply and returns the result. */
  async call<T = any>(method: string, params?: unknown): Promise<T> {
    const reply = await this.request(method, params);
    if (reply.error) throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.result as T;
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  waitForNotification(predicate: (n: Notification) => boolean, timeoutMs = 5_000): Promise<Notification> {
    const existing = this.notifications.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a notification")), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (n) => {
          clearTimeout(timer);
          resolve(n);
        },
      });
    });
  }

  waitForServerRequest(predicate: (r: ServerRequest) => boolean = () => true, timeoutMs = 5_000): Promise<ServerRequest> {
    const existing = this.serverRequests.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a server request")), timeoutMs);
      this.serverRequestWaiters.push({
        predicate,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Answers a server request with a result. */
  respond(id: number | string, result: unknown): void {
    this.socket.send(JSON.stringify({ id, result }));
  }

  /** Answers a server request with an error. */
  respondError(id: number | string, error: { code: number; message: string; data?: unknown }): void {
    this.socket.send(JSON.stringify({ id, error }));
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  close(): Promise<number> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close();
    return this.closed;
  }
}

/** Attempts an upgrade and reports how the server answered (status and plain-text body). */
export async function attemptUpgrade(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string } | { status: 101 }> {
  const socket = new WebSocket(url, { headers, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    socket.once("open", () => {
      socket.close();
      resolve({ status: 101 });
    });
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once("error", (error) => reject(error));
  });
}

/**
 * Records something about a thread just started (its git branch), so that it can be resumed or
 * forked: as in Codex 0.171.0, a thread nothing is recorded about has no rollout, and resume and fork
 * refuse it. Sends no notification.
 */
export async function recordSomething(client: CodexTestClient, threadId: string): Promise<void> {
  await client.call("thread/metadata/update", { threadId, gitInfo: { branch: "main" } });
}
