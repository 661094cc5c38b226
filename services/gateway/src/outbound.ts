// Outbound back-pressure for one client socket: every frame to a client goes through `send` or
// `sendAfterAnswers`. A client that lets more than `maxOutboundBytes` pile up is disconnected (1013)
// rather than silently skipped, so it can never miss a turn/completed without knowing.
//
// Answers first: a frame sent with `sendAfterAnswers` (a tenant-wide announcement, fanout.ts) is
// written at the end of the current turn of the event loop, after the answers settled in that turn.
// A channel's frames still leave in the order they were sent: once a frame waits, every later frame
// of that channel waits behind it.
import { recordOverflow } from "@switchyard/runtime";
import type { SocketLike } from "./connection.js";

/** Channels with frames waiting for the end of this turn, in the order they began waiting. */
const waitingChannels = new Set<OutboundChannel>();
let isFlushScheduled = false;

function writeWaitingFrames(): void {
  isFlushScheduled = false;
  for (const channel of waitingChannels) {
    waitingChannels.delete(channel);
    channel.flush();
  }
}

export class OutboundChannel {
  private isOpen = true;
  /** Frames waiting for the end of this turn, and their characters (counted against the limit). */
  private waiting: string[] = [];
  private waitingChars = 0;

  constructor(
    private readonly socket: SocketLike,
    private readonly maxOutboundBytes: number,
    /** Called once, after the socket was closed for overflowing. */
    private readonly onOverflow: (bufferedBytes: number) => void,
  ) {}

  /** Writes `frame` now (behind any waiting frame); false (and the socket closed) if it would overflow, or if the channel is closed. */
  send(frame: string): boolean {
    return this.waiting.length > 0 ? this.wait(frame) : this.write(frame);
  }

  /** Writes `frame` at the end of this turn of the event loop, after the answers settled in it. */
  sendAfterAnswers(frame: string): boolean {
    return this.wait(frame);
  }

  /** Writes the waiting frames (at the end of the turn). */
  flush(): void {
    const frames = this.waiting;
    this.waiting = [];
    this.waitingChars = 0;
    waitingChannels.delete(this);
    for (const frame of frames) {
      if (!this.write(frame)) return;
    }
  }

  /** Nothing more is written once the connection is closed. */
  close(): void {
    this.isOpen = false;
    this.dropWaiting();
  }

  /** Closes the socket with `code` (the gateway drops the client) after the waiting frames; nothing more is written. */
  disconnect(code: number, reason: string): void {
    if (!this.isOpen) return;
    this.flush();
    if (!this.isOpen) return; // the waiting frames overflowed it
    this.isOpen = false;
    this.socket.close(code, reason);
  }

  private wait(frame: string): boolean {
    if (!this.isOpen) return false;
    if (!this.fits(this.socket.bufferedAmount + this.waitingChars, frame)) return false;
    this.waiting.push(frame);
    this.waitingChars += frame.length;
    waitingChannels.add(this);
    if (!isFlushScheduled) {
      isFlushScheduled = true;
      setImmediate(writeWaitingFrames);
    }
    return true;
  }

  private write(frame: string): boolean {
    if (!this.isOpen) return false;
    if (!this.fits(this.socket.bufferedAmount, frame)) return false;
    this.socket.send(frame);
    return true;
  }

  /** Whether `frame` fits behind `backlog`; if not, the client is disconnected for overflowing. */
  private fits(backlog: number, frame: string): boolean {
    if (backlog + frame.length <= this.maxOutboundBytes) return true;
    this.isOpen = false;
    this.dropWaiting();
    this.socket.close(1013, "outbound queue overflow; reconnect and resync");
    recordOverflow("frame_dropped");
    recordOverflow("connection_closed");
    this.onOverflow(backlog);
    return false;
  }

  private dropWaiting(): void {
    this.waiting = [];
    this.waitingChars = 0;
    waitingChannels.delete(this);
  }
}
