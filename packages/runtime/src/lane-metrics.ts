// Keyed-lane gauges: depth and oldest command age per partition of one service's JetStream stream,
// read from the partitions' consumer info (num_pending + num_ack_pending) and the stream's first
// message on each non-empty partition subject. Sampled when a collection asks, at most once per
// `minIntervalMs` (one sample in flight at a time), so scrapes never hammer JetStream. The stream is
// shared: every instance of a service reports the same values (aggregate with max, not sum).
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { BusSubjects, ServiceName } from "@switchyard/protocol";
import { observeGauge } from "./metrics.js";

export interface PartitionSample {
  partition: number;
  depth: number;
  oldestAgeS: number;
}

export function watchKeyedLane(options: {
  nc: NatsConnection;
  subjects: BusSubjects;
  service: ServiceName;
  partitions: number;
  minIntervalMs?: number;
}): () => void {
  const { nc, subjects, service, partitions } = options;
  const minIntervalMs = options.minIntervalMs ?? 5_000;
  const stream = subjects.keyedStream(service);
  let jsm: JetStreamManager | undefined;
  let samples: PartitionSample[] = [];
  let sampledAt = 0;
  let sampling: Promise<void> | undefined;

  const samplePartition = async (manager: JetStreamManager, partition: number): Promise<PartitionSample> => {
    const info = await manager.consumers.info(stream, subjects.keyedConsumer(service, partition));
    const depth = info.num_pending + info.num_ack_pending;
    if (depth === 0) return { partition, depth, oldestAgeS: 0 };
    // The partition's first stored message is its oldest unfinished command (a work queue deletes on ack).
    const oldest = await manager.direct
      .getMessage(stream, { seq: 1, next_by_subj: subjects.keyedPartition(service, partition) })
      .catch(() => null);
    const oldestAgeS = oldest ? Math.max(0, (Date.now() - oldest.time.getTime()) / 1_000) : 0;
    return { partition, depth, oldestAgeS };
  };

  const refresh = async (): Promise<void> => {
    if (Date.now() - sampledAt < minIntervalMs) return;
    sampling ??= (async () => {
      try {
        jsm ??= await jetstreamManager(nc, { timeout: 2_000 });
        const manager = jsm;
        const all = await Promise.allSettled(
          Array.from({ length: partitions }, (_, partition) => samplePartition(manager, partition)),
        );
        // A partition whose read failed keeps no value (its series is absent until the next sample).
        samples = all.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
      } catch {
        samples = [];
      } finally {
        sampledAt = Date.now();
        sampling = undefined;
      }
    })();
    await sampling;
  };

  const stopDepth = observeGauge("keyedLaneDepth", async (observe) => {
    await refresh();
    for (const sample of samples) observe(sample.depth, { service, partition: String(sample.partition) });
  });
  const stopAge = observeGauge("keyedLaneOldestAge", async (observe) => {
    await refresh();
    for (const sample of samples) observe(sample.oldestAgeS, { service, partition: String(sample.partition) });
  });
  return () => {
    stopDepth();
    stopAge();
  };
}
