// Notification fan-out: one NATS subscription per subject this gateway's connections need
// (a tenant's subject, a thread's subject), reference-counted; each event is serialized once and
// written to every interested connection. Events for one connection arrive on one wildcard
// subscription per gateway (`ConnectionEvents`). Two headers mark the events that are not
// notifications: a server→client request and its resolution (`server-requests.ts`), read once per
// message and handed to each connection, which numbers them itself.
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { type BusEvent, BusHeader, notificationRegistry } from "@switchyard/protocol";
import { decodeJson, type Logger } from "@switchyard/runtime";
import { type IncomingServerRequest, parseServerRequestEvent } from "./server-requests.js";

export interface NotificationSink {
  /**
   * Delivers an already-serialized notification, unless the connection opted out of `method`;
   * `afterAnswers`: written after the answers settled in this turn of the event loop (outbound.ts).
   */
  deliverNotification(method: string, frame: string, afterAnswers?: boolean): void;
  /** Sends a server→client request under an id of the connection's own. */
  deliverServerRequest(request: IncomingServerRequest): void;
  /** The server request with this token was answered (by any connection) or withdrawn. */
  serverRequestResolved(token: string): void;
}

/**
 * Events are already client frames: the text is forwarded as is; the body is parsed only for an
 * event without the method header (from an older publisher).
 */
export function eventFrame(msg: Msg): { method: string; frame: string } {
  const frame = msg.string();
  return { method: msg.headers?.get(BusHeader.method) || (decodeJson(msg.data) as BusEvent).method, frame };
}

type EventKind =
  | { kind: "notification"; method: string; frame: string }
  | { kind: "notifications"; methods: string[]; frames: string[] }
  | { kind: "serverRequest"; request: IncomingServerRequest }
  | { kind: "serverRequestResolved"; token: string }
  | { kind: "invalid"; reason: string };

/** What an event is, from its headers alone unless it is a server request. */
function readEvent(msg: Msg): EventKind {
  const headers = msg.headers;
  const requestToken = headers?.get(BusHeader.serverRequest);
  if (requestToken) {
    const request = parseServerRequestEvent(requestToken, msg.string());
    return "invalid" in request ? { kind: "invalid", reason: request.invalid } : { kind: "serverRequest", request };
  }
  const resolvedToken = headers?.get(BusHeader.serverRequestResolved);
  if (resolvedToken) return { kind: "serverRequestResolved", token: resolvedToken };
  const batch = headers?.get(BusHeader.eventBatch);
  if (batch) {
    // Several notifications for this subject, in order (events.ts): frames newline-joined, methods comma-joined.
    const frames = msg.string().split("\n");
    const methods = (headers?.get(BusHeader.method) ?? "").split(",");
    if (frames.length !== Number(batch) || methods.length !== frames.length) {
      return { kind: "invalid", reason: `event batch of ${batch} holds ${frames.length} frames and ${methods.length} methods` };
    }
    return { kind: "notifications", methods, frames };
  }
  return { kind: "notification", ...eventFrame(msg) };
}

/**
 * A tenant-wide announcement (`thread/started`, `thread/name/updated`, …) goes to every connection of
 * the tenant, and the bus often hands it over together with the answer to the request that caused
 * it, ahead of that answer: it is written after the answers of this turn, so the caller's answer
 * does not wait for a socket write per connection of its tenant. Turn streaming (a thread's
 * subscribers) and a connection's own events are written at once.
 */
const isWrittenAfterAnswers = (method: string) => notificationRegistry.get(method)?.audience === "tenant";

/** `isShared`: from a subject's subscription (a tenant's, a thread's), not one connection's own. */
function deliverEvent(msg: Msg, sinks: Iterable<NotificationSink>, log: Logger, isShared: boolean): void {
  const event = readEvent(msg);
  switch (event.kind) {
    case "notification": {
      const afterAnswers = isShared && isWrittenAfterAnswers(event.method);
      for (const sink of sinks) sink.deliverNotification(event.method, event.frame, afterAnswers);
      return;
    }
    case "notifications":
      for (const [index, frame] of event.frames.entries()) {
        const method = event.methods[index] as string;
        const afterAnswers = isShared && isWrittenAfterAnswers(method);
        for (const sink of sinks) sink.deliverNotification(method, frame, afterAnswers);
      }
      return;
    case "serverRequest":
      for (const sink of sinks) sink.deliverServerRequest(event.request);
      return;
    case "serverRequestResolved":
      for (const sink of sinks) sink.serverRequestResolved(event.token);
      return;
    case "invalid":
      // A publisher's defect: the turn that asked times out rather than clients getting a broken frame.
      log.error({ subject: msg.subject, reason: event.reason }, "malformed event dropped");
      return;
  }
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
        deliverEvent(msg, [sink], log, false);
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
        deliverEvent(msg, sinks, this.log, true);
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
