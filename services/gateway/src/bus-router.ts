// Sends a validated client request to its owning service on the lane its scope names and resolves
// with the outcome. Unkeyed: core NATS request-reply. Keyed: JetStream partition publish, with the
// reply arriving on this gateway's reply subject.
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { errors as natsErrors } from "@nats-io/nats-core";
import { type BusSubjects, type MethodSpec, type ScopeKey, scopeKey, toWireError } from "@switchyard/protocol";
import {
  type BusOutcome,
  type BusRequest,
  type Caller,
  context,
  decodeOutcome,
  encodeJson,
  KeyedLanePublisher,
  type Logger,
  newCommandId,
  SpanKind,
  SpanStatusCode,
  trace,
  tracer,
  UnkeyedLaneClient,
} from "@switchyard/runtime";

export interface RouteRequest {
  spec: MethodSpec<unknown, unknown>;
  params: unknown;
  caller: Caller;
  connection: string;
  clientVersion: string;
  timeoutMs: number;
  /** The method's tenant-qualified key (from `keyOf`); required for keyed methods. */
  key: ScopeKey | undefined;
}

interface PendingReply {
  resolve: (outcome: BusOutcome) => void;
  timer: NodeJS.Timeout;
}

export class BusRouter {
  private readonly unkeyed: UnkeyedLaneClient;
  private readonly keyed: KeyedLanePublisher;
  private readonly pendingReplies = new Map<string, PendingReply>();
  private replySubscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: BusSubjects,
    private readonly gatewayId: string,
    private readonly log: Logger,
  ) {
    this.unkeyed = new UnkeyedLaneClient(nc, subjects);
    this.keyed = new KeyedLanePublisher(nc, subjects);
  }

  start(): void {
    this.replySubscription = this.nc.subscribe(this.subjects.replyWildcard(this.gatewayId), {
      callback: (error, msg) => {
        if (error) return;
        const commandId = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
        const pending = this.pendingReplies.get(commandId);
        if (!pending) return; // a duplicate from a redelivery, or the request already timed out
        this.pendingReplies.delete(commandId);
        clearTimeout(pending.timer);
        pending.resolve(decodeOutcome(msg));
      },
    });
  }

  /** The tenant-qualified key a keyed method serializes on (undefined for unkeyed methods). */
  keyOf(spec: MethodSpec<unknown, unknown>, params: unknown, tenant: string): ScopeKey | undefined {
    const scope = spec.scope;
    if (scope.kind === "unkeyed") {
      return scope.readYourWrites ? scopeKey(scope.readYourWrites.family, tenant, scope.readYourWrites.id(params)) : undefined;
    }
    return scopeKey(scope.family, tenant, scope.id(params));
  }

  /**
   * Routes one request. For keyed methods the publish is issued synchronously, before the first
   * await, so requests from one connection enter the stream in the order they arrived.
   */
  route(request: RouteRequest): Promise<BusOutcome> {
    // One span per client request; its context rides to the service in the NATS headers.
    const span = tracer().startSpan(`request ${request.spec.method}`, {
      kind: SpanKind.CLIENT,
      attributes: { "switchyard.tenant": request.caller.tenant, "switchyard.connection": request.connection },
    });
    const outcome = context.with(trace.setSpan(context.active(), span), () => this.routeInSpan(request));
    void outcome.then((result) => {
      if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
      span.end();
    });
    return outcome;
  }

  private routeInSpan(request: RouteRequest): Promise<BusOutcome> {
    const meta: Omit<BusRequest, "params" | "headers"> = {
      commandId: newCommandId(),
      method: request.spec.method,
      caller: request.caller,
      deadlineMs: Date.now() + request.timeoutMs,
      connection: request.connection,
      clientVersion: request.clientVersion,
    };
    const body = encodeJson(request.params ?? {});
    if (request.spec.scope.kind === "unkeyed") return this.routeUnkeyed(meta, body, request);
    if (!request.key) throw new Error(`${request.spec.method} is keyed but was routed without its key`);
    return this.routeKeyed(meta, body, request.key, request);
  }

  private async routeUnkeyed(meta: Omit<BusRequest, "params" | "headers">, body: Uint8Array, request: RouteRequest) {
    try {
      return await this.unkeyed.request(meta, body);
    } catch (error) {
      return this.transportFailure(error, request);
    }
  }

  private routeKeyed(
    meta: Omit<BusRequest, "params" | "headers">,
    body: Uint8Array,
    key: ScopeKey,
    request: RouteRequest,
  ): Promise<BusOutcome> {
    return new Promise<BusOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pendingReplies.delete(meta.commandId);
        resolve({
          ok: false,
          error: toWireError({ reason: "deadlineExceeded", method: meta.method, timeoutMs: request.timeoutMs }),
        });
      }, request.timeoutMs);
      this.pendingReplies.set(meta.commandId, { resolve, timer });
      const replyTo = this.subjects.reply(this.gatewayId, meta.commandId);
      this.keyed.publish(request.spec.owner, key, meta, body, replyTo).catch((error) => {
        if (!this.pendingReplies.delete(meta.commandId)) return;
        clearTimeout(timer);
        resolve(this.transportFailure(error, request));
      });
    });
  }

  private transportFailure(error: unknown, request: RouteRequest): BusOutcome {
    if (error instanceof natsErrors.NoRespondersError) {
      return { ok: false, error: toWireError({ reason: "serviceUnavailable", service: request.spec.owner }) };
    }
    if (error instanceof natsErrors.TimeoutError) {
      return {
        ok: false,
        error: toWireError({ reason: "deadlineExceeded", method: request.spec.method, timeoutMs: request.timeoutMs }),
      };
    }
    this.log.error({ err: String(error), method: request.spec.method }, "bus request failed");
    return { ok: false, error: toWireError({ reason: "serviceUnavailable", service: request.spec.owner }) };
  }

  /** Answers everything still waiting (used at shutdown, after connections have been told). */
  stop(): void {
    this.replySubscription?.unsubscribe();
    for (const [commandId, pending] of this.pendingReplies) {
      clearTimeout(pending.timer);
      pending.resolve({ ok: false, error: toWireError({ reason: "cancelled", method: commandId }) });
    }
    this.pendingReplies.clear();
  }

  get pendingCount(): number {
    return this.pendingReplies.size;
  }
}
