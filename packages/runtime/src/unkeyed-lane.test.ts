// The unkeyed lane on a real nats-server: `nats micro stats` counts what async handlers really did,
// and a service the framework stopped (a subscription ended) is reported and started again.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { Svcm } from "@nats-io/services";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { busSubjects, toWireError } from "@switchyard/protocol";
import { pino } from "pino";
import { encodeJson, requestHeaders } from "./bus-codec.js";
import { serveUnkeyed, type UnkeyedLane } from "./unkeyed-lane.js";

const subjects = busSubjects(`u${randomBytes(4).toString("hex")}`);
const log = pino({ level: "silent" });
let nc: NatsConnection;
let lane: UnkeyedLane;

before(async () => {
  nc = await connect({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
  lane = await serveUnkeyed({
    nc,
    subjects,
    service: "thread",
    version: "0.0.0",
    methods: ["thread/read"],
    log,
    // A slow async handler: the framework alone would record ~0 ms for it.
    handle: async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const params = request.params as { fail?: boolean };
      return params.fail
        ? { ok: false, error: toWireError({ reason: "threadNotFound", threadId: "x" }) }
        : { ok: true, result: { ok: 1 } };
    },
  });
});
after(async () => {
  await lane?.stop();
  await nc?.close();
});

const call = (params: unknown) =>
  nc.request(subjects.rpc("thread/read"), encodeJson(params), {
    timeout: 2_000,
    headers: requestHeaders({
      commandId: randomBytes(8).toString("hex"),
      method: "thread/read",
      caller: { tenant: "t", subject: "s", roles: [] },
      deadlineMs: Date.now() + 2_000,
      connection: "g/c",
      clientVersion: "",
    }),
  });

test("stats count requests, errors and the handlers' real latency", async () => {
  await Promise.all([call({}), call({}), call({}), call({ fail: true })]);
  const statsIterator = await new Svcm(nc).client().stats(subjects.serviceName("thread"));
  const stats = [];
  for await (const entry of statsIterator) stats.push(entry);
  // Every switchyard-thread instance on this nats-server answers (another suite's, a stray process):
  // this lane's endpoint is the one on this suite's own subject.
  const endpoint = stats.flatMap((entry) => entry.endpoints ?? []).find((e) => e.subject === subjects.rpc("thread/read"));
  assert.ok(endpoint, "the endpoint reports stats");
  assert.equal(endpoint.num_requests, 4);
  assert.equal(endpoint.num_errors, 1);
  assert.ok(
    endpoint.average_processing_time >= 15_000_000,
    `average ${endpoint.average_processing_time} ns covers the 20 ms handler`,
  );
  assert.match(endpoint.last_error ?? "", /thread not found/);
});

test("a service stopped by the framework is reported not serving, then serves again", async () => {
  assert.equal(lane.isServing(), true);
  // End the endpoint's subscription, as a server-side permission change or a slow-consumer drop would.
  const internals = nc as unknown as { protocol: { subscriptions: { all(): { subject: string; unsubscribe(): void }[] } } };
  const endpointSubscription = internals.protocol.subscriptions.all().find((sub) => sub.subject === subjects.rpc("thread/read"));
  assert.ok(endpointSubscription, "found the endpoint's subscription");
  endpointSubscription.unsubscribe();
  const deadline = Date.now() + 5_000;
  let sawDown = false;
  while (Date.now() < deadline) {
    if (!lane.isServing()) sawDown = true;
    else if (sawDown) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(sawDown, "readiness saw the lane down");
  assert.equal(lane.isServing(), true, "the lane was started again");
  const reply = await call({});
  assert.deepEqual(JSON.parse(reply.string()), { ok: 1 });
});
