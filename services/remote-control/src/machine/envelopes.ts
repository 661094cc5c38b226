// The machine websocket's envelopes (Codex remote control, protocol version 3), both directions, and
// chunking. Wire facts, verified against codex 0.171.0:
//   - machine → backend: `server_message` {message}, `server_message_chunk`, `pong` {status}; each
//     carries `client_id`, `stream_id` and `seq_id` (per client+stream, from 1). Unacknowledged ones
//     are replayed after a reconnect, so the receiver de-duplicates by (client_id, stream_id, seq_id).
//   - backend → machine: `client_message` {message}, `client_message_chunk`, `ack` {seq_id,
//     segment_id?}, `ping`, `client_closed`; each may carry a `cursor`, which the machine sends back
//     as `x-codex-subscribe-cursor` when it reconnects.
//   - chunks: `message_chunk_base64`, `segment_id` (from 0), `segment_count`, `message_size_bytes`;
//     a client chunk must name its `stream_id` (the machine drops it otherwise).
import { z } from "zod";

/** Raw bytes per chunk: ~87 KiB, whose base64 envelope stays near 116 KiB (the machine's own size). */
export const CHUNK_BYTES = 88_899;
/** A message whose JSON is larger than this travels in chunks. */
export const CHUNK_THRESHOLD_BYTES = 100 * 1024;
/** No envelope may exceed this; a larger frame from the machine is refused. */
export const ENVELOPE_LIMIT_BYTES = 150 * 1024;
/** A reassembled message may not claim more than this (bounds memory per stream). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const streamFields = {
  client_id: z.string().min(1).max(256),
  stream_id: z.string().min(1).max(256),
  seq_id: z.number().int().positive(),
};

export const MachineEnvelope = z.discriminatedUnion("type", [
  z.object({ type: z.literal("server_message"), ...streamFields, message: z.unknown() }),
  z.object({
    type: z.literal("server_message_chunk"),
    ...streamFields,
    segment_id: z.number().int().min(0),
    segment_count: z.number().int().min(1).max(1024),
    message_size_bytes: z.number().int().min(0).max(MAX_MESSAGE_BYTES),
    message_chunk_base64: z.string(),
  }),
  z.object({ type: z.literal("pong"), ...streamFields, status: z.string() }),
]);
export type MachineEnvelope = z.infer<typeof MachineEnvelope>;

export type BackendEnvelope =
  | { type: "client_message"; client_id: string; stream_id: string; seq_id: number; cursor: string; message: unknown }
  | {
      type: "client_message_chunk";
      client_id: string;
      stream_id: string;
      seq_id: number;
      cursor: string;
      segment_id: number;
      segment_count: number;
      message_size_bytes: number;
      message_chunk_base64: string;
    }
  | { type: "ack"; client_id: string; stream_id: string; seq_id: number; segment_id?: number }
  | { type: "ping"; client_id: string; stream_id: string }
  | { type: "client_closed"; client_id: string; stream_id: string };

export type DecodedEnvelope = { ok: true; envelope: MachineEnvelope } | { ok: false; reason: string };

/** One text frame from the machine. Oversized, non-JSON and unknown envelopes are refused, never thrown. */
export function decodeMachineFrame(text: string, byteLength: number): DecodedEnvelope {
  if (byteLength > ENVELOPE_LIMIT_BYTES)
    return { ok: false, reason: `envelope of ${byteLength} bytes exceeds ${ENVELOPE_LIMIT_BYTES}` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "envelope is not JSON" };
  }
  const parsed = MachineEnvelope.safeParse(value);
  if (!parsed.success) return { ok: false, reason: `not a machine envelope: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  return { ok: true, envelope: parsed.data };
}

/**
 * The envelopes that carry one client message to the machine: one `client_message`, or
 * `client_message_chunk`s when its JSON exceeds the threshold. `nextCursor` is called once per envelope.
 */
export function clientMessageEnvelopes(
  target: { clientId: string; streamId: string; seqId: number },
  messageJson: string,
  nextCursor: () => string,
): BackendEnvelope[] {
  const bytes = Buffer.from(messageJson, "utf8");
  const ids = { client_id: target.clientId, stream_id: target.streamId, seq_id: target.seqId };
  if (bytes.length <= CHUNK_THRESHOLD_BYTES) {
    return [{ type: "client_message", ...ids, cursor: nextCursor(), message: JSON.parse(messageJson) }];
  }
  const segmentCount = Math.ceil(bytes.length / CHUNK_BYTES);
  return Array.from({ length: segmentCount }, (_, segmentId) => ({
    type: "client_message_chunk" as const,
    ...ids,
    cursor: nextCursor(),
    segment_id: segmentId,
    segment_count: segmentCount,
    message_size_bytes: bytes.length,
    message_chunk_base64: bytes.subarray(segmentId * CHUNK_BYTES, (segmentId + 1) * CHUNK_BYTES).toString("base64"),
  }));
}

type Chunk = Extract<MachineEnvelope, { type: "server_message_chunk" }>;

export type ChunkOutcome =
  | { kind: "partial" }
  | { kind: "complete"; text: string; segmentCount: number }
  | { kind: "invalid"; reason: string };

/**
 * Reassembles `server_message_chunk`s per (client, stream, seq). Segments may repeat (a replay) and
 * arrive in any order; a message completes once every segment is present and the sizes agree.
 */
export class ChunkAssembler {
  private readonly partial = new Map<
    string,
    { count: number; size: number; segments: (Buffer | undefined)[]; received: number }
  >();

  add(chunk: Chunk): ChunkOutcome {
    const key = `${chunk.client_id}\u0000${chunk.stream_id}\u0000${chunk.seq_id}`;
    let entry = this.partial.get(key);
    if (!entry) {
      entry = { count: chunk.segment_count, size: chunk.message_size_bytes, segments: [], received: 0 };
      this.partial.set(key, entry);
    }
    if (chunk.segment_count !== entry.count || chunk.message_size_bytes !== entry.size || chunk.segment_id >= entry.count) {
      this.partial.delete(key);
      return { kind: "invalid", reason: "chunk header disagrees with earlier segments of its message" };
    }
    if (!entry.segments[chunk.segment_id]) {
      entry.segments[chunk.segment_id] = Buffer.from(chunk.message_chunk_base64, "base64");
      entry.received++;
    }
    if (entry.received < entry.count) return { kind: "partial" };
    this.partial.delete(key);
    const whole = Buffer.concat(entry.segments as Buffer[]);
    if (whole.length !== entry.size) {
      return { kind: "invalid", reason: `reassembled ${whole.length} bytes, the chunks announced ${entry.size}` };
    }
    return { kind: "complete", text: whole.toString("utf8"), segmentCount: entry.count };
  }

  /** Forgets a client's partial messages (it closed). */
  forgetClient(clientId: string): void {
    for (const key of this.partial.keys()) if (key.startsWith(`${clientId}\u0000`)) this.partial.delete(key);
  }

  get partialCount(): number {
    return this.partial.size;
  }
}
