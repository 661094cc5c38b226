// The failure rule end to end on a real nats-server: a permanent failure on the keyed lane is
// answered at once and never retried (its partition moves on), a transient one is retried in order,
// and a request the bus cannot carry is refused before it is sent.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { busSubjects, Method, methodsOwnedBy, scopeKey } from "@switchyard/protocol";
import { pino } from "pino";
import { type BusOutcome, encodeJson } from "./bus-codec.js";
import { defaultKeyedLaneSettings } from "./keyed-lane.js";
import { LaneClient } from "./lane-client.js";
import { type BusConnection, connectNats } from "./nats.js";
import { type BusServiceHandle, Cancellation, type HandlerContext, type HandlersFor, startBusService } from "./service-host.js";

const prefix = `h${randomBytes(4).toString("hex")}`;
const subjects = busSubjects(prefix);
const log = pino({ level: "silent" });
const attempts = new Map<string, number>();
const applied: string[] = [];
let bus: BusConnection;
let service: BusServiceHandle;
let lanes: LaneClient;

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

before(async () => {
  bus = await connectNats({ url: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "service-host-test", log });
  const rename = async (params: { threadId: string; name: string }, _context: HandlerContext) => {
    const attempt = (attempts.get(params.name) ?? 0) + 1;
    attempts.set(params.name, attempt);
    if (params.name.startsWith("permanent")) throw pgError("22021", 'invalid byte sequence for encoding "UTF8": 0x00');
    if (params.name.startsWith("transient") && attempt < 3) throw pgError("57P01", "terminating connection");
    applied.push(params.name);
    return {};
  };
  const unused = async (): Promise<never> => {
    throw new Error("not called");
  };
  service = await startBusService({
    nc: bus.nc,
    subjects,
    service: "thread",
    version: "0.0.0",
    handlers: {
      ...(Object.fromEntries(methodsOwnedBy("thread").map((spec) => [spec.method, unused])) as unknown as HandlersFor<"thread">),
      [Method.threadNameSet]: rename,
    },
    keyedSettings: { ...defaultKeyedLaneSettings, ackWaitMs: 5_000, maxDeliver: 5 },
    log,
  });
  lanes = new LaneClient(bus, subjects, "gwtest", log);
});

after(async () => {
  lanes?.stop();
  await service?.stop();
  const jsm = await jetstreamManager(bus.nc);
  await jsm.streams.delete(subjects.keyedStream("thread")).catch(() => {});
  await bus?.nc.close();
});

/** An outcome as a plain value: `ok` and the parsed result (or the error), without the result's text. */
const plain = (outcome: BusOutcome) => (outcome.ok ? { ok: true, result: outcome.result } : outcome);

function rename(threadId: string, name: string): Promise<BusOutcome> {
  return lanes.request({
    owner: "thread",
    key: scopeKey("thread", "tenant", threadId),
    meta: {
      commandId: randomBytes(8).toString("hex"),
      method: Method.threadNameSet,
      caller: { tenant: "tenant", subject: "s", roles: [] },
      deadlineMs: Date.now() + 20_000,
      connection: "gwtest/c1",
      clientVersion: "",
    },
    body: encodeJson({ threadId, name }),
    timeoutMs: 20_000,
  });
}

test("a permanent failure is answered at once, once, and the key's next command runs right after", async () => {
  const startedAt = Date.now();
  const [bad, good] = await Promise.all([rename("t1", "permanent-1"), rename("t1", "fine-1")]);
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.code, -32600);
  assert.equal(!bad.ok && (bad.error.data as { reason: string }).reason, "unstorableInput");
  assert.equal(attempts.get("permanent-1"), 1, "never retried");
  assert.deepEqual(plain(good), { ok: true, result: {} });
  assert.ok(Date.now() - startedAt < 2_000, `both answered in ${Date.now() - startedAt} ms`);
});

test("a transient failure is retried in order until it succeeds", async () => {
  const [first, second] = await Promise.all([rename("t2", "transient-1"), rename("t2", "fine-2")]);
  assert.deepEqual(plain(first), { ok: true, result: {} });
  assert.deepEqual(plain(second), { ok: true, result: {} });
  assert.equal(attempts.get("transient-1"), 3);
  assert.equal(attempts.get("fine-2"), 1);
  assert.deepEqual(
    applied.filter((name) => name.endsWith("-2") || name.startsWith("transient")),
    ["transient-1", "fine-2"],
    "the later command waited for the retried one",
  );
});

test("a request larger than the bus carries is refused before it is sent", async () => {
  const outcome = await rename("t3", "x".repeat(2 * 1024 * 1024));
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && (outcome.error.data as { reason: string }).reason, "requestTooLarge");
  assert.ok(!outcome.ok && (outcome.error.data as { limitBytes: number }).limitBytes > 0);
  assert.equal(service.isServing(), true);
});

test("a request's cancellation reaches its signal whether the handler asked for it before or after", () => {
  const early = new Cancellation();
  const signal = early.signal;
  assert.equal(signal.aborted, false);
  early.abort();
  assert.equal(signal.aborted, true, "a signal taken before the abort sees it");
  const late = new Cancellation();
  late.abort();
  assert.equal(late.signal.aborted, true, "a signal first asked for after the abort is already aborted");
  assert.equal(new Cancellation().signal.aborted, false);
});
