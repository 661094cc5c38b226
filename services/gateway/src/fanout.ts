// Notification fan-out: one NATS subscription per subject this gateway's connections need
// (a tenant's subject, a thread's subject), reference-counted; each event is serialized once and
// written to every interested connection, as one `OutgoingNotification` whose thread, when a
// connection must know it, is read once for all of them. Events for one connection arrive on one
// wildcard subscription per gateway (`ConnectionEvents`). Two headers mark the events that are not
// notifications: a server→client request and its resolution (`server-requests.ts`), read once per
// message and handed to each connection, which numbers them itself.
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { type BusEvent, BusHeader, Notification, notificationRegistry } from "@switchyard/protocol";
import { decodeJson, type Logger } from "@switchyard/runtime";
import { type IncomingServerRequest, parseServerRequestEvent } from "./server-requests.js";

/**
 * One notification as every connection it goes to receives it: the client frame, written as is, and
 * the thread it is about, read from the frame at most once for all of them (a tenant's announcement
 * reaches each of its connections, and a connection holding announcements for an unanswered request
 * must know the thread; parsing the frame per connection cost a parse per connection per event).
 */
export class OutgoingNotification {
  private thread: string | null | undefined;

  constructor(
    readonly method: string,
    readonly frame: string,
    /** Written after the answers settled in this turn of the event loop (outbound.ts). */
    readonly afterAnswers = false,
  ) {}

  /** Its `threadId`, or its thread's id (`thread/started`); null when it names none. */
  get threadId(): string | null {
    if (this.thread === undefined) this.thread = threadOfFrame(this.method, this.frame);
    return this.thread;
  }
}

/**
 * The thread a frame names. Publishers write `{"method":…,"params":{…}}` (events.ts), and most
 * notifications about a thread open their params with its `threadId` (`thread/started` with its
 * thread, whose first field is its id): that id is read off the text, which spares parsing a whole
 * thread on a start's critical path. Anything else is parsed.
 */
function threadOfFrame(method: string, frame: string): string | null {
  const head = `{"method":${JSON.stringify(method)},"params":{`;
  if (frame.startsWith(head)) {
    const key = method === Notification.threadStarted ? '"thread":{"id":"' : '"threadId":"';
    if (frame.startsWith(key, head.length)) {
      const start = head.length + key.length;
      const end = frame.indexOf('"', start);
      const id = frame.slice(start, end);
      if (end > start && !id.includes("\\")) return id;
    }
  }
  let params: { threadId?: unknown; thread?: { id?: unknown } } | undefined;
  try {
    params = (JSON.parse(frame) as { params?: typeof params } | null)?.params;
  } catch {
    return null; // not JSON: a publisher's defect, held as a notification about no one thread
  }
  const threadId = params?.threadId ?? params?.thread?.id;
  return typeof threadId === "string" ? threadId : null;
}

export interface NotificationSink {
  /** Delivers an already-serialized notification, unless the connection opted out of its method. */
  deliverNotification(notification: OutgoingNotification): void;
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

/** How long a gateway remembers a thread it passed `thread/started` on for (StartedThreads). */
export const STARTED_MEMORY_MS = 120_000;
/** At most this many threads remembered: at a thousand starts a second, two minutes' worth. */
export const STARTED_MEMORY_ENTRIES = 131_072;

/**
 * The threads this gateway passed `thread/started` on for lately. A thread is announced when it is
 * made, once, but its announcement can reach the bus twice: a start asked again (the first ask's
 * answer was late) announces its thread again, since the first ask may have died between its
 * commit and its announcement; a redelivered fork announces again as its first delivery may have.
 * The first one through is passed on and the others dropped, so a client hears of a thread once.
 * A second announcement comes within a request's deadline or a redelivery's wait: far inside the
 * memory, which forgets the oldest first.
 */
export class StartedThreads {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly memoryMs = STARTED_MEMORY_MS,
    private readonly maxEntries = STARTED_MEMORY_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this is the first announcement of the thread this gateway sees (it is remembered). */
  isFirst(threadId: string): boolean {
    const now = this.now();
    for (const [oldest, at] of this.seen) {
      if (now - at <= this.memoryMs) break;
      this.seen.delete(oldest);
    }
    if (this.seen.has(threadId)) return false;
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(threadId, now);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * One notification to every sink: its thread is read at most once, whichever sinks need it. A
 * repeated `thread/started` from a shared subject is dropped (`started`).
 */
function deliverToAll(
  sinks: Iterable<NotificationSink>,
  method: string,
  frame: string,
  isShared: boolean,
  started: StartedThreads | undefined,
): void {
  const notification = new OutgoingNotification(method, frame, isShared && isWrittenAfterAnswers(method));
  if (started && method === Notification.threadStarted) {
    const threadId = notification.threadId;
    if (threadId !== null && !started.isFirst(threadId)) return;
  }
  for (const sink of sinks) sink.deliverNotification(notification);
}

/**
 * `isShared`: from a subject's subscription (a tenant's, a thread's), not one connection's own;
 * `started`: the gateway's memory of announced threads, for shared subjects.
 */
function deliverEvent(
  msg: Msg,
  sinks: Iterable<NotificationSink>,
  log: Logger,
  isShared: boolean,
  started?: StartedThreads,
): void {
  const event = readEvent(msg);
  switch (event.kind) {
    case "notification":
      deliverToAll(sinks, event.method, event.frame, isShared, started);
      return;
    case "notifications":
      for (const [index, frame] of event.frames.entries()) {
        deliverToAll(sinks, event.methods[index] as string, frame, isShared, started);
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
    private readonly started = new StartedThreads(),
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
        deliverEvent(msg, sinks, this.log, true, this.started);
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
