// Outbound back-pressure for one client socket: every frame to a client goes through `send`. A
// client that lets more than `maxOutboundBytes` pile up is disconnected (1013) rather than silently
// skipped, so it can never miss a turn/completed without knowing.
import { recordOverflow } from "@switchyard/runtime";
import type { SocketLike } from "./connection.js";

export class OutboundChannel {
  private isOpen = true;

  constructor(
    private readonly socket: SocketLike,
    private readonly maxOutboundBytes: number,
    /** Called once, after the socket was closed for overflowing. */
    private readonly onOverflow: (bufferedBytes: number) => void,
  ) {}

  /** Writes `frame`; false (and the socket closed) if it would overflow, or if the channel is closed. */
  send(frame: string): boolean {
    if (!this.isOpen) return false;
    const bufferedBytes = this.socket.bufferedAmount;
    if (bufferedBytes + frame.length > this.maxOutboundBytes) {
      this.isOpen = false;
      this.socket.close(1013, "outbound queue overflow; reconnect and resync");
      recordOverflow("frame_dropped");
      recordOverflow("connection_closed");
      this.onOverflow(bufferedBytes);
      return false;
    }
    this.socket.send(frame);
    return true;
  }

  /** Nothing more is written once the connection is closed. */
  close(): void {
    this.isOpen = false;
  }

  /** Closes the socket with `code` (the gateway drops the client); nothing more is written. */
  disconnect(code: number, reason: string): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.socket.close(code, reason);
  }
}
