// Sends a validated client request to its owning service and resolves with the outcome: one span
// per request (its context rides to the service in the NATS headers), then the runtime's lane client,
// which picks the lane from the key and answers transport failures itself.
import { type MethodSpec, mayAskAgain, type RequestId, type ScopeKey, scopeKey } from "@switchyard/protocol";
import {
  type BusOutcome,
  type Caller,
  context,
  encodeJson,
  type LaneClient,
  newCommandId,
  SpanKind,
  SpanStatusCode,
  trace,
  tracer,
} from "@switchyard/runtime";

export interface RouteRequest {
  spec: MethodSpec<unknown, unknown>;
  params: unknown;
  caller: Caller;
  connection: string;
  /** The client's JSON-RPC id (what a later cancel request names). */
  clientRequestId: RequestId;
  clientVersion: string;
  /** The client's `clientInfo.name` ("" when unknown). */
  clientName?: string;
  /** The id the gateway gave the thread this request creates (`MethodSpec.namesNewThread`). */
  newThreadId?: string;
  timeoutMs: number;
  /** The method's tenant-qualified key (from `keyOf`); required for keyed methods. */
  key: ScopeKey | undefined;
}

/** The tenant-qualified key a method serializes on, or reads its own writes of (undefined when neither). */
export function keyOf(
  spec: MethodSpec<unknown, unknown>,
  params: unknown,
  caller: { tenant: string; subject: string },
): ScopeKey | undefined {
  const scope = spec.scope;
  if (scope.kind === "unkeyed") {
    const ryw = scope.readYourWrites;
    return ryw ? scopeKey(ryw.family, caller.tenant, ryw.id(params, caller)) : undefined;
  }
  return scopeKey(scope.family, caller.tenant, scope.id(params, caller));
}

export class BusRouter {
  constructor(private readonly lanes: LaneClient) {}

  /** Routes one request; keyed publishes are issued synchronously, in arrival order. */
  route(request: RouteRequest): Promise<BusOutcome> {
    const span = tracer().startSpan(`request ${request.spec.method}`, {
      kind: SpanKind.CLIENT,
      attributes: { "switchyard.tenant": request.caller.tenant, "switchyard.connection": request.connection },
    });
    const outcome = context.with(trace.setSpan(context.active(), span), () =>
      this.lanes.request({
        owner: request.spec.owner,
        key: request.spec.scope.kind === "unkeyed" ? undefined : request.key,
        // Shared reads of a key run together on the keyed lane; exclusives alone.
        scope: request.spec.scope.kind,
        meta: {
          commandId: newCommandId(),
          method: request.spec.method,
          caller: request.caller,
          deadlineMs: Date.now() + request.timeoutMs,
          connection: request.connection,
          clientRequestId: request.clientRequestId,
          clientVersion: request.clientVersion,
          clientName: request.clientName,
          newThreadId: request.newThreadId,
        },
        body: encodeJson(request.params ?? {}),
        timeoutMs: request.timeoutMs,
        repeatable: mayAskAgain(request.spec),
      }),
    );
    void outcome.then((result) => {
      if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
      span.end();
    });
    return outcome;
  }
}
