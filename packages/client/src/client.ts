// A typed client for the Switchyard (Codex app-server v2) protocol: JSON-RPC "lite" over WebSocket.
// Params and results are checked with the protocol registry's schemas; both directions are bounded
// (requests in flight, notifications waiting for a consumer), and close() is bounded too.
import {
  type MethodName,
  type MethodResult,
  methodRegistry,
  type methods,
  type NotificationName,
  type NotificationParams,
  serverRequests,
} from "@switchyard/protocol";
import WebSocket from "ws";

type Methods = typeof methods;
/** The params a caller passes: the schema's input (fields with defaults may be left out). */
export type RequestParams<M extends MethodName> = Methods[M]["params"]["_zod"]["input"];
export type ServerRequestName = keyof typeof serverRequests;
export type ServerRequestParams<S extends ServerRequestName> = (typeof serverRequests)[S]["params"]["_zod"]["output"];
export type ServerRequestResult<S extends ServerRequestName> = (typeof serverRequests)[S]["result"]["_zod"]["input"];

export interface ClientInfo {
  name: string;
  title?: string | null;
  version: string;
}

export interface ConnectOptions {
  url: string;
  token?: string;
  clientInfo?: ClientInfo;
  experimentalApi?: boolean;
  optOutNotificationMethods?: string[];
  /** Requests sent and not yet answered, at most (default 256); beyond it `request` rejects with OverloadedError. */
  maxOutboundQueue?: number;
  /** Notifications waiting for a consumer, at most (default 1024); beyond it they are dropped and counted (`lagged`). */
  maxInboundQueue?: number;
}

/** An error answer from the server. */
export class SwitchyardRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    readonly method?: string,
  ) {
    super(message);
    this.name = "SwitchyardRpcError";
  }
}

/** A request refused locally: its params do not match the method's schema, or the method is unknown. */
export class SwitchyardParamsError extends Error {
  constructor(
    readonly method: string,
    readonly issues: string,
  ) {
    super(`invalid params for ${method}: ${issues}`);
    this.name = "SwitchyardParamsError";
  }
}

/** Too many requests in flight: the caller must slow down (nothing was sent). */
export class OverloadedError extends Error {
  constructor(
    readonly method: string,
    readonly limit: number,
  ) {
    super(`client overloaded: ${limit} requests already in flight, ${method} not sent`);
    this.name = "OverloadedError";
  }
}

/** The connection closed (or close() gave up) before the answer came. */
export class ConnectionClosedError extends Error {
  constructor(
    readonly method: string,
    reason: string,
  ) {
    super(`${method}: ${reason}`);
    this.name = "ConnectionClosedError";
  }
}

export interface ClientNotification<N extends NotificationName = NotificationName> {
  method: N;
  params: NotificationParams<N>;
  emittedAtMs?: number;
}

/** What a notification iterator yields: a notification, or how many were dropped because it fell behind. */
export type NotificationEvent = { type: "notification"; notification: ClientNotification } | { type: "lagged"; dropped: number };

type Handler = (notification: ClientNotification) => void | Promise<void>;
type ServerRequestHandler = (params: any) => unknown;

interface Pending {
  method: string;
  resolve: (result: any) => void;
  reject: (error: Error) => void;
}

const DEFAULT_CLIENT_INFO: ClientInfo = { name: "switchyard-client", title: null, version: "0.1.0" };

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((issue) => `${issue.path.map(String).join(".") || "(params)"}: ${issue.message}`).join("; ");
}

/** A bounded FIFO of notification events for one consumer (the handler pump or an iterator). */
class BoundedQueue {
  private readonly items: ClientNotification[] = [];
  dropped = 0;
  constructor(private readonly limit: number) {}
  push(item: ClientNotification): boolean {
    if (this.items.length >= this.limit) {
      this.dropped++;
      return false;
    }
    this.items.push(item);
    return true;
  }
  get full(): boolean {
    return this.items.length >= this.limit;
  }
  /** A lagged marker first when something was dropped, then the oldest notification. */
  shift(): NotificationEvent | undefined {
    if (this.dropped > 0) {
      const dropped = this.dropped;
      this.dropped = 0;
      return { type: "lagged", dropped };
    }
    const notification = this.items.shift();
    return notification ? { type: "notification", notification } : undefined;
  }
  get size(): number {
    return this.items.length + (this.dropped > 0 ? 1 : 0);
  }
}

export class SwitchyardClient {
  private socket!: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly laggedHandlers = new Set<(dropped: number) => void>();
  private readonly serverRequestHandlers = new Map<string, ServerRequestHandler>();
  private readonly waiters = new Set<{
    method: string;
    predicate: (n: ClientNotification) => boolean;
    resolve: (n: ClientNotification) => void;
  }>();
  private readonly iterators = new Set<{ queue: BoundedQueue; wake?: () => void }>();
  private readonly pumpQueue: BoundedQueue;
  private pumping = false;
  private closing = false;
  /** Threads this connection is subscribed to (from thread/start, thread/resume and thread/fork results). */
  readonly threads = new Set<string>();
  private readonly maxOutbound: number;
  private readonly maxInbound: number;
  private socketClosed!: Promise<void>;

  private constructor(private readonly options: ConnectOptions) {
    this.maxOutbound = options.maxOutboundQueue ?? 256;
    this.maxInbound = options.maxInboundQueue ?? 1024;
    this.pumpQueue = new BoundedQueue(this.maxInbound);
  }

  /** Opens a socket and initializes; resolves with a ready client. */
  static async connect(options: ConnectOptions): Promise<SwitchyardClient> {
    const client = new SwitchyardClient(options);
    await client.open();
    return client;
  }

  private async open(): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const socket = new WebSocket(this.options.url, { headers, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) => {
        reject(new Error(`websocket upgrade refused: HTTP ${response.statusCode}`));
        socket.terminate();
      });
    });
    this.socket = socket;
    this.closing = false;
    socket.on("error", () => {});
    socket.on("message", (data, isBinary) => {
      if (!isBinary) this.onFrame(data.toString());
    });
    this.socketClosed = new Promise((resolve) =>
      socket.once("close", (code) => {
        if (this.socket === socket) this.failPending(`connection closed (${code})`);
        resolve();
      }),
    );
    await this.request("initialize", {
      clientInfo: { title: null, ...(this.options.clientInfo ?? DEFAULT_CLIENT_INFO) },
      capabilities: {
        experimentalApi: this.options.experimentalApi ?? false,
        optOutNotificationMethods: this.options.optOutNotificationMethods ?? null,
      },
    } as RequestParams<"initialize">);
  }

  /** Sends a request; params and the result are checked against the method's schemas. */
  request<M extends MethodName>(method: M, params: RequestParams<M>): Promise<MethodResult<M>> {
    const spec = methodRegistry.get(method);
    if (!spec || spec.internal) return Promise.reject(new SwitchyardParamsError(method, "unknown method"));
    const checked = spec.params.safeParse(params);
    if (!checked.success) return Promise.reject(new SwitchyardParamsError(method, describeIssues(checked.error)));
    if (this.closing || this.socket.readyState !== WebSocket.OPEN)
      return Promise.reject(new ConnectionClosedError(method, "the connection is closed"));
    if (this.pending.size >= this.maxOutbound) return Promise.reject(new OverloadedError(method, this.maxOutbound));
    const id = this.nextId++;
    return new Promise<MethodResult<M>>((resolve, reject) => {
      this.pending.set(id, {
        method,
        reject,
        resolve: (result: unknown) => {
          const parsed = spec.result.safeParse(result);
          if (!parsed.success) {
            reject(new Error(`${method}: the server's result does not match the schema: ${describeIssues(parsed.error)}`));
            return;
          }
          this.track(method, params, result);
          // The raw result: the schema checked it; defaults are the server's to fill.
          resolve(result as MethodResult<M>);
        },
      });
      this.socket.send(JSON.stringify({ id, method, params }), (error) => {
        if (error && this.pending.delete(id)) reject(new ConnectionClosedError(method, error.message));
      });
    });
  }

  /** thread/resume, remembered for reconnect(). */
  resume(threadId: string): Promise<MethodResult<"thread/resume">> {
    return this.request("thread/resume", { threadId } as RequestParams<"thread/resume">);
  }

  /**
   * Opens a new socket, initializes and resumes every thread this client was subscribed to. A thread
   * the server refuses to resume is forgotten and returned in `refused` with the server's error: as in
   * Codex, a thread nothing is recorded about yet (no turn, name, metadata or goal) has no rollout to
   * resume (`no rollout found for thread id …`), though it still takes a `turn/start`.
   */
  async reconnect(): Promise<{ resumed: string[]; refused: { threadId: string; error: SwitchyardRpcError }[] }> {
    const old = this.socket;
    if (old.readyState === WebSocket.OPEN || old.readyState === WebSocket.CONNECTING) old.terminate();
    this.failPending("reconnecting");
    await this.open();
    const outcome: Awaited<ReturnType<SwitchyardClient["reconnect"]>> = { resumed: [], refused: [] };
    for (const threadId of [...this.threads]) {
      try {
        await this.resume(threadId);
        outcome.resumed.push(threadId);
      } catch (error) {
        if (!(error instanceof SwitchyardRpcError)) throw error;
        this.threads.delete(threadId);
        outcome.refused.push({ threadId, error });
      }
    }
    return outcome;
  }

  private track(method: string, params: unknown, result: unknown): void {
    const threadId = (result as { thread?: { id?: unknown } } | null)?.thread?.id;
    if ((method === "thread/start" || method === "thread/resume" || method === "thread/fork") && typeof threadId === "string")
      this.threads.add(threadId);
    const unsubscribed = (params as { threadId?: unknown } | null)?.threadId;
    if (method === "thread/unsubscribe" && typeof unsubscribed === "string") this.threads.delete(unsubscribed);
  }

  /** Calls `handler` for each `method` notification, in arrival order (an async handler is awaited). */
  on<N extends NotificationName>(
    method: N,
    handler: (params: NotificationParams<N>, notification: ClientNotification<N>) => void | Promise<void>,
  ): () => void {
    const wrapped: Handler = (notification) =>
      handler(notification.params as NotificationParams<N>, notification as ClientNotification<N>);
    const set = this.handlers.get(method) ?? new Set<Handler>();
    this.handlers.set(method, set);
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Called when handlers fell behind and notifications were dropped. */
  onLagged(handler: (dropped: number) => void): () => void {
    this.laggedHandlers.add(handler);
    return () => this.laggedHandlers.delete(handler);
  }

  /** Every notification (and `lagged` markers), through a queue of at most maxInboundQueue. */
  notifications(): AsyncIterableIterator<NotificationEvent> {
    const entry: { queue: BoundedQueue; wake?: () => void } = { queue: new BoundedQueue(this.maxInbound) };
    this.iterators.add(entry);
    const iterator: AsyncIterableIterator<NotificationEvent> = {
      next: async () => {
        for (;;) {
          const event = entry.queue.shift();
          if (event) return { value: event, done: false };
          if (!this.iterators.has(entry)) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (entry.wake = resolve));
        }
      },
      return: async () => {
        this.iterators.delete(entry);
        entry.wake?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The next `method` notification matching `predicate` (only ones arriving after the call). */
  waitFor<N extends NotificationName>(
    method: N,
    predicate: (params: NotificationParams<N>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<NotificationParams<N>> {
    return new Promise((resolve, reject) => {
      const waiter = {
        method,
        predicate: (n: ClientNotification) => predicate(n.params as NotificationParams<N>),
        resolve: (n: ClientNotification) => {
          clearTimeout(timer);
          resolve(n.params as NotificationParams<N>);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${method}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Answers the server's `method` requests with `handler`'s return value (a throw answers an error). */
  onServerRequest<S extends ServerRequestName>(
    method: S,
    handler: (params: ServerRequestParams<S>) => ServerRequestResult<S> | Promise<ServerRequestResult<S>>,
  ): () => void {
    this.serverRequestHandlers.set(method, handler);
    return () => this.serverRequestHandlers.delete(method);
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  private onFrame(text: string): void {
    let message: any;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null) return;
    if (typeof message.method === "string" && message.id !== undefined) {
      void this.onServerRequestFrame(message.id, message.method, message.params);
      return;
    }
    if (message.id !== undefined) {
      const entry = this.pending.get(message.id);
      if (!entry) return;
      this.pending.delete(message.id);
      if (message.error) {
        const { code, message: text, data } = message.error;
        entry.reject(new SwitchyardRpcError(code, `${entry.method}: ${text}`, data, entry.method));
      } else entry.resolve(message.result);
      return;
    }
    if (typeof message.method === "string") this.onNotification(message as ClientNotification);
  }

  private onNotification(notification: ClientNotification): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.method === notification.method && waiter.predicate(notification)) {
        this.waiters.delete(waiter);
        waiter.resolve(notification);
      }
    }
    for (const entry of this.iterators) {
      entry.queue.push(notification);
      entry.wake?.();
      entry.wake = undefined;
    }
    if (this.handlers.has(notification.method)) {
      this.pumpQueue.push(notification);
      void this.pump();
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let event = this.pumpQueue.shift(); event; event = this.pumpQueue.shift()) {
        if (event.type === "lagged") {
          for (const handler of this.laggedHandlers) handler(event.dropped);
          continue;
        }
        for (const handler of [...(this.handlers.get(event.notification.method) ?? [])]) {
          try {
            await handler(event.notification);
          } catch {
            // A handler's failure is its own; delivery goes on.
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async onServerRequestFrame(id: number | string, method: string, params: unknown): Promise<void> {
    const answer = (body: { result: unknown } | { error: { code: number; message: string; data?: unknown } }) => {
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ id, ...body }));
    };
    const handler = this.serverRequestHandlers.get(method);
    const spec = serverRequests[method as ServerRequestName];
    if (!handler || !spec) {
      answer({ error: { code: -32601, message: `no handler for server request ${method}` } });
      return;
    }
    // A consumer that fell behind does not get requests it cannot serve in time: refuse, never hang.
    if (this.pumpQueue.full || [...this.iterators].some((entry) => entry.queue.full)) {
      answer({ error: { code: -32001, message: `client overloaded: ${method} refused` } });
      return;
    }
    const parsed = spec.params.safeParse(params);
    if (!parsed.success) {
      answer({ error: { code: -32602, message: `invalid params for ${method}: ${describeIssues(parsed.error)}` } });
      return;
    }
    try {
      const result = await handler(parsed.data);
      const checked = spec.result.safeParse(result);
      if (!checked.success) {
        answer({ error: { code: -32603, message: `invalid result for ${method}: ${describeIssues(checked.error)}` } });
        return;
      }
      answer({ result: checked.data });
    } catch (error) {
      answer({ error: { code: -32000, message: error instanceof Error ? error.message : String(error) } });
    }
  }

  private failPending(reason: string): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) entry.reject(new ConnectionClosedError(entry.method, reason));
  }

  /** Waits for in-flight requests up to `timeoutMs`, then rejects what is left and closes the socket. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline && this.socket.readyState === WebSocket.OPEN) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(25, Math.max(1, deadline - Date.now()))));
    }
    this.failPending("the client closed before the answer came");
    for (const entry of this.iterators) {
      this.iterators.delete(entry);
      entry.wake?.();
    }
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close();
    const terminate = setTimeout(() => this.socket.terminate(), 1_000);
    await this.socketClosed;
    clearTimeout(terminate);
  }
}
