import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CHUNK_THRESHOLD_BYTES,
  ChunkAssembler,
  clientMessageEnvelopes,
  decodeMachineFrame,
  ENVELOPE_LIMIT_BYTES,
  type MachineEnvelope,
} from "./envelopes.js";

const ids = { clientId: "c1", streamId: "s1", seqId: 7 };
let cursor = 0;
const nextCursor = () => String(++cursor);

describe("machine envelopes", () => {
  test("server_message, chunks and pongs decode; anything else is refused with a reason", () => {
    const message = decodeMachineFrame(
      JSON.stringify({ type: "server_message", client_id: "c", stream_id: "s", seq_id: 1, message: { id: 1, result: {} } }),
      80,
    );
    assert.equal(message.ok && message.envelope.type, "server_message");
    const pong = decodeMachineFrame(
      JSON.stringify({ type: "pong", client_id: "c", stream_id: "s", seq_id: 2, status: "unknown" }),
      60,
    );
    assert.equal(pong.ok && pong.envelope.type, "pong");
    for (const bad of [
      "nope",
      "{}",
      JSON.stringify({ type: "server_message", client_id: "c", seq_id: 1 }),
      JSON.stringify({ type: "x" }),
    ]) {
      const decoded = decodeMachineFrame(bad, bad.length);
      assert.equal(decoded.ok, false, bad);
    }
    const seqZero = JSON.stringify({ type: "server_message", client_id: "c", stream_id: "s", seq_id: 0, message: {} });
    assert.equal(decodeMachineFrame(seqZero, seqZero.length).ok, false, "seq ids start at 1");
  });

  test("an envelope over the 150 KiB limit is refused before it is parsed", () => {
    const decoded = decodeMachineFrame("{", ENVELOPE_LIMIT_BYTES + 1);
    assert.equal(decoded.ok, false);
    assert.match((decoded as { reason: string }).reason, /exceeds/);
  });
});

describe("chunking", () => {
  test("a small message is one client_message with the stream and seq ids and a fresh cursor", () => {
    const [envelope, ...rest] = clientMessageEnvelopes(ids, JSON.stringify({ id: 1, method: "thread/list" }), nextCursor);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...envelope, cursor: undefined },
      {
        type: "client_message",
        client_id: "c1",
        stream_id: "s1",
        seq_id: 7,
        cursor: undefined,
        message: { id: 1, method: "thread/list" },
      },
    );
  });

  test("a large message travels in 0-based chunks that each stay under the envelope limit and reassemble exactly", () => {
    const message = { id: 2, method: "thread/list", params: { cwd: `/x/${"é".repeat(200_000)}` } };
    const json = JSON.stringify(message);
    assert.ok(Buffer.byteLength(json) > CHUNK_THRESHOLD_BYTES);
    const envelopes = clientMessageEnvelopes(ids, json, nextCursor);
    assert.ok(envelopes.length >= 4);
    const cursors = new Set<string>();
    for (const [index, envelope] of envelopes.entries()) {
      assert.equal(envelope.type, "client_message_chunk");
      if (envelope.type !== "client_message_chunk") continue;
      assert.equal(envelope.segment_id, index);
      assert.equal(envelope.segment_count, envelopes.length);
      assert.equal(envelope.stream_id, "s1", "the machine drops chunks without a stream_id");
      assert.ok(Buffer.byteLength(JSON.stringify(envelope)) < ENVELOPE_LIMIT_BYTES);
      cursors.add(envelope.cursor);
    }
    assert.equal(cursors.size, envelopes.length, "every envelope has its own cursor");
    // The same chunks, as the machine would send them back, reassemble into the original bytes,
    // whatever the order and even with a segment repeated (a replay).
    const assembler = new ChunkAssembler();
    const asMachine = envelopes.map(
      (envelope) =>
        ({ ...(envelope as object), type: "server_message_chunk" }) as Extract<MachineEnvelope, { type: "server_message_chunk" }>,
    );
    const order = [...asMachine.slice(1), asMachine[1], asMachine[0]] as typeof asMachine;
    const outcomes = order.map((chunk) => assembler.add(chunk));
    assert.ok(outcomes.slice(0, -1).every((outcome) => outcome.kind === "partial"));
    const last = outcomes.at(-1);
    assert.equal(last?.kind, "complete");
    assert.deepEqual(JSON.parse((last as { text: string }).text), message);
    assert.equal(assembler.partialCount, 0);
  });

  test("chunks that disagree about their message, or a wrong total size, are invalid", () => {
    const base = {
      type: "server_message_chunk" as const,
      client_id: "c",
      stream_id: "s",
      seq_id: 3,
      message_chunk_base64: Buffer.from("ab").toString("base64"),
    };
    const assembler = new ChunkAssembler();
    assert.equal(assembler.add({ ...base, segment_id: 0, segment_count: 2, message_size_bytes: 4 }).kind, "partial");
    assert.equal(assembler.add({ ...base, segment_id: 1, segment_count: 3, message_size_bytes: 4 }).kind, "invalid");
    assert.equal(assembler.add({ ...base, segment_id: 0, segment_count: 2, message_size_bytes: 5 }).kind, "partial");
    assert.equal(assembler.add({ ...base, segment_id: 1, segment_count: 2, message_size_bytes: 5 }).kind, "invalid");
    assembler.add({ ...base, segment_id: 0, segment_count: 2, message_size_bytes: 4 });
    assembler.forgetClient("c");
    assert.equal(assembler.partialCount, 0);
  });
});
