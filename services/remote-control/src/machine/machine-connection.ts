// One machine's websocket, held by this instance: envelopes in and out, acknowledgements, chunking,
// per-client pings. Machine → client messages go to the client's gateway over NATS and are
// acknowledged to the machine only once the gateway has taken them (`ReceiveWindow`); client →
// machine messages arrive from the hub and are written here.
import type { NatsConnection } from "@nats-io/nats-core";
import { errors as natsErrors } from "@nats-io/nats-core";
import type { BusSubjects, RelayToClient } from "@switchyard/protocol";
import { encodeJson, type Logger, LogLimiter, maxRequestBodyBytes } from "@switchyard/runtime";
import type WebSocket from "ws";
import type { ServerRow } from "../store/remote-control-store.js";
import {
  type BackendEnvelope,
  ChunkAssembler,
  clientMessageEnvelopes,
  decodeMachineFrame,
  type MachineEnvelope,
} from "./envelopes.js";
import { ReceiveWindow } from "./receive-window.js";

/** How long a gateway may take to accept one message before its client is treated as gone. */
const DELIVERY_TIMEOUT_MS = 10_000;

export interface MachineConnectionOptions {
  socket: WebSocket;
  server: ServerRow;
  socketId: string;
  nc: NatsConnection;
  subjects: BusSubjects;
  log: Logger;
  clientPingIntervalMs: number;
  /** Monotonic across instances (roughly: it starts from the clock), so a reconnect's cursor stays ordered. */
  nextCursor: () => string;
}

export class MachineConnection {
  private readonly window = new ReceiveWindow();
  private readonly assembler = new ChunkAssembler();
  /** Relayed clients seen on this socket (their stream), for pings and `client_closed`. */
  private readonly clients = new Map<string, string>();
  private readonly badFrames: LogLimiter;
  private readonly pingTimer: NodeJS.Timeout;
  private isClosed = false;
  readonly server: ServerRow;
  readonly socketId: string;

  constructor(private readonly options: MachineConnectionOptions) {
    this.server = options.server;
    this.socketId = options.socketId;
    this.badFrames = new LogLimiter(options.log);
    options.socket.on("message", (data, isBinary) => {
      if (isBinary) return;
      const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.onFrame(frame.toString("utf8"), frame.length);
    });
    this.pingTimer = setInterval(() => this.pingClients(), options.clientPingIntervalMs);
    this.pingTimer.unref();
  }

  get environmentId(): string {
    return this.server.environmentId;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** A client message from a gateway: resolves once every envelope carrying it is written to the socket. */
  sendClientMessage(clientId: string, streamId: string, seqId: number, messageJson: string): Promise<void> {
    this.clients.set(clientId, streamId);
    const envelopes = clientMessageEnvelopes({ clientId, streamId, seqId }, messageJson, this.options.nextCursor);
    return Promise.all(envelopes.map((envelope) => this.send(envelope))).then(() => undefined);
  }

  /** The client's gateway connection closed: the machine closes its virtual connection. */
  closeClient(clientId: string, streamId: string): Promise<void> {
    this.forgetClient(clientId);
    return this.send({ type: "client_closed", client_id: clientId, stream_id: streamId });
  }

  close(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.pingTimer);
    this.options.socket.close(code, reason);
  }

  /** The socket is gone: stop timers (the hub does the rest). */
  closed(): void {
    this.isClosed = true;
    clearInterval(this.pingTimer);
    this.badFrames.forget(this.socketId);
  }

  private send(envelope: BackendEnvelope): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error("machine socket closed"));
    return new Promise((resolve, reject) =>
      this.options.socket.send(JSON.stringify(envelope), (error) => (error ? reject(error) : resolve())),
    );
  }

  private onFrame(text: string, byteLength: number): void {
    const decoded = decodeMachineFrame(text, byteLength);
    if (!decoded.ok) {
      this.badFrames.warn(this.socketId, { serverId: this.server.serverId, reason: decoded.reason }, "machine envelope ignored");
      return;
    }
    const envelope = decoded.envelope;
    switch (envelope.type) {
      case "server_message":
        this.receive(envelope, JSON.stringify(envelope.message), []);
        return;
      case "server_message_chunk": {
        // A chunked message takes its seq in the window once it is whole; until then, segments of a
        // seq already handled (a replay) are only acknowledged, or ignored while it is in flight.
        const seen = this.window.peek(envelope.client_id, envelope.stream_id, envelope.seq_id);
        if (seen === "duplicateDelivered") {
          this.acknowledge(envelope.client_id, envelope.stream_id, [envelope.seq_id], [envelope.segment_id]);
          return;
        }
        if (seen === "duplicateInFlight") return;
        const outcome = this.assembler.add(envelope);
        if (outcome.kind === "partial") return;
        if (outcome.kind === "invalid") {
          this.badFrames.warn(
            this.socketId,
            { serverId: this.server.serverId, reason: outcome.reason },
            "machine chunks dropped",
          );
          return;
        }
        const segments = Array.from({ length: outcome.segmentCount }, (_, index) => index);
        this.receive(envelope, outcome.text, segments);
        return;
      }
      case "pong":
        if (envelope.status === "unknown" && this.clients.get(envelope.client_id) === envelope.stream_id) {
          // The machine no longer knows this client (its app-server restarted): end the relayed session.
          this.forgetClient(envelope.client_id);
          this.notifyClient(envelope.client_id, {
            type: "closed",
            reason: "the machine's app-server no longer has this session",
          });
        }
        this.receive(envelope, undefined, []);
        return;
    }
  }

  private receive(envelope: MachineEnvelope, text: string | undefined, segments: number[]): void {
    const { client_id: clientId, stream_id: streamId, seq_id: seqId } = envelope;
    const admission = this.window.admit(clientId, streamId, seqId);
    if (admission === "duplicateInFlight") return;
    if (admission === "duplicateDelivered" || text === undefined) {
      this.acknowledge(
        clientId,
        streamId,
        admission === "duplicateDelivered" ? [seqId] : this.window.settle(clientId, streamId, seqId),
        segments,
      );
      return;
    }
    void this.deliver(clientId, streamId, seqId, text).then((isDelivered) => {
      if (!isDelivered) {
        // Nobody takes this client's messages any more: close its virtual connection on the machine.
        this.forgetClient(clientId);
        void this.send({ type: "client_closed", client_id: clientId, stream_id: streamId }).catch(() => {});
      }
      this.acknowledge(clientId, streamId, this.window.settle(clientId, streamId, seqId), segments);
    });
  }

  private acknowledge(clientId: string, streamId: string, seqIds: number[], segments: number[]): void {
    for (const seqId of seqIds) {
      if (segments.length === 0) {
        void this.send({ type: "ack", client_id: clientId, stream_id: streamId, seq_id: seqId }).catch(() => {});
        continue;
      }
      for (const segmentId of segments) {
        void this.send({ type: "ack", client_id: clientId, stream_id: streamId, seq_id: seqId, segment_id: segmentId }).catch(
          () => {},
        );
      }
    }
  }

  /** Sends a machine message to the client's gateway; true once taken, false if nobody takes it. */
  private async deliver(clientId: string, streamId: string, seqId: number, text: string): Promise<boolean> {
    // A message larger than the bus carries travels in parts; the gateway joins them.
    const partBytes = Math.max(16 * 1024, maxRequestBodyBytes(this.options.nc) - 4 * 1024);
    const parts: string[] = [];
    for (let offset = 0; offset < text.length || parts.length === 0; offset += partBytes / 4) {
      // Slicing UTF-16 text by a quarter of the byte budget keeps every part under it in UTF-8.
      parts.push(text.slice(offset, offset + partBytes / 4));
    }
    try {
      for (const [part, partText] of parts.entries()) {
        const frame: RelayToClient = { type: "message", streamId, seqId, part, parts: parts.length, text: partText };
        await this.options.nc.request(this.options.subjects.relayToClient(clientId), encodeJson(frame), {
          timeout: DELIVERY_TIMEOUT_MS,
        });
      }
      return true;
    } catch (error) {
      const isGone = error instanceof natsErrors.NoRespondersError || error instanceof natsErrors.TimeoutError;
      if (!isGone) this.options.log.warn({ err: String(error), clientId }, "relaying a machine message failed");
      return false;
    }
  }

  private notifyClient(clientId: string, frame: RelayToClient): void {
    this.options.nc.publish(this.options.subjects.relayToClient(clientId), encodeJson(frame));
  }

  private forgetClient(clientId: string): void {
    this.clients.delete(clientId);
    this.window.forgetClient(clientId);
    this.assembler.forgetClient(clientId);
  }

  private pingClients(): void {
    for (const [clientId, streamId] of this.clients) {
      void this.send({ type: "ping", client_id: clientId, stream_id: streamId }).catch(() => {});
    }
  }
}
