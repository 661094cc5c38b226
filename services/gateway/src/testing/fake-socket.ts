// A socket for the gateway's unit tests: records what is sent and how it was closed. With
// `isNeverReading`, every frame stays buffered (a client that never reads).
import type { SocketLike } from "../connection.js";

export class FakeSocket implements SocketLike {
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | undefined;

  constructor(private readonly options: { isNeverReading?: boolean } = {}) {}

  send(data: string): void {
    this.sent.push(data);
    if (this.options.isNeverReading) this.bufferedAmount += data.length;
  }

  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
  }

  /** Everything sent since the last call, decoded. */
  take(): any[] {
    return this.sent.splice(0).map((frame) => JSON.parse(frame));
  }
}
