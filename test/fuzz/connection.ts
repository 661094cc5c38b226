// One fuzzing websocket: an initialized CodexTestClient that sends raw frames and matches every
// reply to the frame that asked for it. Replies are checked against the frame's expectations as
// they arrive; a request unanswered past the deadline, a second reply, a reply to nothing and a
// close the rules do not allow are violations.
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CodexTestClient, type RpcReply } from "../harness/client.js";
import {
  after,
  describeReply,
  type FrameClass,
  type FuzzFrame,
  INTERNAL_ERROR,
  idKey,
  MAX_ERROR_MESSAGE_CHARS,
  OVERLOADED,
  type ReplyCheck,
  type RequestId,
  replyOutcome,
} from "./frames.js";
import type { FuzzLedger } from "./ledger.js";
import type { FuzzTarget } from "./target.js";

/** Replies may take the deadline plus this long (the gateway's clock starts after our send). */
export const REPLY_SLACK_MS = 3_000;
/** Outbound bytes a worker lets the socket buffer before waiting. */
const MAX_BUFFERED_BYTES = 512 * 1024;
/** Notifications the fuzz connections do not need. */
const OPTED_OUT = ["thread/started", "thread/name/updated"];

/**
 * CodexTestClient.open, but bounded: a gateway that dies between the upgrade and the initialize
 * reply leaves the harness client waiting forever; this gives up (and drops the socket) instead.
 */
export async function openClient(
  url: string,
  options: { token: string; name: string; optOut?: string[]; experimentalApi?: boolean },
  timeoutMs = 10_000,
): Promise<CodexTestClient> {
  const client = await CodexTestClient.connect(url, { token: options.token });
  client.socket.on("error", () => {}); // resets and EPIPE after a server close end in "close"
  const reply = await Promise.race([
    client.request("initialize", {
      clientInfo: { name: options.name, title: null, version: "0.169.0" },
      capabilities: { experimentalApi: options.experimentalApi ?? false, optOutNotificationMethods: options.optOut ?? null },
    }),
    client.closed.then((code) => `closed (${code}) before initialize was answered`),
    after(timeoutMs, `initialize not answered within ${timeoutMs} ms`),
  ]);
  if (typeof reply === "string" || reply.error) {
    client.socket.terminate();
    throw new Error(typeof reply === "string" ? reply : `initialize failed: ${reply.error?.message}`);
  }
  return client;
}

export interface FuzzHost {
  ledger: FuzzLedger;
  target: FuzzTarget;
  deadlineMs: number;
  /** Every frame sent anywhere, for attributing a process exit. */
  noteSent(connection: string, frame: FuzzFrame): void;
}

interface PendingRequest {
  frame: FuzzFrame;
  id: RequestId;
  sentAtMs: number;
  checks: ReplyCheck[];
  /** "closes" frames: a reply is optional (the connection may be closed instead). */
  optional: boolean;
}

/**
 * Frames this big are written by hand, header and payload in one write (so nothing interleaves):
 * masked with an all-zero key, which leaves the payload as it is. ws masks with a random key in
 * JavaScript, which stalls the fuzzer's event loop for hundreds of milliseconds per 10 MB.
 */
const RAW_WRITE_FROM_BYTES = 64 * 1024;

const toBuffer = (data: string | Buffer): Buffer => (typeof data === "string" ? Buffer.from(data) : data);

/** A client frame header: FIN, the frame's opcode, the mask bit, a 64-bit length, a zero masking key. */
function frameHeader(frame: FuzzFrame, payloadBytes: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x80 | (frame.opcode === "binary" ? 0x2 : 0x1);
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(payloadBytes), 2);
  header.writeUInt32BE(0, 10);
  return header;
}

/**
 * A request-rate refusal (-32001, reason `rateLimited`): the fuzz tenant's own floods reach its
 * limit, and pairing claims are limited per tenant by design (against guessing codes).
 */
const isRateLimited = (reply: RpcReply): boolean =>
  reply.error?.code === OVERLOADED && (reply.error.data as { reason?: unknown } | undefined)?.reason === "rateLimited";

const describeFrame = (frame: FuzzFrame) => `${frame.frameClass}/${frame.variant} (${frame.data.length} B)`;

export class FuzzConnection {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly answered = new Set<string>();
  /** Ids sent twice (by a mutation): their replies cannot be told apart and are not judged. */
  private readonly ambiguous = new Set<string>();
  private readonly recent: string[] = [];
  /** Ids inside frames that must get no reply (binary frames, non-string methods, ...). */
  private readonly mustNotAnswer = new Map<string, FuzzFrame>();
  /** Requests still unanswered when the server closed the connection (suspects if a process died). */
  private lostOnClose: PendingRequest[] = [];
  private closedAtMs: number | undefined;
  private lastFrameClass: FrameClass | undefined;
  private roomWaiters: (() => void)[] = [];
  /** Ids 1..n are the harness client's own (initialize, probes). */
  private clientRequests = 1;
  private closingByUs = false;
  /** The worker judges this connection's close itself (invalid UTF-8, over-cap frames). */
  judgesOwnClose = false;
  /** Server → client requests (`item/tool/call`); unanswered unless a lane handles them. */
  onServerRequest: ((request: { id: unknown; method: string; params: unknown }) => void) | undefined;
  /** Notifications, for lanes that follow a turn. */
  onNotification: ((notification: { method: string; params: any }) => void) | undefined;
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(
    readonly label: string,
    readonly client: CodexTestClient,
    private readonly host: FuzzHost,
  ) {
    client.socket.on("message", (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.closed = client.closed.then((code) => {
      this.onClose(code);
      return code;
    });
  }

  static async open(
    host: FuzzHost,
    label: string,
    options: { token?: string; experimentalApi?: boolean } = {},
  ): Promise<FuzzConnection> {
    const client = await openClient(host.target.url, {
      token: options.token ?? host.target.token,
      optOut: OPTED_OUT,
      name: `fuzz-${label}`,
      experimentalApi: options.experimentalApi ?? false,
    });
    return new FuzzConnection(label, client, host);
  }

  /** A well-formed request through the harness client (its ids are the harness's own). */
  async call(method: string, params: unknown, timeoutMs: number): Promise<RpcReply | "closed" | "timeout"> {
    if (!this.isOpen) return "closed";
    this.clientRequests++;
    return Promise.race([
      this.client.request(method, params),
      this.closed.then(() => "closed" as const),
      after(timeoutMs, "timeout" as const),
    ]);
  }

  /** Forgets what the harness client collected (notifications, server requests): long runs. */
  forgetCollected(): void {
    this.client.notifications.length = 0;
    this.client.received.length = 0;
    this.client.serverRequests.length = 0;
  }

  get isOpen(): boolean {
    return this.closeCode === undefined && this.client.socket.readyState === this.client.socket.OPEN;
  }

  get outstanding(): number {
    return this.pending.size;
  }

  send(frame: FuzzFrame): void {
    if (!this.isOpen) return;
    this.register(frame);
    if (frame.data.length < RAW_WRITE_FROM_BYTES) this.client.socket.send(frame.data, { binary: frame.opcode === "binary" });
    else this.rawSocket.write(Buffer.concat([frameHeader(frame, Buffer.byteLength(frame.data)), toBuffer(frame.data)]));
  }

  /**
   * Writes one frame by hand: its header, a pause for the server to react, then the payload in
   * chunks while the connection stays open. A server may judge a frame by its announced length and
   * close at once; writing on regardless races its close (EPIPE/ECONNRESET on our write can destroy
   * the socket before the close frame with its code is read).
   */
  async stream(frame: FuzzFrame, chunkBytes = 64 * 1024): Promise<void> {
    if (!this.isOpen) return;
    this.register(frame);
    const payload = toBuffer(frame.data);
    const raw = this.rawSocket;
    const write = (chunk: Buffer) =>
      new Promise<void>((resolve) => {
        if (raw.write(chunk)) resolve();
        else {
          raw.once("drain", resolve);
          raw.once("close", resolve);
        }
      });
    await write(frameHeader(frame, payload.length));
    await Promise.race([this.closed, after(1_000, undefined)]);
    for (let offset = 0; offset < payload.length && this.isOpen; offset += chunkBytes) {
      await write(payload.subarray(offset, offset + chunkBytes));
    }
  }

  /** The TCP socket under the websocket (ws keeps it as `_socket`, as test/backpressure.test.ts uses it). */
  private get rawSocket(): Socket {
    return (this.client.socket as unknown as { _socket: Socket })._socket;
  }

  /** Bookkeeping for a frame about to be sent: what to expect back, counts, recent history. */
  private register(frame: FuzzFrame): void {
    const { ledger } = this.host;
    const expect = frame.expect;
    const id = expect.kind === "reply" ? expect.id : expect.kind === "closes" ? expect.id : undefined;
    if (id !== undefined) {
      const key = idKey(id);
      if (this.pending.has(key) || this.answered.has(key) || this.ambiguous.has(key)) {
        const earlier = this.pending.get(key);
        if (earlier) {
          this.pending.delete(key);
          ledger.outcome(earlier.frame.frameClass, "untracked (id reused)");
        }
        this.ambiguous.add(key);
        ledger.outcome(frame.frameClass, "untracked (id reused)");
      } else {
        this.pending.set(key, {
          frame,
          id,
          sentAtMs: performance.now(),
          checks: expect.kind === "reply" ? expect.checks : [],
          optional: expect.kind === "closes",
        });
      }
    } else if (expect.kind === "silent") {
      ledger.checked(expect.rule);
      ledger.checked("unsolicitedReply");
      ledger.outcome(frame.frameClass, "no reply");
      if (expect.id !== undefined) this.mustNotAnswer.set(idKey(expect.id), frame);
    }
    ledger.sent(frame.frameClass);
    if (frame.wrongType) ledger.count(ledger.wrongTypeSent, frame.wrongType.method);
    if (frame.notification) {
      ledger.count(ledger.notificationsSent, `${frame.notification.kind}|${frame.notification.name}`);
      ledger.count(ledger.notificationKinds, frame.notification.kind);
    }
    this.recent.push(describeFrame(frame));
    this.lastFrameClass = frame.frameClass;
    if (this.recent.length > 4) this.recent.shift();
    this.host.noteSent(this.label, frame);
  }

  /** Waits until fewer than `maxOutstanding` requests are unanswered and the socket has drained. */
  async waitForRoom(maxOutstanding: number): Promise<void> {
    while (this.isOpen && (this.pending.size >= maxOutstanding || this.client.socket.bufferedAmount > MAX_BUFFERED_BYTES)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.roomWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.sweep();
    }
  }

  private wake(): void {
    for (const waiter of this.roomWaiters.splice(0)) waiter();
  }

  /** Requests past the deadline (plus slack) are violations; they are no longer waited for. */
  sweep(nowMs = performance.now()): void {
    for (const [key, entry] of this.pending) {
      if (nowMs - entry.sentAtMs <= this.host.deadlineMs + REPLY_SLACK_MS) continue;
      this.pending.delete(key);
      this.ambiguous.add(key);
      if (entry.optional) {
        this.host.ledger.outcome(entry.frame.frameClass, "no reply");
        continue;
      }
      this.host.ledger.checked("exactlyOneReply");
      this.host.ledger.outcome(entry.frame.frameClass, "missing");
      this.host.ledger.violation(
        "exactlyOneReply",
        entry.frame.frameClass,
        `${this.label}: no reply within ${this.host.deadlineMs + REPLY_SLACK_MS} ms to ${describeFrame(entry.frame)}`,
      );
    }
  }

  /** Waits for every request to be answered or to pass its deadline. */
  async drain(): Promise<void> {
    while (this.isOpen && this.pending.size > 0) {
      await sleep(100);
      this.sweep();
    }
  }

  /** A request the connection must answer with a result while open. */
  async probe(timeoutMs = 5_000): Promise<"answered" | "closed" | "timeout" | "error"> {
    if (!this.isOpen) return "closed";
    this.clientRequests++;
    const reply = await Promise.race([
      this.client.request("model/list", {}),
      this.closed.then(() => "closed" as const),
      after(timeoutMs, "timeout" as const),
    ]);
    if (typeof reply === "string") return reply;
    return reply.error ? "error" : "answered";
  }

  /** The oldest unanswered request and the last frames sent: suspects when a process exits. */
  suspects(): string[] {
    if (this.closedAtMs !== undefined && Date.now() - this.closedAtMs > 5_000) return [];
    const unanswered = this.pending.size > 0 ? [...this.pending.values()] : this.lostOnClose;
    const oldest = [...unanswered].sort((a, b) => a.sentAtMs - b.sentAtMs)[0];
    const lines = oldest ? [`${this.label} oldest unanswered: ${describeFrame(oldest.frame)}`] : [];
    if (this.recent.length > 0) lines.push(`${this.label} last sent: ${this.recent.join(" | ")}`);
    return lines;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const { ledger } = this.host;
    if (isBinary) {
      ledger.violation("unsolicitedReply", undefined, `${this.label}: the server sent a binary frame`);
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(data.toString());
    } catch {
      ledger.violation(
        "unsolicitedReply",
        undefined,
        `${this.label}: the server sent non-JSON: ${data.toString().slice(0, 100)}`,
      );
      return;
    }
    if (typeof message.method === "string") {
      // A frame with a method is the server asking (with an id) or telling (without), never a reply.
      if ("id" in message) this.onServerRequest?.(message as { id: unknown; method: string; params: unknown });
      else this.onNotification?.(message as { method: string; params: unknown });
      return;
    }
    if (!("id" in message)) return;
    const id = message.id;
    if (typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= this.clientRequests) return; // the harness client's
    const key = idKey(id);
    if (this.ambiguous.has(key)) return;
    const entry = this.pending.get(key);
    const silent = this.mustNotAnswer.get(key);
    if (!entry && silent?.expect.kind === "silent") {
      ledger.violation(
        silent.expect.rule,
        silent.frameClass,
        `${describeFrame(silent)} was answered: ${data.toString().slice(0, 200)}`,
      );
      return;
    }
    if (!entry) {
      ledger.checked("unsolicitedReply");
      const what = this.answered.has(key) ? "a second reply" : "a reply that matches no request";
      ledger.violation(
        this.answered.has(key) ? "exactlyOneReply" : "unsolicitedReply",
        undefined,
        `${this.label}: ${what}: ${data.toString().slice(0, 200)} (recently sent: ${this.recent.join(" | ")})`,
      );
      return;
    }
    this.pending.delete(key);
    this.answered.add(key);
    this.judge(entry, message as unknown as RpcReply, performance.now() - entry.sentAtMs);
    this.wake();
  }

  private judge(entry: PendingRequest, reply: RpcReply, latencyMs: number): void {
    const { ledger, deadlineMs } = this.host;
    const frameClass: FrameClass = entry.frame.frameClass;
    const where = `${describeFrame(entry.frame)}`;
    if (!entry.optional) {
      ledger.outcome(frameClass, replyOutcome(reply));
      ledger.checked("exactlyOneReply");
      if (latencyMs > deadlineMs + REPLY_SLACK_MS) {
        ledger.violation("exactlyOneReply", frameClass, `${where}: answered after ${Math.round(latencyMs)} ms`);
      }
    }
    if (isRateLimited(reply) && frameClass !== "flood") {
      // The fuzz tenant floods, so its other requests may meet the tenant's request-rate limit: a
      // right answer (counted, not judged against the frame's expectation).
      ledger.count(ledger.rateLimited, frameClass);
      return;
    }
    let passed = true;
    for (const check of entry.checks) {
      ledger.checked(check.rule);
      const problem = check.verify(reply, latencyMs);
      if (problem) {
        passed = false;
        ledger.violation(check.rule, frameClass, `${where}: ${problem}`);
      }
    }
    const wrongType = entry.frame.wrongType;
    if (wrongType) {
      ledger.wrongTypeAnswered(wrongType.method, wrongType.where, wrongType.rejected, replyOutcome(reply), passed);
    }
    if (reply.error?.code === INTERNAL_ERROR) ledger.internalError(frameClass, `${where}: ${describeReply(reply)}`);
    if (frameClass !== "flood") {
      ledger.checked("overloadedOnlyInFloods");
      if (reply.error?.code === OVERLOADED) ledger.violation("overloadedOnlyInFloods", frameClass, `${where}: -32001`);
    }
    ledger.checked("boundedEcho");
    const message = reply.error?.message;
    if (typeof message === "string") {
      if (message.length > MAX_ERROR_MESSAGE_CHARS) {
        ledger.violation(
          "boundedEcho",
          frameClass,
          `${where}: error message of ${message.length} chars: ${message.slice(0, 120)}…`,
        );
      } else if (entry.frame.echoGuard?.copiesFrom(message)) {
        ledger.violation(
          "boundedEcho",
          frameClass,
          `${where}: error message copies over 300 chars of the param: ${message.slice(0, 120)}…`,
        );
      }
    }
  }

  private onClose(code: number): void {
    this.closeCode = code;
    this.wake();
    if (this.closingByUs) return;
    const closedAtMs = Date.now();
    this.closedAtMs = closedAtMs;
    const lost = [...this.pending.values()];
    this.lostOnClose = lost;
    this.pending.clear();
    const recent = this.recent.join(" | ");
    const lastFrameClass = this.lastFrameClass;
    // A process exit closes every socket: wait a moment to tell that apart from a close aimed at us.
    setTimeout(() => {
      const crashed = this.host.target.exitedSince(closedAtMs - 3_000) || !this.host.target.isUp;
      if (this.judgesOwnClose) return;
      for (const entry of lost) {
        this.host.ledger.outcome(entry.frame.frameClass, crashed ? "lost: process exit" : `closed ${code}`);
      }
      if (crashed) return;
      this.host.ledger.violation(
        "connectionSurvives",
        lastFrameClass,
        `${this.label} closed by the server with ${code}; last sent: ${recent}`,
      );
    }, 1_500).unref();
  }

  /** Closes from our side (the end of the run): no verdicts from here on. */
  async close(): Promise<void> {
    this.closingByUs = true;
    if (this.closeCode !== undefined) return;
    const socket = this.client.socket;
    if (socket.readyState === socket.OPEN) socket.close(1000);
    const closed = await Promise.race([this.closed.then(() => true), after(2_000, false)]);
    if (!closed) socket.terminate();
  }
}
