// One client connection: the initialize handshake, capability gating, validation, admission,
// routing, notifications and teardown. Errors are reported with Codex's codes and texts.
//
// Order of checks for a request (as Codex does it): decode — the frame's size, nesting and strings
// (`findJsonDefect`, before anything recurses over it), the method and params (unknown method,
// missing params, wrong types) — then initialization, then the experimental gate, then admission.
import {
  CODEX_CLIENT_METHODS,
  classifyIncoming,
  clip,
  type ErrorDetail,
  errorMessage,
  findJsonDefect,
  type InitializeParams,
  jsonDefectDetail,
  lookupMethod,
  Method,
  type MethodSpec,
  Notification,
  notificationMessage,
  type RequestId,
  resultMessage,
  type ScopeKey,
  serdeDetail,
  toWireError,
} from "@switchyard/protocol";
import type { BusOutcome, Caller, Logger, LogLimiter } from "@switchyard/runtime";
import type { Principal } from "./auth/authenticator.js";
import { type BusRouter, keyOf } from "./bus-router.js";
import type { NotificationFanout, NotificationSink } from "./fanout.js";
import type { localMethods } from "./local-methods.js";

export interface ConnectionSettings {
  maxInFlight: number;
  maxOutboundBytes: number;
  requestTimeoutMs: number;
  codexHome: string;
  serverVersion: string;
  installationId: string;
}

export interface ConnectionServices {
  router: BusRouter;
  localMethods: ReturnType<typeof localMethods>;
  fanout: NotificationFanout;
  subjects: { tenantEvents(tenant: string): string; threadEvents(tenant: string, threadId: string): string };
  onClosed(connection: ClientConnection): void;
  /** The largest request frame the bus can carry (bytes). */
  requestLimitBytes(): number;
  log: Logger;
  /** Rate-limits lines about a client's bad input, per connection. */
  badInputLog: LogLimiter;
}

/** What the gateway needs of a socket; `ws`'s WebSocket satisfies it. */
export interface SocketLike {
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export class ClientConnection implements NotificationSink {
  private state: "awaitingInitialize" | "ready" | "closed" = "awaitingInitialize";
  private isExperimentalApi = false;
  private optedOut = new Set<string>();
  private clientVersion = "";
  private inFlight = 0;
  /** Last keyed write per key still in flight: later reads of that key from this connection wait for it. */
  private readonly pendingWrites = new Map<ScopeKey, Promise<unknown>>();
  private readonly subscribedSubjects = new Set<string>();
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
        const refusal = this.refuseFrame(decoded, byteLength);
        if (refusal) {
          this.noteBadInput({ method: clip(message.method, 100), reason: refusal.reason, byteLength }, "request refused");
          this.fail(message.id, refusal);
          return;
        }
        this.onRequest(message.id, message.method, message.params, message.hasParams);
        return;
      }
      case "notification": // `initialized` and friends need no answer
      case "response": // no server→client requests are issued yet
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

  private fail(id: RequestId, detail: ErrorDetail): void {
    this.send(JSON.stringify(errorMessage(id, toWireError(detail))));
  }

  private onRequest(id: RequestId, method: string, params: unknown, hasParams: boolean): void {
    const lookup = lookupMethod(method);
    if (lookup.kind === "unknown") {
      this.fail(id, { reason: "unknownMethod", method, knownMethods: CODEX_CLIENT_METHODS });
      return;
    }
    if (lookup.kind === "codexOnly") {
      if (this.state !== "ready") this.fail(id, { reason: "notInitialized" });
      else this.fail(id, { reason: "methodNotSupported", method });
      return;
    }
    const spec = lookup.spec;
    if (!hasParams && spec.paramsRequired) {
      this.fail(id, { reason: "invalidRequest", detail: "missing field `params`" });
      return;
    }
    const parsed = spec.params.safeParse(params ?? {});
    if (!parsed.success) {
      this.fail(id, { reason: "invalidRequest", detail: serdeDetail(parsed.error, params ?? {}) });
      return;
    }
    if (method === Method.initialize) {
      this.initialize(id, parsed.data as InitializeParams);
      return;
    }
    if (this.state !== "ready") {
      this.fail(id, { reason: "notInitialized" });
      return;
    }
    if (!this.isExperimentalApi) {
      if (spec.experimental) {
        this.fail(id, { reason: "experimentalApiRequired", method });
        return;
      }
      const record = parsed.data as Record<string, unknown>;
      const field = spec.experimentalFields?.find((name) => record[name] !== undefined && record[name] !== null);
      if (field) {
        this.fail(id, { reason: "experimentalApiRequired", method: `${method}.${field}` });
        return;
      }
    }
    const local = this.services.localMethods.get(method);
    if (local) {
      this.send(JSON.stringify(resultMessage(id, local((parsed.data ?? {}) as Record<string, unknown>))));
      return;
    }
    if (this.inFlight >= this.settings.maxInFlight) {
      this.fail(id, { reason: "overloaded" });
      return;
    }
    this.dispatch(id, spec, parsed.data);
  }

  private initialize(id: RequestId, params: InitializeParams): void {
    if (this.state === "ready") {
      this.fail(id, { reason: "alreadyInitialized" });
      return;
    }
    const name = params.clientInfo.name;
    if (!HEADER_VALUE.test(name)) {
      this.fail(id, { reason: "invalidClientName", name });
      return;
    }
    this.state = "ready";
    this.isExperimentalApi = params.capabilities?.experimentalApi === true;
    this.optedOut = new Set(params.capabilities?.optOutNotificationMethods ?? []);
    this.clientVersion = params.clientInfo.version;
    this.subscribe(this.services.subjects.tenantEvents(this.principal.tenant));
    const userAgent = `switchyard/${this.settings.serverVersion} (Linux; ${process.arch}) (${name}; ${params.clientInfo.version})`;
    this.send(
      JSON.stringify(
        resultMessage(id, {
          userAgent,
          codexHome: this.settings.codexHome,
          platformFamily: "unix",
          platformOs: "linux",
        }),
      ),
    );
    const remoteControlStatus = {
      status: "disabled",
      serverName: "switchyard",
      installationId: this.settings.installationId,
      environmentId: null,
    };
    this.deliverNotification(
      Notification.remoteControlStatusChanged,
      JSON.stringify(notificationMessage(Notification.remoteControlStatusChanged, remoteControlStatus, Date.now())),
    );
    this.log.info(
      { client: name, clientVersion: params.clientInfo.version, experimentalApi: this.isExperimentalApi },
      "initialized",
    );
  }

  private dispatch(id: RequestId, spec: MethodSpec<unknown, unknown>, params: unknown): void {
    const router = this.services.router;
    const key = keyOf(spec, params, this.principal.tenant);
    const request = {
      spec,
      params,
      caller: this.caller,
      connection: this.id,
      clientRequestId: id,
      clientVersion: this.clientVersion,
      timeoutMs: this.settings.requestTimeoutMs,
      key,
    };
    this.inFlight++;
    let outcome: Promise<BusOutcome>;
    if (spec.scope.kind !== "unkeyed" && key) {
      // Keyed: published now, in arrival order; later reads of the key on this connection wait for it.
      outcome = router.route(request);
      const settled = outcome.then(() => undefined);
      this.pendingWrites.set(key, settled);
      void settled.then(() => {
        if (this.pendingWrites.get(key) === settled) this.pendingWrites.delete(key);
      });
    } else {
      const earlierWrite = key ? this.pendingWrites.get(key) : undefined;
      outcome = earlierWrite ? earlierWrite.then(() => router.route(request)) : router.route(request);
    }
    void outcome.then((result) => {
      this.inFlight--;
      if (this.state === "closed") return;
      if (!result.ok) {
        this.send(JSON.stringify(errorMessage(id, result.error)));
        return;
      }
      if (spec.subscribesCallerTo) {
        const threadId = spec.subscribesCallerTo(result.result);
        this.subscribe(this.services.subjects.threadEvents(this.principal.tenant, threadId));
      }
      const leftThreadId = spec.unsubscribesCallerFrom?.(params, result.result);
      if (leftThreadId) this.unsubscribe(this.services.subjects.threadEvents(this.principal.tenant, leftThreadId));
      this.send(JSON.stringify(resultMessage(id, result.result)));
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

  deliverNotification(method: string, frame: string): void {
    if (this.state !== "ready" || this.optedOut.has(method)) return;
    this.send(frame);
  }

  /**
   * Every outbound frame goes through here. A client that does not read fast enough is
   * disconnected rather than silently skipped, so it can never miss a turn/completed unknowingly.
   */
  private send(frame: string): void {
    if (this.state === "closed") return;
    if (this.socket.bufferedAmount + frame.length > this.settings.maxOutboundBytes) {
      this.log.warn({ bufferedBytes: this.socket.bufferedAmount }, "outbound queue overflow; disconnecting client");
      this.socket.close(1013, "outbound queue overflow; reconnect and resync");
      this.closed();
      return;
    }
    this.socket.send(frame);
  }

  /** Called once when the socket closes (or the gateway drops it). */
  closed(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.services.badInputLog.forget(this.id);
    for (const subject of this.subscribedSubjects) this.services.fanout.remove(subject, this);
    this.subscribedSubjects.clear();
    this.services.onClosed(this);
  }
}
