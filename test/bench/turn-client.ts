// The turn scenarios' client: a plain `ws` socket speaking JSON-RPC lite, lighter than the harness's
// CodexTestClient (no schema checks per frame, nothing kept beyond the turn being watched), so 100 of
// them in one load process measure the server's delivery rather than the client's bookkeeping. Each
// frame is stamped on the machine's monotonic clock as it arrives, before it is parsed; the same
// client reads Switchyard's gateways and the floors.
import WebSocket from "ws";
import { monotonicMs } from "./turn-contract.js";

export interface Arrived {
  method: string;
  params: any;
  /** monotonicMs() when the frame's message event fired, before parsing. */
  arrivedAtMs: number;
}

export interface Reply {
  id: number;
  result?: any;
  error?: { code: number; message: string };
}

/** The notifications of one thread, in arrival order, with waiters for a turn's turn/completed. */
export class ThreadWatch {
  private frames: Arrived[] = [];
  private waiter: { turnId: string; resolve: (frames: Arrived[]) => void } | undefined;

  push(frame: Arrived): void {
    this.frames.push(frame);
    if (this.waiter && frame.method === "turn/completed" && frame.params?.turn?.id === this.waiter.turnId) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(this.take(this.frames.length));
    }
  }

  private take(count: number): Arrived[] {
    const taken = this.frames.slice(0, count);
    this.frames = this.frames.slice(count);
    return taken;
  }

  /**
   * The thread's frames up to and including `turnId`'s turn/completed (earlier frames too: the
   * caller picks the turn's own by turnId); undefined if it has not come within `timeoutMs`.
   */
  turnCompleted(turnId: string, timeoutMs: number): Promise<Arrived[] | undefined> {
    const index = this.frames.findIndex((frame) => frame.method === "turn/completed" && frame.params?.turn?.id === turnId);
    if (index >= 0) return Promise.resolve(this.take(index + 1));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = {
        turnId,
        resolve: (frames) => {
          clearTimeout(timer);
          resolve(frames);
        },
      };
    });
  }

  /** Drops what arrived so far (a timed-out turn's leftovers). */
  clear(): void {
    this.frames = [];
  }
}

export class TurnClient {
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly watches = new Map<string, ThreadWatch>();
  private nextId = 1;
  closeCode: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data, isBinary) => {
      const arrivedAtMs = monotonicMs();
      if (isBinary) return;
      const message = JSON.parse(data.toString()) as Record<string, any>;
      if (message.id !== undefined && message.method === undefined) {
        const resolve = this.pending.get(message.id);
        this.pending.delete(message.id);
        resolve?.(message as Reply);
        return;
      }
      if (typeof message.method !== "string" || message.id !== undefined) return; // server requests: none expected
      const threadId = message.params?.threadId;
      if (typeof threadId === "string")
        this.watches.get(threadId)?.push({ method: message.method, params: message.params, arrivedAtMs });
    });
    socket.on("close", (code) => {
      this.closeCode = code;
      for (const resolve of this.pending.values()) resolve({ id: -1, error: { code: -1, message: `socket closed (${code})` } });
      this.pending.clear();
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<TurnClient> {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    });
    return new TurnClient(socket);
  }

  /** Connects with a bearer token and initializes (Switchyard's gateway). */
  static async open(url: string, token: string, optOut: string[]): Promise<TurnClient> {
    const client = await TurnClient.connect(url, { authorization: `Bearer ${token}` });
    const reply = await client.request("initialize", {
      clientInfo: { name: "switchyard-bench-turns", title: null, version: "0.169.0" },
      capabilities: { experimentalApi: false, optOutNotificationMethods: optOut },
    });
    if (reply.error) throw new Error(`initialize failed: ${reply.error.message}`);
    return client;
  }

  request(method: string, params: unknown, timeoutMs = 15_000): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, error: { code: -1, message: `no reply to ${method} within ${timeoutMs} ms` } });
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async call<T = any>(method: string, params: unknown): Promise<T> {
    const reply = await this.request(method, params);
    if (reply.error) throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.result as T;
  }

  /** Starts collecting the notifications of `threadId` (once per thread). */
  watch(threadId: string): ThreadWatch {
    let watch = this.watches.get(threadId);
    if (!watch) {
      watch = new ThreadWatch();
      this.watches.set(threadId, watch);
    }
    return watch;
  }

  unwatch(threadId: string): void {
    this.watches.delete(threadId);
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
      setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2_000).unref();
    });
  }
}
