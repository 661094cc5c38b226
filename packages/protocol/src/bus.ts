// Every NATS subject, stream, consumer and header Switchyard uses. Nothing else spells them.
//
//   <prefix>.rpc.<method with / as .>            unkeyed request-reply, queue group = owning service
//   <prefix>.keyed.<service>.<partition>         keyed lane: JetStream work-queue stream per service
//   <prefix>.reply.<gatewayId>.<commandId>       keyed-lane replies, core NATS, to the issuing gateway
//   <prefix>.evt.<tenant>.tenant                 notifications for every connection of a tenant
//   <prefix>.evt.<tenant>.thread.<threadId>      notifications for a thread's subscribers
//   <prefix>.evt.conn.<gatewayId>.<connection>   notifications for one client connection
//   <prefix>.control.connection.closed           a client disconnected: cancel its queued/in-flight work
import type { ServiceName } from "./registry-types.js";

export const DEFAULT_BUS_PREFIX = "sy";

/** NATS subject tokens may not contain `.`, `*`, `>` or whitespace; others are kept, the rest escaped. */
export function subjectToken(value: string): string {
  if (/^[A-Za-z0-9_\-:]{1,128}$/.test(value)) return value;
  return `~${Buffer.from(value, "utf8").toString("base64url")}`;
}

export function busSubjects(prefix: string) {
  const upper = prefix.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return {
    rpc: (method: string) => `${prefix}.rpc.${method.split("/").map(subjectToken).join(".")}`,
    rpcEndpointName: (method: string) => method.replace(/[^A-Za-z0-9_-]/g, "_"),
    rpcQueueGroup: (service: ServiceName) => `${prefix}-${service}`,
    keyedStream: (service: ServiceName) => `${upper}_KEYED_${service.toUpperCase().replace(/-/g, "_")}`,
    keyedStreamSubjects: (service: ServiceName) => `${prefix}.keyed.${service}.*`,
    keyedPartition: (service: ServiceName, partition: number) => `${prefix}.keyed.${service}.${partition}`,
    keyedConsumer: (service: ServiceName, partition: number) => `${service}-p${partition}`,
    reply: (gatewayId: string, commandId: string) => `${prefix}.reply.${gatewayId}.${commandId}`,
    replyWildcard: (gatewayId: string) => `${prefix}.reply.${gatewayId}.*`,
    tenantEvents: (tenant: string) => `${prefix}.evt.${subjectToken(tenant)}.tenant`,
    threadEvents: (tenant: string, threadId: string) => `${prefix}.evt.${subjectToken(tenant)}.thread.${subjectToken(threadId)}`,
    /** `connection` is `<gatewayId>/<token>`, as in the `Sy-Connection` header. */
    connectionEvents: (connection: string) => {
      const [gatewayId = "", token = ""] = connection.split("/");
      return `${prefix}.evt.conn.${subjectToken(gatewayId)}.${subjectToken(token)}`;
    },
    connectionEventsWildcard: (gatewayId: string) => `${prefix}.evt.conn.${subjectToken(gatewayId)}.*`,
    connectionClosed: `${prefix}.control.connection.closed`,
    serviceName: (service: ServiceName) => `switchyard-${service}`,
  };
}

export type BusSubjects = ReturnType<typeof busSubjects>;

/** Headers on every bus request (both lanes). */
export const BusHeader = {
  /** Unique per client request; JetStream `Nats-Msg-Id` dedup and the Postgres idempotency key. */
  commandId: "Sy-Command-Id",
  method: "Sy-Method",
  tenant: "Sy-Tenant",
  subject: "Sy-Subject",
  roles: "Sy-Roles",
  /** `clientInfo.version` from the connection's initialize (recorded as a thread's cliVersion). */
  clientVersion: "Sy-Client-Version",
  /** Absolute deadline, epoch milliseconds. Work found past it is dropped, not run. */
  deadline: "Sy-Deadline",
  /** Where the keyed-lane worker sends the reply (core NATS). */
  replyTo: "Sy-Reply-To",
  /** `<gatewayId>/<connectionId>`: lets a disconnect cancel queued and in-flight work. */
  connection: "Sy-Connection",
  /** The client's JSON-RPC request id, as JSON (`7`, `"abc"`): what a cancel request names. */
  requestId: "Sy-Request-Id",
  /** W3C trace context. */
  traceparent: "traceparent",
  tracestate: "tracestate",
  /** NATS services framework error convention. */
  serviceError: "Nats-Service-Error",
  serviceErrorCode: "Nats-Service-Error-Code",
} as const;

/** Payload of `<prefix>.control.connection.closed`. */
export interface ConnectionClosedEvent {
  connection: string;
  closedAtMs: number;
}

/**
 * What a service publishes on an event subject: exactly the client notification frame, which the
 * gateway forwards byte for byte (the method is repeated in the `Sy-Method` header).
 */
export interface BusEvent {
  method: string;
  params: unknown;
  emittedAtMs: number;
}
