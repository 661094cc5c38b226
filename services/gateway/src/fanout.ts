// Notification fan-out: one NATS subscription per subject this gateway's connections need
// (a tenant's subject, a thread's subject), reference-counted; each event is serialized once and
// written to every interested connection.
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { type BusEvent, BusHeader } from "@switchyard/protocol";
import { decodeJson, type Logger } from "@switchyard/runtime";

export interface NotificationSink {
  /** Delivers an already-serialized notification, unless the connection opted out of `method`. */
  deliverNotification(method: string, frame: string): void;
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
        // Events are already client frames: forward the text as is, parse only an event without
        // the method header (from an older publisher).
        const frame = msg.string();
        const method = msg.headers?.get(BusHeader.method) || (decodeJson(msg.data) as BusEvent).method;
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
