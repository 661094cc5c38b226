// A relayed connection: a client connected at `/environments/<environmentId>` drives that machine's
// own app-server. The gateway does not interpret the session (no initialize of its own, no routing):
// every JSON-RPC message — requests, responses to the machine's server requests, notifications —
// goes to the remote-control instance holding the machine's websocket, and everything the machine
// sends for this client comes back. Tenancy was checked before the upgrade (`relayOpen`), and the
// machine's relay subject is tenant-qualified as well.
//
// Reliability (ARCHITECTURE.md, "Remote control"):
//   - client → machine: one message at a time, in order, each confirmed once written to the machine's
//     socket. With nobody holding the machine (no responders) the message waits for the machine to
//     come back (a `connected` status event, or a retry each second) for up to the reconnect grace,
//     then queued requests are answered `environmentOffline` and the connection is closed.
//   - machine → client: messages carry the machine's per-stream seq; one at or below the last
//     delivered is a replay (after a failover, through another instance) and is only confirmed.
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { errors as natsErrors } from "@nats-io/nats-core";
import {
  type BusSubjects,
  classifyIncoming,
  errorMessage,
  type RelayStatusEvent,
  type RelayToClient,
  type RelayToMachine,
  toWireError,
} from "@switchyard/protocol";
import { decodeJson, encodeJson, type Logger, type LogLimiter } from "@switchyard/runtime";
import type { Principal } from "./auth/authenticator.js";
import type { SocketLike } from "./connection.js";
import { OutboundChannel } from "./outbound.js";

/** How long one client → machine message waits for the holding instance to confirm it was written. */
const WRITE_CONFIRM_TIMEOUT_MS = 5_000;

export interface RelaySettings {
  maxOutboundBytes: number;
  /** How long a client waits for a machine that dropped its websocket before it is told it is offline. */
  reconnectGraceMs: number;
  /** The largest frame the bus carries. */
  requestLimitBytes(): number;
}

export interface RelayServices {
  nc: NatsConnection;
  subjects: BusSubjects;
  log: Logger;
  badInputLog: LogLimiter;
  onClosed(connection: RelayConnection): void;
}

export class RelayConnection {
  private readonly outbound: OutboundChannel;
  private readonly pending: { message: unknown; seqId: number }[] = [];
  private isSending = false;
  private nextSeqId = 0;
  private lastDeliveredSeqId = 0;
  private readonly parts = new Map<number, string[]>();
  private subscriptions: Subscription[] = [];
  private machineBack: (() => void) | undefined;
  private offlineTimer: NodeJS.Timeout | undefined;
  /** The machine socket the last `connected` event named. */
  private connectedSocketId: string | undefined;
  private isClosed = false;
  private readonly log: Logger;

  constructor(
    /** The gateway connection id; also the machine's virtual client id (subject-safe). */
    readonly clientId: string,
    /** The machine's stream for this client, chosen here so it survives a failover. */
    readonly streamId: string,
    private readonly socket: SocketLike,
    private readonly principal: Principal,
    readonly environmentId: string,
    private readonly settings: RelaySettings,
    private readonly services: RelayServices,
  ) {
    this.log = services.log.child({ connection: clientId, tenant: principal.tenant, environmentId });
    this.outbound = new OutboundChannel(socket, settings.maxOutboundBytes, () => {
      this.log.warn("outbound queue overflow; disconnecting relayed client");
      this.closed();
    });
    const { nc, subjects } = services;
    this.subscriptions = [
      nc.subscribe(subjects.relayToClient(clientId), {
        callback: (error, msg) => {
          if (!error) this.fromMachine(msg);
        },
      }),
      nc.subscribe(subjects.relayStatus(principal.tenant, environmentId), {
        callback: (error, msg) => {
          if (!error) this.onStatus(decodeJson(msg.data) as RelayStatusEvent);
        },
      }),
    ];
  }

  /** One text frame from the client. */
  onText(text: string, byteLength: number): void {
    if (this.isClosed) return;
    let decoded: unknown;
    try {
      decoded = JSON.parse(text);
    } catch {
      this.noteBadInput({ byteLength }, "frame is not JSON; ignored");
      return; // as Codex: malformed JSON gets no reply
    }
    const message = classifyIncoming(decoded);
    if (message.kind === "malformed") {
      this.noteBadInput({ byteLength }, "frame is not a JSON-RPC message; ignored");
      return;
    }
    const limitBytes = this.settings.requestLimitBytes();
    if (byteLength > limitBytes) {
      if (message.kind === "request") {
        this.outbound.send(
          JSON.stringify(errorMessage(message.id, toWireError({ reason: "requestTooLarge", sizeBytes: byteLength, limitBytes }))),
        );
      }
      return;
    }
    this.pending.push({ message: decoded, seqId: ++this.nextSeqId });
    void this.pump();
  }

  onBinary(byteLength: number): void {
    this.noteBadInput({ byteLength }, "binary frame ignored");
  }

  private noteBadInput(fields: Record<string, unknown>, message: string): void {
    this.services.badInputLog.warn(this.clientId, { connection: this.clientId, ...fields }, message);
  }

  /** Sends queued messages one at a time, in order; waits for the machine while nobody holds it. */
  private async pump(): Promise<void> {
    if (this.isSending) return;
    this.isSending = true;
    try {
      let offlineSinceMs: number | undefined;
      while (!this.isClosed && this.pending.length > 0) {
        const next = this.pending[0] as { message: unknown; seqId: number };
        const frame: RelayToMachine = {
          type: "message",
          clientId: this.clientId,
          streamId: this.streamId,
          seqId: next.seqId,
          message: next.message,
        };
        if (await this.toMachine(frame)) {
          this.pending.shift();
          offlineSinceMs = undefined;
          continue;
        }
        offlineSinceMs ??= Date.now();
        if (Date.now() - offlineSinceMs >= this.settings.reconnectGraceMs) {
          this.giveUp();
          return;
        }
        await this.waitForMachine(Math.min(1_000, this.settings.reconnectGraceMs));
      }
    } finally {
      this.isSending = false;
    }
  }

  /** True once the holding instance confirmed the write; false if nobody holds the machine now. */
  private async toMachine(frame: RelayToMachine): Promise<boolean> {
    const { nc, subjects } = this.services;
    try {
      await nc.request(subjects.relayToMachine(this.principal.tenant, this.environmentId), encodeJson(frame), {
        timeout: WRITE_CONFIRM_TIMEOUT_MS,
      });
      return true;
    } catch (error) {
      if (!(error instanceof natsErrors.NoRespondersError || error instanceof natsErrors.TimeoutError)) {
        this.log.warn({ err: String(error) }, "relaying to the machine failed; retrying");
      }
      return false;
    }
  }

  private waitForMachine(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.machineBack = undefined;
        resolve();
      }, timeoutMs);
      this.machineBack = () => {
        clearTimeout(timer);
        this.machineBack = undefined;
        resolve();
      };
    });
  }

  private onStatus(event: RelayStatusEvent): void {
    if (event.status === "connected") {
      this.connectedSocketId = event.socketId;
      clearTimeout(this.offlineTimer);
      this.offlineTimer = undefined;
      this.machineBack?.();
      return;
    }
    // The end of a socket older than the one that took over is no disconnect.
    if (this.connectedSocketId !== undefined && event.socketId !== this.connectedSocketId) return;
    // The machine dropped: an idle client learns it is offline once the grace has passed.
    this.offlineTimer ??= setTimeout(() => this.giveUp(), this.settings.reconnectGraceMs);
  }

  /** The machine did not come back: answer what is queued, then close with the reason. */
  private giveUp(): void {
    if (this.isClosed) return;
    const offline = toWireError({ reason: "environmentOffline", environmentId: this.environmentId });
    for (const { message } of this.pending.splice(0)) {
      const classified = classifyIncoming(message);
      if (classified.kind === "request") this.outbound.send(JSON.stringify(errorMessage(classified.id, offline)));
    }
    this.socket.close(1001, "environment is offline");
    this.closed();
  }

  private fromMachine(msg: Msg): void {
    const frame = decodeJson(msg.data) as RelayToClient;
    if (frame.type === "closed") {
      this.socket.close(1001, frame.reason.slice(0, 120));
      this.closed();
      return;
    }
    if (this.isClosed) return; // no reply: the instance closes the machine's side
    if (frame.streamId !== this.streamId || frame.seqId <= this.lastDeliveredSeqId) {
      msg.respond(encodeJson({ ok: true })); // another stream's leftovers, or a replay already delivered
      return;
    }
    let text = frame.text;
    if (frame.parts > 1) {
      // A message larger than the bus carries arrives in parts, in order; the last one completes it.
      const parts = this.parts.get(frame.seqId) ?? [];
      parts[frame.part] = frame.text;
      this.parts.set(frame.seqId, parts);
      if (parts.filter((part) => part !== undefined).length < frame.parts) {
        msg.respond(encodeJson({ ok: true }));
        return;
      }
      this.parts.delete(frame.seqId);
      text = parts.join("");
    }
    this.lastDeliveredSeqId = frame.seqId;
    // Confirmed only once written to the client: then the instance acknowledges it to the machine.
    if (this.outbound.send(text)) msg.respond(encodeJson({ ok: true }));
  }

  /** Called once when the client's socket closes (or the gateway drops it). */
  closed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.outbound.close();
    clearTimeout(this.offlineTimer);
    this.machineBack?.();
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.services.badInputLog.forget(this.clientId);
    // Best effort: the machine closes its virtual connection for this client.
    const close: RelayToMachine = { type: "close", clientId: this.clientId, streamId: this.streamId };
    void this.services.nc
      .request(this.services.subjects.relayToMachine(this.principal.tenant, this.environmentId), encodeJson(close), {
        timeout: WRITE_CONFIRM_TIMEOUT_MS,
      })
      .catch(() => {});
    this.services.onClosed(this);
  }
}
