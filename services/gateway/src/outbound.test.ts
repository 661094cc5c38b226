import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OutboundChannel } from "./outbound.js";
import { FakeSocket } from "./testing/fake-socket.js";

/** A channel of `limit` bytes to a client that never reads, and the backlogs it overflowed at. */
function neverReadingChannel(limit: number) {
  const socket = new FakeSocket({ isNeverReading: true });
  const overflows: number[] = [];
  const channel = new OutboundChannel(socket, limit, (buffered) => overflows.push(buffered));
  return { socket, channel, overflows };
}

describe("outbound back-pressure", () => {
  test("frames go out until the client's backlog would pass the limit; then it is disconnected with 1013, once", () => {
    const { socket, channel, overflows } = neverReadingChannel(10);
    assert.equal(channel.send("abcd"), true);
    assert.equal(channel.send("efgh"), true);
    assert.equal(channel.send("ijkl"), false, "12 bytes would exceed the 10-byte limit");
    assert.deepEqual(socket.sent, ["abcd", "efgh"]);
    assert.equal(socket.closedWith?.[0], 1013);
    assert.deepEqual(overflows, [8]);
    assert.equal(channel.send("x"), false, "nothing is written after the overflow");
    assert.deepEqual(overflows, [8]);
  });

  test("a client that reads keeps receiving; a closed channel writes nothing", () => {
    const socket = new FakeSocket({ isNeverReading: true });
    const channel = new OutboundChannel(socket, 10, () => assert.fail("no overflow"));
    for (let index = 0; index < 20; index++) {
      assert.equal(channel.send("abcd"), true);
      socket.bufferedAmount = 0; // drained
    }
    channel.close();
    assert.equal(channel.send("abcd"), false);
    assert.equal(socket.sent.length, 20);
  });

  test("a fanned-out frame waits for the end of the turn; the channel's later frames wait behind it, other channels' do not", async () => {
    const written: string[] = [];
    const socketOf = (name: string) => {
      const socket = new FakeSocket();
      const send = socket.send.bind(socket);
      socket.send = (data: string) => {
        written.push(`${name}:${data}`);
        send(data);
      };
      return socket;
    };
    const caller = new OutboundChannel(socketOf("caller"), 100, () => assert.fail("no overflow"));
    const other = new OutboundChannel(socketOf("other"), 100, () => assert.fail("no overflow"));
    assert.equal(other.sendAfterAnswers("started"), true);
    assert.equal(other.send("later"), true);
    assert.equal(caller.send("answer"), true);
    assert.deepEqual(written, ["caller:answer"], "the answer leaves at once; the other channel's frames wait");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, ["caller:answer", "other:started", "other:later"]);
    assert.equal(other.send("now"), true);
    assert.deepEqual(written.at(-1), "other:now", "nothing waits once the turn's frames are written");
  });

  test("waiting frames count against the limit; a closed channel drops them; a disconnect writes them first", async () => {
    const { socket, channel, overflows } = neverReadingChannel(10);
    assert.equal(channel.send("abcd"), true);
    assert.equal(channel.sendAfterAnswers("efgh"), true);
    assert.equal(channel.sendAfterAnswers("ijkl"), false, "4 written + 4 waiting + 4 would exceed 10");
    assert.deepEqual(overflows, [8]);
    assert.equal(socket.closedWith?.[0], 1013);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(socket.sent, ["abcd"], "the waiting frame of an overflowed channel is dropped");

    const closing = new FakeSocket();
    const closed = new OutboundChannel(closing, 100, () => assert.fail("no overflow"));
    closed.sendAfterAnswers("dropped");
    closed.close();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(closing.sent, []);

    const dropping = new FakeSocket();
    const dropped = new OutboundChannel(dropping, 100, () => assert.fail("no overflow"));
    dropped.sendAfterAnswers("last words");
    dropped.disconnect(1013, "bus lost");
    assert.deepEqual(dropping.sent, ["last words"]);
    assert.equal(dropping.closedWith?.[0], 1013);
  });
});
