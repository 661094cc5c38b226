// De-duplication and acknowledgement of what a machine sends, per (client_id, stream_id).
//
// The machine numbers its envelopes per client+stream from 1 and replays every one the backend has
// not acknowledged after a reconnect. An envelope is acknowledged only once the client's gateway has
// taken it (so an acknowledged message is never lost with this instance), and acknowledgements go out
// in sequence order. A replayed envelope already taken is acknowledged again without being forwarded;
// one still in flight is dropped (its acknowledgement follows when its delivery settles).
export type Admission = "forward" | "duplicateDelivered" | "duplicateInFlight";

interface StreamWindow {
  /** Every seq at or below this has been forwarded (delivered or in flight). */
  highestAdmitted: number;
  /** Delivered seqs not yet acknowledged because an earlier one is still in flight. */
  delivered: Set<number>;
  /** Every seq at or below this is delivered and acknowledged. */
  highestAcked: number;
}

export class ReceiveWindow {
  private readonly streams = new Map<string, StreamWindow>();

  /**
   * A stream first seen at `firstSeqId` starts its window just below it: after a failover the
   * earlier envelopes were acknowledged by the instance that held the socket before.
   */
  private window(clientId: string, streamId: string, firstSeqId: number): StreamWindow {
    const key = `${clientId}\u0000${streamId}`;
    let window = this.streams.get(key);
    if (!window) {
      window = { highestAdmitted: firstSeqId - 1, delivered: new Set(), highestAcked: firstSeqId - 1 };
      this.streams.set(key, window);
    }
    return window;
  }

  /** What `admit` would say, without recording anything (a chunk's seq is admitted once it is whole). */
  peek(clientId: string, streamId: string, seqId: number): Admission {
    const window = this.streams.get(`${clientId}\u0000${streamId}`);
    if (!window) return "forward";
    if (seqId <= window.highestAcked || window.delivered.has(seqId)) return "duplicateDelivered";
    return seqId <= window.highestAdmitted ? "duplicateInFlight" : "forward";
  }

  /** Decides what to do with envelope `seqId` of a stream. */
  admit(clientId: string, streamId: string, seqId: number): Admission {
    const window = this.window(clientId, streamId, seqId);
    if (seqId <= window.highestAcked || window.delivered.has(seqId)) return "duplicateDelivered";
    if (seqId <= window.highestAdmitted) return "duplicateInFlight";
    window.highestAdmitted = seqId;
    return "forward";
  }

  /**
   * Records that `seqId` was taken by the gateway (or dropped for good) and returns the seqs that may
   * now be acknowledged, in order: acknowledgements never overtake an earlier envelope still in flight.
   */
  settle(clientId: string, streamId: string, seqId: number): number[] {
    const window = this.window(clientId, streamId, seqId);
    window.delivered.add(seqId);
    const ackable: number[] = [];
    // Seqs the machine skipped (none in practice) must not block the stream: the floor advances
    // over every admitted seq that is delivered; one still in flight stops it.
    while (window.highestAcked < window.highestAdmitted && window.delivered.has(window.highestAcked + 1)) {
      window.highestAcked++;
      window.delivered.delete(window.highestAcked);
      ackable.push(window.highestAcked);
    }
    return ackable;
  }

  forgetClient(clientId: string): void {
    for (const key of this.streams.keys()) if (key.startsWith(`${clientId}\u0000`)) this.streams.delete(key);
  }

  get streamCount(): number {
    return this.streams.size;
  }
}
