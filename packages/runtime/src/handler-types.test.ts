// Handler maps are checked by the compiler (`pnpm test` type-checks first): a missing or extra
// handler, or one with the wrong params, does not compile. The runtime half: a service started with
// a handler missing anyway (an untyped caller) refuses to start.
import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { busSubjects, methodsOwnedBy } from "@switchyard/protocol";
import { pino } from "pino";
import { defaultKeyedLaneSettings } from "./keyed-lane.js";
import { type HandlersFor, startBusService } from "./service-host.js";

const never = async (): Promise<never> => {
  throw new Error("not called");
};
/** A complete map (every thread method), as the compiler sees it. */
const complete = Object.fromEntries(
  methodsOwnedBy("thread").map((spec) => [spec.method, never]),
) as unknown as HandlersFor<"thread">;
const { "thread/read": _read, ...withoutRead } = complete;

// @ts-expect-error thread/read has no handler
const missing: HandlersFor<"thread"> = withoutRead;
const extra: HandlersFor<"thread"> = {
  ...complete,
  // @ts-expect-error config/read is not the thread service's
  "config/read": never,
};
const wrongParams: HandlersFor<"thread"> = {
  ...complete,
  // @ts-expect-error thread/read's params have a string threadId
  "thread/read": async (_params: { threadId: number }) => never(),
};

test("a service missing a handler refuses to start", async () => {
  assert.ok(extra && wrongParams, "the maps above exist only for the compiler");
  const nc = await connect({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
  try {
    await assert.rejects(
      startBusService({
        nc,
        subjects: busSubjects("handlertypes"),
        service: "thread",
        version: "0",
        handlers: missing,
        keyedSettings: defaultKeyedLaneSettings,
        log: pino({ level: "silent" }),
      }),
      /no handler for thread\/read/,
    );
  } finally {
    await nc.close();
  }
});
