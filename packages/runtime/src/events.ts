// Services announce notifications; gateways forward them to the connections that need them. A
// notification's spec declares its audience, and `emit` picks the subject from it — every connection
// of a tenant, or a thread's subscribers — so no handler spells a subject, and only registered
// notifications go out. Their shapes are the compiler's to check (`NotificationParams`), and the
// suite checks every frame its clients receive against Codex's official schema; with
// SWITCHYARD_CHECK_EVENTS=1 (development, and the test harness) each one is also parsed against its
// spec as it is emitted. Not in production: that parse was 15% of the thread service's CPU for a lone
// thread/start (a whole thread), and it ran again for every streamed delta. The emission time is
// stamped here, where the event happens.
//
// Batching on the bus: notifications emitted within one run of the microtask queue (the handlers of
// a group-committed batch of renames resuming together, say) leave as few messages as their order
// allows — consecutive ones for one subject go as one message (`Sy-Event-Batch`), which gateways
// split again; order is kept exactly, across subjects too. Pending notifications are published at
// the end of that run, and before anything that must follow them: `flush()` runs before a request's
// answer is published (service-host.ts) and before a server request goes out (turn-bus.ts).
import { type NatsConnection, headers as natsHeaders } from "@nats-io/nats-core";
import {
  type BusEvent,
  BusHeader,
  type BusSubjects,
  type NotificationAudience,
  type NotificationAudienceOf,
  type NotificationParams,
  type NotificationsFor,
  notificationRegistry,
} from "@switchyard/protocol";

import { envBoolean } from "./env.js";

const encoder = new TextEncoder();

/** Where an event goes, by the audience its notification declares. */
export type EventTarget<A extends NotificationAudience> = A extends "tenant"
  ? { tenant: string }
  : A extends "threadSubscribers"
    ? { tenant: string; threadId: string }
    : { connection: string };

/** Notifications a service can publish. */
export type ServiceNotification = NotificationsFor<NotificationAudience>;

/** Notifications in one bus message at most (and bytes, well under any server's max_payload). */
const MAX_BATCH_EVENTS = 64;
const MAX_BATCH_BYTES = 64 * 1024;

interface PendingRun {
  subject: string;
  frames: string[];
  methods: string[];
  bytes: number;
}

/**
 * Notifications not yet published on one NATS connection, as runs of consecutive ones for one
 * subject, in emission order. One per connection, shared by every EventPublisher on it, so the
 * order of everything a process emits holds whichever publisher emitted it.
 */
class EventQueue {
  private pending: PendingRun[] = [];
  private isFlushQueued = false;
  private readonly flushQueued = () => {
    this.isFlushQueued = false;
    this.flush();
  };

  constructor(private readonly nc: NatsConnection) {}

  add(subject: string, method: string, frame: string): void {
    const last = this.pending[this.pending.length - 1];
    if (
      last &&
      last.subject === subject &&
      last.frames.length < MAX_BATCH_EVENTS &&
      last.bytes + frame.length < MAX_BATCH_BYTES
    ) {
      last.frames.push(frame);
      last.methods.push(method);
      last.bytes += frame.length + 1;
    } else {
      this.pending.push({ subject, frames: [frame], methods: [method], bytes: frame.length });
    }
    if (!this.isFlushQueued) {
      this.isFlushQueued = true;
      queueMicrotask(this.flushQueued);
    }
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const runs = this.pending;
    this.pending = [];
    for (const run of runs) {
      const headers = natsHeaders();
      headers.set(BusHeader.method, run.methods.join(","));
      if (run.frames.length > 1) headers.set(BusHeader.eventBatch, String(run.frames.length));
      this.nc.publish(run.subject, encoder.encode(run.frames.join("\n")), { headers });
    }
  }
}

const queues = new WeakMap<NatsConnection, EventQueue>();

function queueOf(nc: NatsConnection): EventQueue {
  let queue = queues.get(nc);
  if (!queue) {
    queue = new EventQueue(nc);
    queues.set(nc, queue);
  }
  return queue;
}

/** Publishes the notifications emitted on `nc` and not yet published (before something that must follow them). */
export function flushEvents(nc: NatsConnection): void {
  queues.get(nc)?.flush();
}

export interface EventPublisherOptions {
  /** Parse each notification's params against its spec as it is emitted; a mismatch throws. Default: SWITCHYARD_CHECK_EVENTS. */
  checkShapes?: boolean;
}

/** SWITCHYARD_CHECK_EVENTS, as `commonEnv` reads it (where an invalid value stops a service at startup). */
const checksShapesByDefault = (): boolean => envBoolean.safeParse(process.env.SWITCHYARD_CHECK_EVENTS ?? "").data === true;

export class EventPublisher {
  private readonly queue: EventQueue;
  private readonly checksShapes: boolean;

  constructor(
    nc: NatsConnection,
    private readonly subjects: BusSubjects,
    options: EventPublisherOptions = {},
  ) {
    this.queue = queueOf(nc);
    this.checksShapes = options.checkShapes ?? checksShapesByDefault();
  }

  emit<N extends ServiceNotification>(
    method: N,
    params: NotificationParams<N>,
    target: EventTarget<NotificationAudienceOf<N>>,
  ): void {
    const spec = this.specOf(method, params);
    const to = target as { tenant?: string; threadId?: string; connection?: string };
    const subject =
      spec.audience === "connection"
        ? this.subjects.connectionEvents(to.connection as string)
        : spec.audience === "threadSubscribers"
          ? this.subjects.threadEvents(to.tenant as string, to.threadId as string)
          : this.subjects.tenantEvents(to.tenant as string);
    this.publish(subject, method, params);
  }

  /**
   * Sends one notification, whatever its audience, to one client connection only: the state a client
   * is told when it attaches to a thread (a resume's token usage), which the thread's other
   * subscribers already know.
   */
  emitToConnection<N extends ServiceNotification>(method: N, params: NotificationParams<N>, connection: string): void {
    this.publishChecked(this.subjects.connectionEvents(connection), method, params);
  }

  private publishChecked(subject: string, method: string, params: unknown): void {
    this.specOf(method, params);
    this.publish(subject, method, params);
  }

  /** The notification's spec; throws for an unregistered one, and (when checking) for params it does not allow. */
  private specOf(method: string, params: unknown) {
    const spec = notificationRegistry.get(method);
    if (!spec) throw new Error(`${method} is not a registered notification`);
    if (this.checksShapes) {
      const parsed = spec.params.safeParse(params);
      if (!parsed.success) throw new Error(`${method} params do not match its spec: ${parsed.error.message}`);
    }
    return spec;
  }

  /** Publishes every notification emitted on this connection and still pending, in order. */
  flush(): void {
    this.queue.flush();
  }

  /**
   * The body is the client notification frame itself, so gateways forward the bytes unchanged; the
   * method also rides in a header so they can honour opt-outs without parsing the body.
   */
  private publish(subject: string, method: string, params: unknown): void {
    const event: BusEvent = { method, params, emittedAtMs: Date.now() };
    this.queue.add(subject, method, JSON.stringify(event));
  }
}
