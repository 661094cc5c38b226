import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OutboundChannel } from "./outbound.js";
import { FakeSocket } from "./testing/fake-socket.js";

describe("outbound back-pressure", () => {
  test("frames go out until the client's backlog would pass the limit; then it is disconnected with 1013, once", () => {
    const socket = new FakeSocket({ isNeverReading: true });
    const overflows: number[] = [];
    const channel = new OutboundChannel(socket, 10, (buffered) => overflows.push(buffered));
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
});
