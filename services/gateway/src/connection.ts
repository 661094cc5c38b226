// One Switchyard client connection, composed of its parts: the request gate (`request-gate.ts`:
// decode → initialized → experimental → admission), the initialize handshake and gateway-owned
// methods (`handshake.ts`, `local-methods.ts`), per-key ordering (`key-ordering.ts`) and outbound
// back-pressure (`outbound.ts`) and server→client requests (`server-requests.ts`); this file routes,
// subscribes, delivers notifications and server requests, passes on the client's answers and tears down.
// (A relayed connection to a machine is its own kind: `relay-connection.ts`.) Errors are reported
// with Codex's codes and texts.
//
// Order of checks for a request (as Codex does it): decode — the frame's size, nesting and strings
// (`findJsonDefect`, before anything recurses over it), the method and params (unknown method,
// missing params, wrong types) — then initialization, then the experimental gate, then admission.
// Before the gate, every request takes a token from its tenant's and its token's request-rate
// buckets (limits/); requests are gated and dispatched in arrival order even when that check waits
// on Redis, and a refused request leaves the connection open.
import {
  classifyIncoming,
  clip,
  type ErrorDetail,
  errorMessage,
  FULL_HISTORY_DEPRECATION,
  findJsonDefect,
  type InitializeParams,
  jsonDefectDetail,
  Method,
  type MethodSpec,
  Notification,
  notificationMessage,
  notificationRegistry,
  type RequestId,
  resultMessage,
  type ScopeKey,
  type ServerRequestAnswer,
  SwitchyardError,
  type ThreadReadParams,
  TurnNotification,
  toWireError,
  type WireError,
} from "@switchyard/protocol";
import {
  type BusOutcome,
  type Caller,
  type Logger,
  type LogLimiter,
  newId,
  outcomeLabel,
  recordReadPause,
  recordRequest,
} from "@switchyard/runtime";
import type { Principal } from "./auth/authenticator.js";
import { type BusRouter, keyOf, type RouteRequest } from "./bus-router.js";
import { type NotificationFanout, type NotificationSink, OutgoingNotification } from "./fanout.js";
import { initializeSession } from "./handshake.js";
import { readsPaginatedHistory } from "./history-deprecation.js";
import { KeyOrdering } from "./key-ordering.js";
import { RefusalThrottle } from "./limits/refusal-throttle.js";
import type { RateAdmission } from "./limits/request-rate-limiter.js";
import type { TenantInFlight } from "./limits/tenant-in-flight.js";
import { gatewayRemoteControlStatus, type localMethods } from "./local-methods.js";
import { OutboundChannel } from "./outbound.js";
import { ReadCache } from "./read-cache.js";
import { gateRequest } from "./request-gate.js";
import { answerOf, type IncomingServerRequest, ServerRequestBook } from "./server-requests.js";

export interface ConnectionSettings {
  maxInFlight: number;
  maxOutboundBytes: number;
  requestTimeoutMs: number;
  /** The deadline of a request whose answer waits for a model call (`MethodSpec.callsModel`). */
  modelRequestTimeoutMs: number;
  codexHome: string;
  serverVersion: string;
  installationId: string;
}

export interface ConnectionServices {
  router: BusRouter;
  /** thread/read and config/read answers kept by this gateway (read-cache.ts); undefined when turned off. */
  readCache?: ReadCache;
  localMethods: ReturnType<typeof localMethods>;
  fanout: Pick<NotificationFanout, "add" | "remove">;
  subjects: { tenantEvents(tenant: string): string; threadEvents(tenant: string, threadId: string): string };
  onClosed(connection: ClientConnection): void;
  /** Sends a client's answer to the turn that asked (`serverRequestReply(token)`). */
  answerServerRequest(token: string, answer: ServerRequestAnswer): void;
  /** The largest request frame the bus can carry (bytes). */
  requestLimitBytes(): number;
  log: Logger;
  /** Rate-limits lines about a client's bad input, per connection. */
  badInputLog: LogLimiter;
  /** The request-rate check: undefined admits; synchronous when decided without a Redis round trip. */
  admitRequest(principal: Principal): RateAdmission;
  /** Requests in flight per tenant on this gateway, shared by its connections, and each tenant's cap. */
  tenantInFlight: TenantInFlight;
  maxTenantInFlight(tenant: string): number;
}

/** A client request being answered: its method and when it arrived, for the request metrics. */
interface RequestClock {
  method: string;
  startedAt: number;
}

/** What the gateway needs of a socket; `ws`'s WebSocket satisfies it. */
export interface SocketLike {
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** Stop and restart reading frames (a flood past its rate limit is held back by TCP meanwhile). */
  pause?(): void;
  resume?(): void;
}

export class ClientConnection implements NotificationSink {
  private state: "awaitingInitialize" | "ready" | "closed" = "awaitingInitialize";
  private isExperimentalApi = false;
  private optedOut = new Set<string>();
  private clientVersion = "";
  private clientName = "";
  private inFlight = 0;
  /** Requests waiting on the request-rate check, and the chain that applies its answers in order. */
  private awaitingAdmission = 0;
  private admissions: Promise<void> = Promise.resolve();
  private readonly refusals = new RefusalThrottle();
  private resumeReading: NodeJS.Timeout | undefined;
  private readonly ordering = new KeyOrdering();
  private readonly outbound: OutboundChannel;
  private readonly subscribedSubjects = new Set<string>();
  private readonly serverRequests = new ServerRequestBook();
  /**
   * Threads whose turn this connection has seen start and not yet end. While one runs, losing the
   * bus may lose its turn/completed, which must never be skipped: such a connection is dropped
   * (`onEventsLost`). Leaving a thread (thread/unsubscribe) forgets it.
   */
  private readonly threadsWithTurnInFlight = new Set<string>();
  /**
   * Codex answers a request before it announces the change (thread/start, then thread/started): per
   * announcing notification, how many of this connection's requests that announce it are unanswered
   * (about any thread, or about one: `announcesThread`), and the frames of those notifications held
   * back meanwhile, in arrival order. Both reach the gateway on different subjects, so the
   * announcement may arrive first. A request about one thread holds only that thread's
   * announcements: a client renaming threads back to back still hears other threads' renames as they
   * come, not once it stops.
   */
  private readonly unansweredAnnouncers = new Map<string, Announcers>();
  private heldAnnouncements: HeldEntry[] = [];
  /** Characters held back; past the outbound limit they all go at once (order yields to the bound). */
  private heldChars = 0;
  private readonly caller: Caller;
  private readonly log: Logger;

  constructor(
    readonly id: string,
    private readonly socket: SocketLike,
    private readonly principal: Principal,
    private readonly settings: ConnectionSettings,
    private readonly services: ConnectionServices,
  ) {
    this.caller = { tenant: principal.tenant, subject: principal.subject, roles: principal.roles };
    this.log = services.log.child({ connection: id, tenant: principal.tenant });
    this.outbound = new OutboundChannel(socket, settings.maxOutboundBytes, (bufferedBytes) => {
      this.log.warn({ bufferedBytes }, "outbound queue overflow; disconnecting client");
      this.closed();
    });
  }

  get tenant(): string {
    return this.principal.tenant;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** One text frame of `byteLength` UTF-8 bytes. */
  onText(text: string, byteLength: number): void {
    if (this.state === "closed") return;
    let decoded: unknown;
    try {
      decoded = JSON.parse(text); // iterative in V8: safe at any depth
    } catch {
      this.noteBadInput({ byteLength }, "frame is not JSON; ignored");
      return; // Codex answers malformed JSON with silence.
    }
    const message = classifyIncoming(decoded);
    switch (message.kind) {
      case "request": {
        const clock: RequestClock = { method: message.method, startedAt: performance.now() };
        const refusal = this.refuseFrame(decoded, byteLength);
        if (refusal) {
          this.noteBadInput({ method: clip(message.method, 100), reason: refusal.reason, byteLength }, "request refused");
          this.fail(message.id, refusal, clock);
          return;
        }
        this.onRequest(message.id, message.method, message.params, message.hasParams, clock);
        return;
      }
      case "response":
        this.onResponse(message.id, decoded as Record<string, unknown>, byteLength);
        return;
      case "notification": // `initialized` and friends need no answer
        return;
      case "malformed":
        this.noteBadInput({ byteLength }, "frame is not a JSON-RPC message; ignored");
        return;
    }
  }

  /** A binary frame: Codex speaks text only, and ignores them. */
  onBinary(byteLength: number): void {
    this.noteBadInput({ byteLength }, "binary frame ignored");
  }

  /** Size, nesting and strings of a request frame, before anything recurses over it. */
  private refuseFrame(decoded: unknown, byteLength: number): ErrorDetail | undefined {
    const limitBytes = this.services.requestLimitBytes();
    if (byteLength > limitBytes) return { reason: "requestTooLarge", sizeBytes: byteLength, limitBytes };
    const defect = findJsonDefect(decoded);
    return defect ? jsonDefectDetail(defect) : undefined;
  }

  private noteBadInput(fields: Record<string, unknown>, message: string): void {
    this.services.badInputLog.warn(this.id, { connection: this.id, tenant: this.principal.tenant, ...fields }, message);
  }

  private fail(id: RequestId, detail: ErrorDetail, clock: RequestClock): void {
    const error = toWireError(detail);
    this.answered(clock, error);
    this.send(JSON.stringify(errorMessage(id, error)));
  }

  /** Counts and times an answered request (switchyard_requests_total{service="gateway"}). */
  private answered(clock: RequestClock, error?: WireError): void {
    recordRequest("gateway", clock.method, outcomeLabel(error), (performance.now() - clock.startedAt) / 1_000);
  }

  /** The client's answer to a server request: passed on to the turn that asked, once. */
  private onResponse(id: RequestId, response: Record<string, unknown>, byteLength: number): void {
    const pending = this.serverRequests.take(id);
    if (!pending) {
      // Also a client answering after another client did and the resolution reached this one.
      this.noteBadInput({ id: clip(String(id), 100), byteLength }, "response to no pending server request; ignored");
      return;
    }
    const frame = { byteLength, limitBytes: this.services.requestLimitBytes() };
    this.services.answerServerRequest(pending.token, answerOf(pending, response, this.id, frame));
  }

  /** Rate check first; then the gate, in arrival order (an earlier request may still await Redis). */
  private onRequest(id: RequestId, method: string, params: unknown, hasParams: boolean, clock: RequestClock): void {
    if (this.awaitingAdmission >= this.settings.maxInFlight) {
      this.fail(
        id,
        {
          reason: "overloaded",
          limit: { kind: "inFlight", scope: "connection", limit: this.settings.maxInFlight },
        },
        clock,
      );
      return;
    }
    const admission = this.services.admitRequest(this.principal);
    if (this.awaitingAdmission === 0 && !(admission instanceof Promise)) {
      this.onAdmission(admission, id, method, params, hasParams, clock);
      return;
    }
    this.awaitingAdmission++;
    this.admissions = this.admissions
      .then(() => admission)
      .then((refusal) => {
        this.awaitingAdmission--;
        if (this.state !== "closed") this.onAdmission(refusal, id, method, params, hasParams, clock);
      })
      .catch((error: unknown) => {
        // A defect in handling one request costs this connection (the chain would stall), never the process.
        this.log.error({ err: error instanceof Error ? error.stack : String(error) }, "request handling failed; closing");
        this.outbound.disconnect(1011, "internal error");
        this.closed();
      });
  }

  private onAdmission(
    refusal: Awaited<RateAdmission>,
    id: RequestId,
    method: string,
    params: unknown,
    hasParams: boolean,
    clock: RequestClock,
  ): void {
    if (refusal) {
      this.fail(id, { reason: "overloaded", limit: refusal }, clock);
      const pauseMs = this.refusals.refused(refusal.retryAfterMs);
      if (pauseMs !== undefined && this.pauseReading(pauseMs)) {
        recordReadPause(refusal.scope);
        this.noteBadInput(
          { scope: refusal.scope, requestsPerS: refusal.requestsPerS, pauseMs: Math.round(pauseMs) },
          "connection keeps sending past its rate limit; not read for a while",
        );
      }
      return;
    }
    const decision = gateRequest(
      { method, params, hasParams },
      {
        isInitialized: this.state === "ready",
        isExperimentalApi: this.isExperimentalApi,
        inFlight: this.inFlight,
        maxInFlight: this.settings.maxInFlight,
        tenantInFlight: this.services.tenantInFlight.count(this.principal.tenant),
        maxTenantInFlight: this.services.maxTenantInFlight(this.principal.tenant),
        isLocal: (name) => this.services.localMethods.has(name),
      },
    );
    switch (decision.kind) {
      case "refuse":
        this.fail(id, decision.detail, clock);
        return;
      case "initialize":
        this.initialize(id, decision.params, clock);
        return;
      case "local": {
        const local = this.services.localMethods.get(method) as (params: Record<string, unknown>, caller: Caller) => unknown;
        let result: unknown;
        try {
          result = local((decision.params ?? {}) as Record<string, unknown>, this.caller);
        } catch (error) {
          // A local method's refusal (a SwitchyardError) is answered like any other.
          if (!(error instanceof SwitchyardError)) throw error;
          this.fail(id, error.detail, clock);
          return;
        }
        this.answered(clock);
        this.send(JSON.stringify(resultMessage(id, result)));
        return;
      }
      case "route":
        this.dispatch(id, decision.spec, decision.params, clock);
        return;
    }
  }

  /** Stops reading the socket for `ms`; false when it is already paused (or cannot be). */
  private pauseReading(ms: number): boolean {
    if (this.resumeReading || !this.socket.pause || !this.socket.resume) return false;
    this.socket.pause();
    this.resumeReading = setTimeout(() => {
      this.resumeReading = undefined;
      if (this.state !== "closed") this.socket.resume?.();
    }, ms);
    return true;
  }

  private initialize(id: RequestId, params: InitializeParams, clock: RequestClock): void {
    const outcome = initializeSession(params, this.state === "ready", this.settings);
    if (!outcome.ok) {
      this.fail(id, outcome.detail, clock);
      return;
    }
    this.answered(clock);
    this.state = "ready";
    this.isExperimentalApi = outcome.session.isExperimentalApi;
    this.optedOut = outcome.session.optedOut;
    this.clientVersion = outcome.session.clientVersion;
    this.clientName = outcome.session.clientName;
    this.subscribe(this.services.subjects.tenantEvents(this.principal.tenant));
    this.send(JSON.stringify(resultMessage(id, outcome.result)));
    const remoteControlStatus = gatewayRemoteControlStatus(this.settings.installationId);
    this.notify(
      Notification.remoteControlStatusChanged,
      JSON.stringify(notificationMessage(Notification.remoteControlStatusChanged, remoteControlStatus, Date.now())),
    );
    this.log.info(
      {
        client: outcome.session.clientName,
        clientVersion: outcome.session.clientVersion,
        experimentalApi: this.isExperimentalApi,
      },
      "initialized",
    );
  }

  private dispatch(id: RequestId, spec: MethodSpec<unknown, unknown>, params: unknown, clock: RequestClock): void {
    const router = this.services.router;
    const key = keyOf(spec, params, this.principal);
    // A thread this request creates is named here and its events subscribed to now: the subscription
    // leaves in the same write to the bus as the request (a write and a wake-up of the bus fewer per
    // start than subscribing after the answer), and is dropped again if the start fails.
    const newThreadId = spec.namesNewThread ? newId() : undefined;
    const newThreadSubject = newThreadId && this.services.subjects.threadEvents(this.principal.tenant, newThreadId);
    if (newThreadSubject) this.subscribe(newThreadSubject);
    // A thread the request attaches its caller to, subscribed now so that what the service announces
    // before its answer reaches the caller (kept only if the request succeeds or it was there before).
    const attachedSubject = spec.subscribesCallerFirst
      ? this.services.subjects.threadEvents(this.principal.tenant, (params as { threadId: string }).threadId)
      : undefined;
    const isNewAttachment = attachedSubject !== undefined && !this.subscribedSubjects.has(attachedSubject);
    if (attachedSubject) this.subscribe(attachedSubject);
    const request = {
      spec,
      params,
      caller: this.caller,
      connection: this.id,
      clientRequestId: id,
      clientVersion: this.clientVersion,
      clientName: this.clientName,
      newThreadId,
      timeoutMs: spec.callsModel ? this.settings.modelRequestTimeoutMs : this.settings.requestTimeoutMs,
      key,
    };
    this.inFlight++;
    this.services.tenantInFlight.started(this.principal.tenant);
    const announcedThread = announcedThreadOf(spec, params, newThreadId);
    for (const announced of announcersOf(spec)) this.countAnnouncer(announced, announcedThread, 1);
    // Keyed: published now, in arrival order; later reads of the key on this connection wait for it.
    // A cached read is answered by this gateway (read-cache.ts): thread/read behind this connection's
    // own earlier writes of the thread, like any read; config/read (a keyed shared read) only when
    // nothing of its key is in flight on this connection, otherwise through the keyed lane as before.
    const cacheKey = this.readCacheKey(spec.method, params, key);
    const outcome: Promise<BusOutcome> =
      spec.scope.kind !== "unkeyed" && key
        ? cacheKey === undefined
          ? this.ordering.write(key, () => router.route(request))
          : (this.cachedAnswer(cacheKey) ?? this.ordering.write(key, () => this.readThrough(cacheKey, request)))
        : this.ordering.read(key, () =>
            cacheKey === undefined ? router.route(request) : (this.cachedAnswer(cacheKey) ?? this.readThrough(cacheKey, request)),
          );
    void outcome.then((result) => {
      // The answer leaves first; the bookkeeping after it runs in the same turn, before any later
      // frame or notification is handled, so a subscription made here still precedes them all.
      if (this.state !== "closed") {
        if (spec.method === Method.threadRead && readsPaginatedHistory(params as ThreadReadParams, result)) {
          // Codex 0.171.0 warns before the answer; sent here because the answer may come from the cache.
          this.notify(
            Notification.deprecationNotice,
            JSON.stringify(notificationMessage(Notification.deprecationNotice, FULL_HISTORY_DEPRECATION.read, Date.now())),
          );
        }
        // The same bytes as resultMessage's: the result's text (from the bus or the read cache) is
        // spliced in as the service serialized it, without parsing and serializing it again here.
        this.send(
          !result.ok
            ? JSON.stringify(errorMessage(id, result.error))
            : result.json === undefined
              ? JSON.stringify(resultMessage(id, result.result))
              : `{"id":${JSON.stringify(id)},"result":${result.json}}`,
        );
        if (result.ok) this.followSubscriptions(spec, params, result, newThreadId);
      }
      if (!result.ok && newThreadSubject) this.unsubscribe(newThreadSubject);
      if (!result.ok && isNewAttachment && attachedSubject) this.unsubscribe(attachedSubject);
      if (spec.announcedAfterAnswer) this.releaseAnnouncements(announcersOf(spec), announcedThread);
      this.inFlight--;
      this.services.tenantInFlight.finished(this.principal.tenant);
      this.answered(clock, result.ok ? undefined : result.error);
    });
  }

  /** The thread subscriptions an answered request starts (thread/start, fork, resume) or ends (unsubscribe). */
  private followSubscriptions(
    spec: MethodSpec<unknown, unknown>,
    params: unknown,
    outcome: BusOutcome & { ok: true },
    /** The id the gateway gave the thread this request created (subscribed to when it was sent). */
    newThreadId?: string,
  ): void {
    // The answer names the thread the gateway named: subscribed already. That fresh id can appear in
    // the answer only as the thread's, so finding it spares parsing the answer.
    const isNamedThread = newThreadId !== undefined && outcome.json?.includes(`"${newThreadId}"`) === true;
    if (spec.subscribesCallerTo && !isNamedThread) {
      const threadId = spec.subscribesCallerTo(outcome.result);
      this.subscribe(this.services.subjects.threadEvents(this.principal.tenant, threadId));
      // A service that gave the thread another id (one from before the gateway named threads).
      if (newThreadId && newThreadId !== threadId) {
        this.unsubscribe(this.services.subjects.threadEvents(this.principal.tenant, newThreadId));
      }
    }
    const leftThreadId = spec.unsubscribesCallerFrom?.(params, outcome.result);
    if (leftThreadId) {
      this.unsubscribe(this.services.subjects.threadEvents(this.principal.tenant, leftThreadId));
      this.threadsWithTurnInFlight.delete(leftThreadId);
    }
  }

  /** The read cache's key for this request, if its answer may come from (and go into) the cache. */
  private readCacheKey(method: string, params: unknown, key: ScopeKey | undefined): string | undefined {
    if (!this.services.readCache) return undefined;
    if (method === Method.threadRead) return ReadCache.threadKey(this.principal.tenant, params as ThreadReadParams);
    if (method === Method.configRead && key && !this.ordering.hasPending(key)) {
      return ReadCache.configKey(
        this.principal.tenant,
        this.principal.subject,
        params as { cwd?: string | null; includeLayers?: boolean | null } | null,
      );
    }
    return undefined;
  }

  /** A kept answer for `cacheKey`, as an outcome, or undefined (a miss). */
  private cachedAnswer(cacheKey: string): Promise<BusOutcome> | undefined {
    const json = (this.services.readCache as ReadCache).get(cacheKey);
    return json === undefined ? undefined : Promise.resolve({ ok: true, result: undefined, json });
  }

  /** A miss: asks the service and keeps the answer unless its scope changed meanwhile (read-cache.ts). */
  private readThrough(cacheKey: string, request: RouteRequest): Promise<BusOutcome> {
    const cache = this.services.readCache as ReadCache;
    const fill = cache.begin(cacheKey);
    return this.services.router.route(request).then((outcome): BusOutcome => {
      if (!outcome.ok || outcome.json === undefined) {
        cache.abandon(fill);
        return outcome;
      }
      cache.complete(fill, outcome.json);
      return outcome;
    });
  }

  private subscribe(subject: string): void {
    if (this.subscribedSubjects.has(subject)) return;
    this.subscribedSubjects.add(subject);
    this.services.fanout.add(subject, this);
  }

  private unsubscribe(subject: string): void {
    if (!this.subscribedSubjects.delete(subject)) return;
    this.services.fanout.remove(subject, this);
  }

  deliverNotification(notification: OutgoingNotification): void {
    if (this.state !== "ready") return;
    const { method, frame } = notification;
    // Two frames per turn are read for their thread; every other notification passes untouched.
    if (method === Notification.turnStarted || method === Notification.turnCompleted) {
      const threadId = notification.threadId;
      if (threadId && method === Notification.turnStarted) this.threadsWithTurnInFlight.add(threadId);
      else if (threadId) this.threadsWithTurnInFlight.delete(threadId);
    }
    if (this.optedOut.has(method)) return;
    if (!this.isExperimentalApi && EXPERIMENTAL_NOTIFICATIONS.has(method)) return;
    if (this.unansweredAnnouncers.size > 0) {
      const entry: HeldEntry = { method, chars: frame.length, notification };
      if (this.isHeld(entry)) {
        this.hold(entry);
        return;
      }
    }
    if (notification.afterAnswers) this.outbound.sendAfterAnswers(frame);
    else this.send(frame);
  }

  /** A notification this connection makes itself (not fanned out from the bus). */
  private notify(method: string, frame: string): void {
    this.deliverNotification(new OutgoingNotification(method, frame));
  }

  private hold(entry: HeldEntry): void {
    this.heldAnnouncements.push(entry);
    this.heldChars += entry.chars;
    if (this.heldChars > this.settings.maxOutboundBytes) this.releaseHeld(() => false);
  }

  /** Sends the held entries `isStillHeld` lets go, in order; the rest stay held. */
  private releaseHeld(isStillHeld: (entry: HeldEntry) => boolean): void {
    const held = this.heldAnnouncements;
    this.heldAnnouncements = [];
    this.heldChars = 0;
    for (const entry of held) {
      if (isStillHeld(entry)) {
        this.heldAnnouncements.push(entry);
        this.heldChars += entry.chars;
      } else if ("request" in entry) this.issueServerRequest(entry.request);
      else this.send(entry.notification.frame);
    }
  }

  /** Whether a notification (or server request) waits for an unanswered request. */
  private isHeld(entry: HeldEntry): boolean {
    if (this.unansweredAnnouncers.size === 0 || ANSWER_PREFACES.has(entry.method)) return false;
    return (
      this.holds(this.unansweredAnnouncers.get(ALL), entry) || this.holds(this.unansweredAnnouncers.get(entry.method), entry)
    );
  }

  /** Whether these unanswered requests hold `entry`: any of them about any thread, or one about its thread. */
  private holds(announcers: Announcers | undefined, entry: HeldEntry): boolean {
    if (!announcers) return false;
    if (announcers.anyThread > 0) return true;
    // Held for some threads only: the entry's own thread decides (a notification's is read once, when first needed).
    const threadId = "request" in entry ? entry.request.threadId : entry.notification.threadId;
    return threadId === null || announcers.byThread.has(threadId);
  }

  /** One more (`change` 1) or one fewer (-1) unanswered request announcing `method`, about `threadId` or any thread. */
  private countAnnouncer(method: string, threadId: string | undefined, change: 1 | -1): void {
    let announcers = this.unansweredAnnouncers.get(method);
    if (!announcers) {
      announcers = { anyThread: 0, byThread: new Map() };
      this.unansweredAnnouncers.set(method, announcers);
    }
    if (threadId === undefined) announcers.anyThread += change;
    else {
      const left = (announcers.byThread.get(threadId) ?? 0) + change;
      if (left > 0) announcers.byThread.set(threadId, left);
      else announcers.byThread.delete(threadId);
    }
    if (announcers.anyThread <= 0 && announcers.byThread.size === 0) this.unansweredAnnouncers.delete(method);
  }

  /** A request announcing `methods` was answered: what no other unanswered request holds goes out, in order. */
  private releaseAnnouncements(methods: readonly string[], threadId: string | undefined): void {
    for (const method of methods) this.countAnnouncer(method, threadId, -1);
    if (this.heldAnnouncements.length > 0) this.releaseHeld((entry) => this.isHeld(entry));
  }

  /**
   * The gateway's bus connection dropped: events published meanwhile are gone. A connection waiting
   * for a turn to end is closed (1013) so its client reconnects and resumes the thread (reading the
   * turn's outcome) instead of waiting forever for a turn/completed that may never come; true when
   * it was closed. Others keep their connection (a request in flight is answered as the lanes say).
   */
  onEventsLost(): boolean {
    if (this.state === "closed" || this.threadsWithTurnInFlight.size === 0) return false;
    this.log.warn(
      { threadsWithTurnInFlight: [...this.threadsWithTurnInFlight] },
      "event bus lost while a turn was running; disconnecting client",
    );
    this.outbound.disconnect(1013, "event bus connection lost during a turn; reconnect and resume the thread");
    this.closed();
    return true;
  }

  /** Opt-outs name notifications: a server request is always sent. */
  deliverServerRequest(request: IncomingServerRequest): void {
    if (this.state !== "ready") return;
    // Behind a held notification of its turn (a turn/start joining a running turn is unanswered).
    if (this.unansweredAnnouncers.size > 0) {
      const entry: HeldEntry = { method: request.method, chars: request.paramsJson.length, request };
      if (this.isHeld(entry)) {
        this.hold(entry);
        return;
      }
    }
    this.issueServerRequest(request);
  }

  private issueServerRequest(request: IncomingServerRequest): void {
    const frame = this.serverRequests.issue(request);
    if (frame) this.send(frame);
  }

  serverRequestResolved(token: string): void {
    if (this.state !== "ready") return;
    const frame = this.serverRequests.resolve(token, Date.now());
    if (frame) this.notify(TurnNotification.serverRequestResolved, frame);
  }

  get pendingServerRequestCount(): number {
    return this.serverRequests.pendingCount;
  }

  /** Every outbound frame goes through the outbound channel (back-pressure: overflow disconnects). */
  private send(frame: string): void {
    if (this.state === "closed") return;
    this.outbound.send(frame);
  }

  /** Called once when the socket closes (or the gateway drops it). */
  closed(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.resumeReading);
    this.outbound.close();
    this.services.badInputLog.forget(this.id);
    this.serverRequests.clear(); // a turn waiting on them times out or takes another connection's answer
    for (const subject of this.subscribedSubjects) this.services.fanout.remove(subject, this);
    this.subscribedSubjects.clear();
    this.services.onClosed(this);
  }
}

/** A notification or server request held back until a request is answered. */
type HeldEntry = { method: string; chars: number } & (
  | { notification: OutgoingNotification }
  | { request: IncomingServerRequest }
);

/** A connection's unanswered requests announcing one notification: about any thread, and per thread. */
interface Announcers {
  anyThread: number;
  byThread: Map<string, number>;
}

/** Notifications a connection without the experimentalApi capability never hears (as Codex 0.171.0). */
const EXPERIMENTAL_NOTIFICATIONS: ReadonlySet<string> = new Set(
  [...notificationRegistry.values()].filter((spec) => spec.experimental).map((spec) => spec.method),
);

/** `announcedAfterAnswer: "all"` holds every notification (about its thread, with `announcesThread`): counted under this key. */
const ALL = "*";

/**
 * Notifications that come just before the answer to the caller's own request (a thread/start's config
 * warning, a full-history deprecation notice): never held, even under `all`, or another request's
 * hold could put them after the answer they preface.
 */
const ANSWER_PREFACES: ReadonlySet<string> = new Set([Notification.configWarning, Notification.deprecationNotice]);

/** The notifications a request holds back from its caller until it is answered. */
function announcersOf(spec: MethodSpec<unknown, unknown>): readonly string[] {
  const announced = spec.announcedAfterAnswer;
  return announced === undefined ? [] : announced === "all" ? [ALL] : announced;
}

/** The one thread a request's announcements are about, when the gateway knows it (`announcesThread`). */
function announcedThreadOf(
  spec: MethodSpec<unknown, unknown>,
  params: unknown,
  newThreadId: string | undefined,
): string | undefined {
  if (spec.announcesThread === "new") return newThreadId;
  if (spec.announcesThread === "params") {
    const threadId = (params as { threadId?: unknown } | null)?.threadId;
    return typeof threadId === "string" ? threadId : undefined;
  }
  return undefined;
}
