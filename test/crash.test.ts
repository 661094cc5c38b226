// Kill -9 one thread-service instance while keyed writes are in flight: every request is answered
// (result or error), every acknowledged write is in Postgres, none is applied twice, order holds,
// and the surviving instance carries on (the dead one's message is redelivered after ack_wait).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CodexTestClient, type RpcReply } from "./harness/client.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { appliedWrites, orderViolations, writeName } from "./harness/writes.js";

describe("crash of a thread-service instance during keyed writes", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack("crash", {
      threads: 2,
      gateways: 1,
      threadEnv: { SWITCHYARD_KEYED_ACK_WAIT_MS: "1000" },
      gatewayEnv: { GATEWAY_REQUEST_TIMEOUT_MS: "20000" },
    });
  });
  after(async () => stack?.stop());

  test("acknowledged writes survive, none applies twice, every request is answered", async (t) => {
    const owner = await CodexTestClient.open(stack.url);
    const threadIds: string[] = [];
    for (let index = 0; index < 8; index++) threadIds.push((await owner.call("thread/start", {})).thread.id);
    const writers = await Promise.all(Array.from({ length: 8 }, () => CodexTestClient.open(stack.url)));
    const writesPerWriter = 60;

    const sent: { name: string; reply: Promise<RpcReply> }[] = [];
    let answered = 0;
    let killed = false;
    const victim = stack.threads[0];
    assert.ok(victim);
    // Writers pace themselves (a write every few ms) so the kill lands mid-stream.
    await Promise.all(
      writers.map(async (writer, writerIndex) => {
        for (let sequence = 0; sequence < writesPerWriter; sequence++) {
          const name = writeName(`w${writerIndex}`, sequence);
          const reply = writer.request("thread/name/set", { threadId: threadIds[writerIndex % threadIds.length], name });
          void reply.then(() => {
            answered++;
            if (!killed && answered >= 120) {
              killed = true;
              void victim.crash();
            }
          });
          sent.push({ name, reply });
          await new Promise((resolve) => setTimeout(resolve, 3));
        }
      }),
    );
    const replies = await Promise.all(sent.map(async (write) => ({ name: write.name, reply: await write.reply })));
    assert.ok(killed, "the instance was killed mid-stream");
    assert.equal(replies.length, writers.length * writesPerWriter, "every request got an answer");

    const acknowledged = replies.filter((entry) => entry.reply.result !== undefined).map((entry) => entry.name);
    const failed = replies.filter((entry) => entry.reply.error);
    for (const entry of failed) assert.ok(entry.reply.error?.code, "errors carry a code");

    const applied = await appliedWrites(stack.infra.pool);
    t.diagnostic(`${acknowledged.length} acknowledged, ${failed.length} failed, ${applied.length} applied`);
    const appliedCount = new Map<string, number>();
    for (const write of applied) appliedCount.set(write.name, (appliedCount.get(write.name) ?? 0) + 1);
    for (const name of acknowledged)
      assert.equal(appliedCount.get(name), 1, `acknowledged write ${name} is applied exactly once`);
    for (const [name, count] of appliedCount) assert.equal(count, 1, `${name} applied ${count} times`);
    assert.deepEqual(orderViolations(applied), []);

    // The survivor serves every partition now.
    for (const threadId of threadIds) {
      assert.deepEqual(await owner.call("thread/name/set", { threadId, name: "after-crash" }), {});
    }
    await Promise.all([owner, ...writers].map((client) => client.close()));
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
