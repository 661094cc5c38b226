// Keyed-lane gauges on a real nats-server: commands waiting on a partition show as its depth and
// the age of its oldest; other partitions read 0; samples are cached between scrapes.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { busSubjects } from "@switchyard/protocol";
import { startHealthServer } from "./health.js";
import { defaultKeyedLaneSettings, ensureKeyedLane } from "./keyed-lane.js";
import { watchKeyedLane } from "./lane-metrics.js";
import { type MetricsHandle, startMetrics } from "./metrics.js";
import { connectNats, type NatsConnection } from "./nats.js";

const subjects = busSubjects(`m${randomBytes(4).toString("hex")}`);
const settings = { ...defaultKeyedLaneSettings, partitions: 4 };
let nc: NatsConnection;
let metrics: MetricsHandle;
let server: Awaited<ReturnType<typeof startHealthServer>>;
let stopWatching: () => void;

before(async () => {
  const { pino } = await import("pino");
  nc = (
    await connectNats({
      url: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
      name: "lane-metrics-test",
      log: pino({ level: "silent" }),
    })
  ).nc;
  await ensureKeyedLane(await jetstreamManager(nc), subjects, "thread", settings);
  metrics = await startMetrics({ service: "unit" });
  server = await startHealthServer({ host: "127.0.0.1", port: 0, readiness: async () => ({}) });
  stopWatching = watchKeyedLane({ nc, subjects, service: "thread", partitions: settings.partitions, minIntervalMs: 60_000 });
});
after(async () => {
  stopWatching();
  server.close();
  await metrics.shutdown();
  await (await jetstreamManager(nc)).streams.delete(subjects.keyedStream("thread")).catch(() => {});
  await nc.drain();
});

const scrape = async () => {
  const text = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();
  const read = (name: string, partition: number) => {
    const match = new RegExp(`^${name}\\{service="thread",partition="${partition}"\\} (\\S+)$`, "m").exec(text);
    return match ? Number(match[1]) : undefined;
  };
  return {
    depth: (p: number) => read("switchyard_keyed_lane_depth", p),
    age: (p: number) => read("switchyard_keyed_lane_oldest_age_seconds", p),
  };
};

test("waiting commands show as their partition's depth and oldest age; samples are cached", async () => {
  const js = jetstream(nc);
  await js.publish(subjects.keyedPartition("thread", 2), "first");
  await js.publish(subjects.keyedPartition("thread", 2), "second");
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const first = await scrape();
  assert.equal(first.depth(2), 2, "two commands wait on partition 2");
  assert.ok((first.age(2) ?? 0) >= 1, `the oldest waited over a second (${first.age(2)})`);
  for (const partition of [0, 1, 3]) {
    assert.equal(first.depth(partition), 0, `partition ${partition} is empty`);
    assert.equal(first.age(partition), 0);
  }
  await js.publish(subjects.keyedPartition("thread", 0), "third");
  const second = await scrape();
  assert.equal(second.depth(0), 0, "a scrape within the sampling interval answers from the cache");
});
