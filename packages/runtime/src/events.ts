// Services announce notifications on tenant-scoped subjects; gateways forward them to the
// connections that need them. The emission time is stamped here, where the event happens.
import { type NatsConnection, headers as natsHeaders } from "@nats-io/nats-core";
import { type BusEvent, BusHeader, type BusSubjects } from "@switchyard/protocol";
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
