// The request gate: what happens to one decoded request before anything runs, in Codex's order —
// decode (unknown method, missing `params`, serde-style field errors) → initialized? → experimental
// gate (methods, then fields) → the thread id it names, parsed as Codex parses it (codex-uuid.ts) →
// the gateway answers it itself, or admission (the connection's and
// the tenant's in-flight limits) and routing. (The request-rate limit runs before all of this: a
// flood of bad or cheap requests costs CPU too; see connection.ts.) A pure function of the request and the connection's state, so each rule is testable alone.
// (Frame-level checks — size, nesting, NUL strings — run before this, on the raw frame.)
import {
  CODEX_CLIENT_METHODS,
  canonicalUuid,
  codexUuidError,
  type ErrorDetail,
  type InitializeParams,
  isMachineOnlyMethod,
  lookupMethod,
  Method,
  type MethodSpec,
  serdeDetail,
} from "@switchyard/protocol";

export interface GateState {
  isInitialized: boolean;
  isExperimentalApi: boolean;
  inFlight: number;
  maxInFlight: number;
  /** The tenant's requests in flight on this gateway, and its cap there. */
  tenantInFlight: number;
  maxTenantInFlight: number;
  /** The gateway answers this method itself (no bus hop, no admission). */
  isLocal(method: string): boolean;
}

export type GateDecision =
  | { kind: "refuse"; detail: ErrorDetail }
  | { kind: "initialize"; params: InitializeParams }
  | { kind: "local"; spec: MethodSpec<unknown, unknown>; params: unknown }
  | { kind: "route"; spec: MethodSpec<unknown, unknown>; params: unknown };

export function gateRequest(request: { method: string; params: unknown; hasParams: boolean }, state: GateState): GateDecision {
  const { method, params } = request;
  const lookup = lookupMethod(method);
  if (lookup.kind === "unknown")
    return { kind: "refuse", detail: { reason: "unknownMethod", method, knownMethods: CODEX_CLIENT_METHODS } };
  if (lookup.kind === "codexOnly") {
    return {
      kind: "refuse",
      detail: !state.isInitialized
        ? { reason: "notInitialized" }
        : isMachineOnlyMethod(method)
          ? { reason: "needsMachine", method }
          : { reason: "methodNotSupported", method },
    };
  }
  const spec = lookup.spec;
  if (!request.hasParams && spec.paramsRequired) {
    return { kind: "refuse", detail: { reason: "invalidRequest", detail: "missing field `params`" } };
  }
  const parsed = spec.params.safeParse(params ?? {});
  if (!parsed.success)
    return { kind: "refuse", detail: { reason: "invalidRequest", detail: serdeDetail(parsed.error, params ?? {}) } };
  if (method === Method.initialize) return { kind: "initialize", params: parsed.data as InitializeParams };
  if (!state.isInitialized) return { kind: "refuse", detail: { reason: "notInitialized" } };
  if (!state.isExperimentalApi) {
    if (spec.experimental) return { kind: "refuse", detail: { reason: "experimentalApiRequired", method } };
    const record = (parsed.data ?? {}) as Record<string, unknown>;
    const field =
      spec.experimentalFields?.find((name) => record[name] !== undefined && record[name] !== null) ??
      spec.experimentalFlags?.find((name) => record[name] === true);
    if (field) return { kind: "refuse", detail: { reason: "experimentalApiRequired", method: `${method}.${field}` } };
  }
  const named = spec.threadId ? canonicalThreadId(spec.threadId, parsed.data) : { params: parsed.data };
  if ("refusal" in named) return { kind: "refuse", detail: named.refusal };
  if (state.isLocal(method)) return { kind: "local", spec, params: named.params };
  if (state.inFlight >= state.maxInFlight) {
    return {
      kind: "refuse",
      detail: { reason: "overloaded", limit: { kind: "inFlight", scope: "connection", limit: state.maxInFlight } },
    };
  }
  if (state.tenantInFlight >= state.maxTenantInFlight) {
    return {
      kind: "refuse",
      detail: { reason: "overloaded", limit: { kind: "inFlight", scope: "tenant", limit: state.maxTenantInFlight } },
    };
  }
  return { kind: "route", spec, params: named.params };
}

/** Codex parses a thread id before anything else: refused in its words, or named by its canonical form. */
function canonicalThreadId(
  check: NonNullable<MethodSpec<unknown, unknown>["threadId"]>,
  params: unknown,
): { params: unknown } | { refusal: ErrorDetail } {
  const record = params as { threadId?: unknown };
  if (typeof record?.threadId !== "string") return { params };
  const error = codexUuidError(record.threadId);
  if (error !== undefined) {
    const message = check.label ? `invalid ${check.label} id: ${error}` : error;
    return { refusal: check.invalidParams ? { reason: "invalidParams", message } : { reason: "invalidArgument", message } };
  }
  const threadId = canonicalUuid(record.threadId);
  return { params: threadId === record.threadId ? params : { ...record, threadId } };
}
