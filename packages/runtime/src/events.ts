// Services announce notifications; gateways forward them to the connections that need them. A
// notification's spec declares its audience, and `emit` picks the subject from it — every connection
// of a tenant, or a thread's subscribers — and validates the params against the spec, so no handler
// spells a subject or sends a shape the registry does not allow. The emission time is stamped here,
// where the event happens.
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
import { encodeJson } from "./bus-codec.js";

/** Where an event goes, by the audience its notification declares. */
export type EventTarget<A extends NotificationAudience> = A extends "tenant"
  ? { tenant: string }
  : A extends "threadSubscribers"
    ? { tenant: string; threadId: string }
    : { connection: string };

/** Notifications a service can publish. */
export type ServiceNotification = NotificationsFor<NotificationAudience>;

export class EventPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: BusSubjects,
  ) {}

  emit<N extends ServiceNotification>(
    method: N,
    params: NotificationParams<N>,
    target: EventTarget<NotificationAudienceOf<N>>,
  ): void {
    const spec = notificationRegistry.get(method);
    if (!spec) throw new Error(`${method} is not a registered notification`);
    const parsed = spec.params.safeParse(params);
    if (!parsed.success) throw new Error(`${method} params do not match its spec: ${parsed.error.message}`);
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
   * The body is the client notification frame itself, so gateways forward the bytes unchanged; the
   * method also rides in a header so they can honour opt-outs without parsing the body.
   */
  private publish(subject: string, method: string, params: unknown): void {
    const event: BusEvent = { method, params, emittedAtMs: Date.now() };
    const headers = natsHeaders();
    headers.set(BusHeader.method, method);
    this.nc.publish(subject, encodeJson(event), { headers });
  }
}
