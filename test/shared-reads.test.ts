// Shared reads on the keyed lane end to end through the gateway's router: two gateways (each its own
// NATS connection, lane client and BusRouter, requests dispatched through KeyOrdering as a client
// connection does) and two service instances (KeyedLaneWorkers on their own connections), on the
// real nats-server. The router marks each keyed request with its method's scope kind; the lane runs
// consecutive shared reads of a key together, never beside an exclusive, in publish order across
// gateways; and a group of reads whose instance dies is answered by the other instance.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { busSubjects, type MethodSpec } from "@switchyard/protocol";
import {
  type BusConnection,
  type BusOutcome,
  type BusRequest,
  connectNats,
  createLogger,
  defaultKeyedLaneSettings,
  KeyedLaneWorker,
  LaneClient,
  LogLimiter,
} from "@switchyard/runtime";
import { maxConcurrency, runOf as runOfRecorded } from "../packages/runtime/src/testing/run-timeline.js";
import { BusRouter, keyOf } from "../services/gateway/src/bus-router.js";
import { KeyOrdering } from "../services/gateway/src/key-ordering.js";
import { infraUrls } from "./harness/infra.js";

const subjects = busSubjects(`sr${randomBytes(4).toString("hex")}`);
const log = createLogger({ service: "shared-reads-test", instanceId: "t", level: "silent" });
/** Short, so the crash case is answered quickly; handlers here never outlive it unattended. */
const ACK_WAIT_MS = 2_000;

// Test methods owned by the config service: the router reads `owner`, `method` and `scope`.
const spec = (method: string, kind: "sharedRead" | "exclusive") =>
  ({
    method,
    owner: "config",
    scope: { kind, family: "config", id: (params: { key: string }) => params.key },
    experimental: false,
    paramsRequired: true,
    summary: method,
  }) as unknown as MethodSpec<unknown, unknown>;
const readSpec = spec("test/sharedRead", "sharedRead");
const writeSpec = spec("test/exclusive", "exclusive");

interface Params {
  id: string;
  key: string;
  sleepMs: number;
  /** The first instance to run it never finishes it (until released): it is about to die. */
  hang?: boolean;
}

interface Run {
  id: string;
  worker: string;
  method: string;
  startedAt: number;
  finishedAt: number;
  observed: number;
}

const writes = new Map<string, number>();
const runs: Run[] = [];
/** Ids whose handler has started (and not hung). */
const started = new Set<string>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let victim: string | undefined;
const hung: Array<() => void> = [];

function handlerFor(worker: string) {
  return async (request: BusRequest): Promise<BusOutcome> => {
    const params = request.params as Params;
    if (params.hang && (victim === undefined || victim === worker)) {
      victim = worker;
      await new Promise<void>((resolve) => hung.push(resolve));
      return { ok: true, result: { worker, late: true } };
    }
    const startedAt = performance.now();
    started.add(params.id);
    const observed = writes.get(params.key) ?? 0;
    await sleep(params.sleepMs);
    if (request.method === writeSpec.method) writes.set(params.key, observed + 1);
    runs.push({ id: params.id, worker, method: request.method, startedAt, finishedAt: performance.now(), observed });
    return { ok: true, result: { observed, worker } };
  };
}

interface Instance {
  name: string;
  bus: BusConnection;
  worker: KeyedLaneWorker;
}

async function startInstance(name: string): Promise<Instance> {
  const bus = await connectNats({ url: infraUrls.nats, name, log });
  const worker = new KeyedLaneWorker({
    nc: bus.nc,
    subjects,
    service: "config",
    settings: { ...defaultKeyedLaneSettings, ackWaitMs: ACK_WAIT_MS },
    handle: handlerFor(name),
    isCancelled: () => false,
    log,
    clientLog: new LogLimiter(log),
  });
  await worker.start();
  return { name, bus, worker };
}

interface Gateway {
  bus: BusConnection;
  lanes: LaneClient;
  router: BusRouter;
}

async function startGateway(id: string): Promise<Gateway> {
  const bus = await connectNats({ url: infraUrls.nats, name: id, log });
  const lanes = new LaneClient(bus, subjects, id, log);
  return { bus, lanes, router: new BusRouter(lanes) };
}

/** One client connection on a gateway, dispatching as the gateway's ClientConnection does. */
function clientOn(gateway: Gateway, name: string) {
  const ordering = new KeyOrdering();
  const caller = { tenant: "acme", subject: `user-${name}`, roles: [] };
  let counter = 0;
  return (method: MethodSpec<unknown, unknown>, key: string, sleepMs: number, extra: Partial<Params> = {}) => {
    const id = `${name}-${++counter}`;
    const params: Params = { id, key, sleepMs, ...extra };
    const scopeKey = keyOf(method, params, caller);
    const request = {
      spec: method,
      params,
      caller,
      connection: `${name}/c`,
      clientRequestId: counter,
      clientVersion: "",
      timeoutMs: 15_000,
      key: scopeKey,
    };
    const outcome =
      method.scope.kind !== "unkeyed" && scopeKey
        ? ordering.write(scopeKey, () => gateway.router.route(request))
        : ordering.read(scopeKey, () => gateway.router.route(request));
    return { id, outcome };
  };
}

const runOf = (id: string): Run => runOfRecorded(runs, id);

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const okResults = async (sent: { outcome: Promise<BusOutcome> }[]) => {
  const outcomes = await Promise.all(sent.map((entry) => entry.outcome));
  assert.deepEqual(
    outcomes.filter((outcome) => !outcome.ok),
    [],
    "every request answered with a result",
  );
  return outcomes.map((outcome) => (outcome.ok ? (outcome.result as { observed: number; worker: string }) : undefined));
};

describe("shared reads across gateways and instances", () => {
  const instances: Instance[] = [];
  const gateways: Gateway[] = [];
  let admin: BusConnection;

  before(async () => {
    admin = await connectNats({ url: infraUrls.nats, name: "shared-reads-admin", log });
    instances.push(await startInstance("i1"), await startInstance("i2"));
    gateways.push(await startGateway("g1"), await startGateway("g2"));
  });

  after(async () => {
    for (const release of hung) release();
    for (const gateway of gateways) {
      gateway.lanes.stop();
      await gateway.bus.nc.close();
    }
    for (const instance of instances) {
      await instance.worker.stop();
      if (!instance.bus.nc.isClosed()) await instance.bus.nc.close();
    }
    const jsm = await jetstreamManager(admin.nc);
    await jsm.streams.delete(subjects.keyedStream("config")).catch(() => {});
    await admin.nc.close();
  });

  test("reads of one key sent through two gateways run together; the same calls as exclusives run one at a time", async () => {
    const [a, b] = [clientOn(gateways[0] as Gateway, "a"), clientOn(gateways[1] as Gateway, "b")];
    const reads = [0, 1, 2, 3].map((index) => (index % 2 ? b : a)(readSpec, "doc-1", 300));
    await okResults(reads);
    assert.ok(maxConcurrency(reads.map((entry) => runOf(entry.id))) >= 3, "the reads overlapped");

    const exclusives = [0, 1, 2, 3].map((index) => (index % 2 ? b : a)(writeSpec, "doc-2", 50));
    await okResults(exclusives);
    assert.equal(maxConcurrency(exclusives.map((entry) => runOf(entry.id))), 1, "exclusives never overlapped");
  });

  test("a write from another gateway waits for the reads before it; a read after it sees it", async () => {
    const a = clientOn(gateways[0] as Gateway, "a2");
    const b = clientOn(gateways[1] as Gateway, "b2");
    const reads = [a(readSpec, "doc-3", 400), a(readSpec, "doc-3", 400)];
    await waitFor(() => reads.every((entry) => started.has(entry.id)), "both reads to start");
    const write = b(writeSpec, "doc-3", 200);
    await sleep(100); // the write is stored behind the reads (which run for 400 ms)
    const lastRead = a(readSpec, "doc-3", 10);
    const [first, second] = await okResults(reads);
    const [written] = await okResults([write]);
    const [last] = await okResults([lastRead]);
    const [read1, read2, writeRun, read3] = [...reads, write, lastRead].map((entry) => runOf(entry.id)) as [Run, Run, Run, Run];
    assert.equal(maxConcurrency([read1, read2]), 2, "the two reads ran together");
    assert.ok(writeRun.startedAt >= Math.max(read1.finishedAt, read2.finishedAt), "the write waited for both reads");
    assert.ok(read3.startedAt >= writeRun.finishedAt, "the later read waited for the write");
    assert.deepEqual(
      [first?.observed, second?.observed, written?.observed, last?.observed],
      [0, 0, 0, 1],
      "only the read sent after the write saw it",
    );
  });

  test("a connection reads its own write at once, and its reads after it run together", async () => {
    const a = clientOn(gateways[1] as Gateway, "a3");
    const sent = [a(writeSpec, "doc-4", 100), a(readSpec, "doc-4", 200), a(readSpec, "doc-4", 200)];
    const [, read1, read2] = await okResults(sent);
    assert.deepEqual([read1?.observed, read2?.observed], [1, 1]);
    const [writeRun, readRun1, readRun2] = sent.map((entry) => runOf(entry.id)) as [Run, Run, Run];
    assert.ok(readRun1.startedAt >= writeRun.finishedAt && readRun2.startedAt >= writeRun.finishedAt);
    assert.equal(maxConcurrency([readRun1, readRun2]), 2);
  });

  test("reads whose instance dies mid-group are answered by the other instance after ack_wait", async () => {
    const a = clientOn(gateways[0] as Gateway, "a4");
    // One key: the three reads form one group, on one instance.
    const key = "doc-5";
    const sent = [
      a(readSpec, key, 10, { hang: true }),
      a(readSpec, key, 10, { hang: true }),
      a(readSpec, key, 10, { hang: true }),
    ];
    await waitFor(() => hung.length === 3, "the group to start on one instance");
    const dying = instances.find((instance) => instance.name === victim) as Instance;
    const survivor = instances.find((instance) => instance.name !== victim) as Instance;
    const diedAt = Date.now();
    await dying.bus.nc.close(); // its un-acked head is redelivered after ack_wait

    const results = await okResults(sent);
    assert.deepEqual(
      results.map((result) => result?.worker),
      [survivor.name, survivor.name, survivor.name],
      "answered by the survivor",
    );
    const elapsed = Date.now() - diedAt;
    assert.ok(elapsed < ACK_WAIT_MS + 3_000, `answered ${elapsed} ms after the instance died`);
    for (const entry of sent) assert.equal(runOf(entry.id).worker, survivor.name);

    // Traffic on the key carries on: a write and a read after it.
    const next = [a(writeSpec, key, 10), a(readSpec, key, 10)];
    const [, read] = await okResults(next);
    assert.equal(read?.observed, 1);
  });
});
