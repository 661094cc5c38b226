// A keyed command delivered twice: published twice on its partition of its family's keyed
// lane without a de-duplication id, exactly what a redelivery looks like to a worker (its first
// delivery applied, then delivered again). Suites use it to show a write is applied and announced
// as once. And one ask of an unkeyed request under a command id of the test's choosing: asking
// twice under one id is what a sender's ask again (hedge) looks like to the service.
import { jetstream } from "@nats-io/jetstream";
import { busSubjects, KEYED_PARTITIONS, partitionOf, scopeKey } from "@switchyard/protocol";
import { type BusOutcome, type BusRequest, decodeOutcome, encodeJson, requestHeaders } from "@switchyard/runtime";
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

/**
 * One ask of an unkeyed `method` on its service's queue group, under `commandId`, as the gateway
 * sends it for `caller` (roles none unless given); `extra` adds what the gateway would (a start's
 * `newThreadId`). Its decoded outcome.
 */
export async function askedUnkeyed(
  stack: Stack,
  command: {
    commandId: string;
    method: string;
    params: unknown;
    caller: { tenant: string; subject: string; roles?: string[] };
    extra?: Partial<BusRequest>;
  },
): Promise<BusOutcome> {
  const { commandId, method, params, caller } = command;
  const meta = {
    commandId,
    method,
    caller: { roles: [], ...caller },
    deadlineMs: Date.now() + 10_000,
    connection: `test/${commandId}`,
    clientVersion: "0.171.0",
    ...command.extra,
  };
  const reply = await stack.infra.nc.request(busSubjects(stack.infra.busPrefix).rpc(method), encodeJson(params), {
    timeout: 10_000,
    headers: requestHeaders(meta),
  });
  return decodeOutcome(reply);
}
