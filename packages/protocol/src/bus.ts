// Every NATS subject, stream, consumer and header Switchyard uses. Nothing else spells them.
//
//   <prefix>.rpc.<method with / as .>            unkeyed request-reply, queue group = owning service
//   <prefix>.keyed.<service>.<partition>         keyed lane: JetStream work-queue stream per service
//   <prefix>.reply.<gatewayId>.<commandId>       keyed-lane replies, core NATS, to the issuing gateway
//   <prefix>.evt.<tenant>.tenant                 notifications for every connection of a tenant
//   <prefix>.evt.<tenant>.thread.<threadId>      notifications for a thread's subscribers
//   <prefix>.evt.conn.<gatewayId>.<connection>   notifications for one client connection
//   <prefix>.chg.<tenant>.<threadId>             a thread's stored state changed (empty body): gateways drop cached reads of it
//   <prefix>.chgs.<tenant>                       several threads' stored state changed in one commit (body: JSON array of ids)
//   <prefix>.cfgchg.<tenant>                     a tenant's config changed (empty body): gateways drop its cached config reads
//   <prefix>.cfgreset                            config may have changed anywhere (notices missed): gateways drop every cached config read
//   <prefix>.control.connection.closed           a client disconnected: cancel its queued/in-flight work
//   <prefix>.control.search.cancel               a client cancelled a thread search: every thread instance checks its running ones
//   <prefix>.turn.<tenant>.<threadId>            turn control (interrupt, steer): request-reply to the instance running the thread's turn
//   <prefix>.srq.<token>                         a client's answer to a server request (item/tool/call), to the turn that asked
//   <prefix>.rc.open                             relay: may this caller open a session to this environment? (queue group)
//   <prefix>.rc.machine.<tenant>.<environmentId> relay: client → machine; subscribed only by the instance holding its socket
//   <prefix>.rc.client.<clientId>                relay: machine → client; subscribed by the gateway connection of that client
//   <prefix>.rc.status.<tenant>.<environmentId>  relay: the machine's socket was taken / lost (instances and sessions listen)
import type { WireError } from "./errors.js";
import type { ThreadGoal } from "./methods/thread-lifecycle.js";
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
    /** Published by the thread service after every commit that changes what thread/read answers. */
    threadChanged: (tenant: string, threadId: string) => `${prefix}.chg.${subjectToken(tenant)}.${subjectToken(threadId)}`,
    threadChangedWildcard: `${prefix}.chg.*.*`,
    /** One commit changed several of a tenant's threads (a JSON array of their ids). */
    threadsChanged: (tenant: string) => `${prefix}.chgs.${subjectToken(tenant)}`,
    threadsChangedWildcard: `${prefix}.chgs.*`,
    /** Published by the config service after every commit that bumps a tenant's config generation. */
    configChanged: (tenant: string) => `${prefix}.cfgchg.${subjectToken(tenant)}`,
    configChangedWildcard: `${prefix}.cfgchg.*`,
    /** Published by the config service when it may have missed a change made outside it (its database listener reconnected). */
    configReset: `${prefix}.cfgreset`,
    connectionClosed: `${prefix}.control.connection.closed`,
    /** Cancels of long client requests (searches, samples), broadcast to every thread instance. */
    requestCancel: `${prefix}.control.request.cancel`,
    /** Subscribed only by the instance running that thread's turn, while it runs. */
    turnControl: (tenant: string, threadId: string) => `${prefix}.turn.${subjectToken(tenant)}.${subjectToken(threadId)}`,
    /** Where gateways send a client's answer to the server request with this token. */
    serverRequestReply: (token: string) => `${prefix}.srq.${subjectToken(token)}`,
    relayOpen: `${prefix}.rc.open`,
    relayOpenQueueGroup: `${prefix}-remote-control-relay`,
    relayToMachine: (tenant: string, environmentId: string) =>
      `${prefix}.rc.machine.${subjectToken(tenant)}.${subjectToken(environmentId)}`,
    relayToClient: (clientId: string) => `${prefix}.rc.client.${subjectToken(clientId)}`,
    relayStatus: (tenant: string, environmentId: string) =>
      `${prefix}.rc.status.${subjectToken(tenant)}.${subjectToken(environmentId)}`,
    relayStatusWildcard: `${prefix}.rc.status.>`,
    serviceName: (service: ServiceName) => `switchyard-${service}`,
  };
}

export type BusSubjects = ReturnType<typeof busSubjects>;

/** Headers on every bus request (both lanes). */
export const BusHeader = {
  /**
   * A request's identity as one JSON array: [commandId, method, tenant, subject, roles, deadline,
   * connection, client request id or null, client version] (bus-codec.ts). The per-field headers
   * below are what earlier publishers sent instead; decoders still read them.
   */
  request: "Sy-Request",
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
  /**
   * Keyed lane only: `sharedRead` or `exclusive`, the method's scope kind. Absent (an older
   * publisher) or anything else means exclusive, the safe reading.
   */
  scope: "Sy-Scope",
  /** W3C trace context. */
  traceparent: "traceparent",
  tracestate: "tracestate",
  /**
   * On an event: the event is a server→client request (`ServerRequestEvent`) with this token, not a
   * notification. The gateway gives each connection its own JSON-RPC id for it and sends the
   * client's answer to `serverRequestReply(token)`.
   */
  serverRequest: "Sy-Server-Request",
  /** On an event: the server request with this token was answered or withdrawn (`serverRequest/resolved`). */
  serverRequestResolved: "Sy-Server-Request-Resolved",
  /**
   * On an event: the message carries this many notifications for the subject, in order — their
   * frames joined by a newline (a JSON frame has none of its own) and their methods, comma-joined,
   * in `Sy-Method`. Notifications a service emits together are published as one message.
   */
  eventBatch: "Sy-Event-Batch",
  /** NATS services framework error convention. */
  serviceError: "Nats-Service-Error",
  serviceErrorCode: "Nats-Service-Error-Code",
} as const;

/** Payload of `<prefix>.control.connection.closed`. */
export interface ConnectionClosedEvent {
  connection: string;
  /** The connection's tenant (its subscriptions are tenant rows). */
  tenant: string;
  closedAtMs: number;
}

/**
 * Which cancellable request a cancel names: `thread/search` ("search"), `thread/search/stream`
 * ("stream") or `thread/sample` ("sample"); each cancel method stops only its own kind.
 */
export type RequestCancelKind = "search" | "stream" | "sample";

/**
 * Payload of `<prefix>.control.request.cancel`: the request of `kind` that `connection` sent with
 * JSON-RPC id `requestId` should stop.
 */
export interface RequestCancelEvent {
  connection: string;
  kind: RequestCancelKind;
  requestId: string | number;
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

/**
 * A server→client request published on a thread's event subject (header `Sy-Server-Request`: its
 * token). Every subscribed connection receives it under an id of its own; the first answer wins.
 */
export interface ServerRequestEvent {
  method: string;
  params: unknown;
  threadId: string;
}

/** Published on `serverRequestReply(token)` by the gateway: a client's answer, as it sent it. */
export type ServerRequestAnswer = { connection: string; result: unknown } | { connection: string; error: WireError };

/** Request on `turnControl(tenant, threadId)`; the reply is a `TurnControlReply`. */
export type TurnControlRequest = { commandId: string } & (
  | { type: "interrupt"; turnId: string }
  | { type: "steer"; expectedTurnId: string; input: unknown[]; clientUserMessageId: string | null }
  /** turn/start while the turn runs: its input joins the running turn (as in Codex). */
  | { type: "addInput"; input: unknown[]; clientUserMessageId: string | null }
  /**
   * A client changes or clears the thread's goal: what the running turn has spent toward it so far is
   * accounted first, as Codex does before a goal/set or goal/clear (answered once it is).
   */
  | { type: "settleGoal" }
  /** A client changed the active goal's objective: the running turn's model is told before it is asked again. */
  | { type: "goalObjectiveUpdated"; goal: ThreadGoal }
);

export type TurnControlReply = { ok: true; turnId: string } | { ok: false; error: WireError };

// ---- Remote-control relay (gateway ⇄ remote-control instance) ----
// A relayed client is one gateway connection opened at `/environments/<environmentId>`. Its
// `clientId` (the machine's virtual connection id) and `streamId` are chosen by the gateway and stay
// the same for the life of the connection, whichever instance holds the machine's socket meanwhile.

/** Request on `relayOpen`; the reply is a `RelayOpenReply`. */
export interface RelayOpenRequest {
  tenant: string;
  subject: string;
  environmentId: string;
}

export type RelayOpenReply = { ok: true; serverName: string; isConnected: boolean } | { ok: false; error: WireError };

/** Request on `relayToMachine`; answered `{ok: true}` once written to the machine's socket. */
export type RelayToMachine =
  | { type: "message"; clientId: string; streamId: string; seqId: number; message: unknown }
  | { type: "close"; clientId: string; streamId: string };

/**
 * Request on `relayToClient`. A `message` is answered once the gateway has taken it (written to the
 * client or recognised as a duplicate): only then does the instance acknowledge it to the machine.
 * `seqId` is the machine's per-stream sequence number, so a replay through another instance is
 * recognised; `part`/`parts` split a message larger than the bus carries.
 */
export type RelayToClient =
  | { type: "message"; streamId: string; seqId: number; part: number; parts: number; text: string }
  | { type: "closed"; reason: string };

/** Published on `relayStatus`. */
export interface RelayStatusEvent {
  status: "connected" | "connecting";
  instanceId: string;
  /** Unique per accepted machine socket: an instance holding an older one closes it. */
  socketId: string;
  atMs: number;
}
