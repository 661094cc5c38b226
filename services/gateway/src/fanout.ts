// Notification fan-out: one NATS subscription per subject this gateway's connections need
// (a tenant's subject, a thread's subject), reference-counted; each event is serialized once and
// written to every interested connection. Events for one connection arrive on one wildcard
// subscription per gateway (`ConnectionEvents`).
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { type BusEvent, BusHeader } from "@switchyard/protocol";
import { decodeJson, type Logger } from "@switchyard/runtime";

export interface NotificationSink {
  /** Delivers an already-serialized notification, unless the connection opted out of `method`. */
  deliverNotification(method: string, frame: string): void;
}

/**
 * Events are already client frames: the text is forwarded as is; the body is parsed only for an
 * event without the method header (from an older publisher).
 */
export function eventFrame(msg: Msg): { method: string; frame: string } {
  const frame = msg.string();
  return { method: msg.headers?.get(BusHeader.method) || (decodeJson(msg.data) as BusEvent).method, frame };
}

/**
 * Events addressed to single connections of this gateway: one wildcard subscription for all of
 * them, routed by subject.
 */
export class ConnectionEvents {
  private readonly sinks = new Map<string, NotificationSink>();
  private readonly subscription: Subscription;

  constructor(nc: NatsConnection, wildcard: string, log: Logger) {
    this.subscription = nc.subscribe(wildcard, {
      callback: (error, msg) => {
        if (error) {
          log.error({ err: error.message }, "connection event subscription failed");
          return;
        }
        const sink = this.sinks.get(msg.subject);
        if (!sink) return; // the connection has gone
        const { method, frame } = eventFrame(msg);
        sink.deliverNotification(method, frame);
      },
    });
  }

  add(subject: string, sink: NotificationSink): void {
    this.sinks.set(subject, sink);
  }

  remove(subject: string): void {
    this.sinks.delete(subject);
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

export class NotificationFanout {
  private readonly subscriptions = new Map<string, { subscription: Subscription; sinks: Set<NotificationSink> }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  add(subject: string, sink: NotificationSink): void {
    const existing = this.subscriptions.get(subject);
    if (existing) {
      existing.sinks.add(sink);
      return;
    }
    const sinks = new Set<NotificationSink>([sink]);
    const subscription = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          this.log.error({ err: error.message, subject }, "notification subscription failed");
          return;
        }
        const { method, frame } = eventFrame(msg);
        for (const target of sinks) target.deliverNotification(method, frame);
      },
    });
    this.subscriptions.set(subject, { subscription, sinks });
  }

  remove(subject: string, sink: NotificationSink): void {
    const entry = this.subscriptions.get(subject);
    if (!entry) return;
    entry.sinks.delete(sink);
    if (entry.sinks.size === 0) {
      entry.subscription.unsubscribe();
      this.subscriptions.delete(subject);
    }
  }

  get subjectCount(): number {
    return this.subscriptions.size;
  }
}
