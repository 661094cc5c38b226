// A keyed command delivered twice: published twice on its partition of its family's keyed
// lane without a de-duplication id, exactly what a redelivery looks like to a worker (its first
// delivery applied, then delivered again). Suites use it to show a write is applied and announced
// as once.
import { jetstream } from "@nats-io/jetstream";
import { busSubjects, KEYED_PARTITIONS, partitionOf, scopeKey } from "@switchyard/protocol";
import { encodeJson, requestHeaders } from "@switchyard/runtime";
import type { Stack } from "./stack.js";

/**
 * Both answers, parsed, of `method` sent twice on the key `keyId` of `tenant` under one command id, on
 * the thread family's lane unless `family` names another, from the caller `subject` ("test"). With
 * `between`, the second copy is sent only after the first is answered and `between` has run (what
 * changed while the first delivery's ack was lost); without it, both are sent at once.
 */
export async function deliveredTwice(
  stack: Stack,
  command: {
    tenant: string;
    keyId: string;
    commandId: string;
    method: string;
    params: unknown;
    family?: "thread" | "config";
    subject?: string;
  },
  between?: () => Promise<void>,
): Promise<unknown[]> {
  const { tenant, keyId, commandId, method, params, family = "thread", subject: caller = "test" } = command;
  const subjects = busSubjects(stack.infra.busPrefix);
  const subject = subjects.keyedPartition(family, partitionOf(scopeKey(family, tenant, keyId), KEYED_PARTITIONS));
  const replyTo = `${stack.infra.busPrefix}.test.replies.${commandId.replaceAll(/[^A-Za-z0-9_-]/g, "-")}`;
  const replies = stack.infra.nc.subscribe(replyTo, { max: 2 });
  const meta = {
    commandId,
    method,
    caller: { tenant, subject: caller, roles: [] },
    deadlineMs: Date.now() + 30_000,
    connection: `test/${commandId}`,
    clientVersion: "test",
  };
  const js = jetstream(stack.infra.nc);
  const send = () => js.publish(subject, encodeJson(params), { headers: requestHeaders(meta, replyTo) });
  const answers: unknown[] = [];
  const collected = (async () => {
    for await (const reply of replies) answers.push(JSON.parse(new TextDecoder().decode(reply.data)));
  })();
  await send();
  if (between) {
    const deadline = Date.now() + 30_000;
    while (answers.length === 0) {
      if (Date.now() > deadline) throw new Error(`${method} (${commandId}): the first delivery was not answered`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await between();
  }
  await send();
  await collected;
  return answers;
}
