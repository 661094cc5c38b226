// Services announce notifications on tenant-scoped subjects; gateways forward them to the
// connections that need them. The emission time is stamped here, where the event happens.
import type { NatsConnection } from "@nats-io/nats-core";
import type { BusEvent, BusSubjects } from "@switchyard/protocol";
import { encodeJson } from "./bus-codec.js";

export class EventPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: BusSubjects,
  ) {}

  toTenant(tenant: string, method: string, params: unknown): void {
    this.publish(this.subjects.tenantEvents(tenant), method, params);
  }

  toThread(tenant: string, threadId: string, method: string, params: unknown): void {
    this.publish(this.subjects.threadEvents(tenant, threadId), method, params);
  }

  private publish(subject: string, method: string, params: unknown): void {
    const event: BusEvent = { method, params, emittedAtMs: Date.now() };
    this.nc.publish(subject, encodeJson(event));
  }
}
