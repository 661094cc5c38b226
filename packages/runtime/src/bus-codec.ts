// How a client request travels on the bus, and how its outcome comes back. Both lanes use this:
// the identity and deadline ride in one header (`Sy-Request`), the trace context in its own; params and results are JSON bodies;
// failures use the NATS services error headers with the rendered wire error as the body.
import { type Msg, type MsgHdrs, headers as natsHeaders } from "@nats-io/nats-core";
import { BusHeader, isWireError, type RequestId, toWireError, type WireError } from "@switchyard/protocol";

export interface Caller {
  tenant: string;
  subject: string;
  roles: string[];
}

export interface BusRequest {
  commandId: string;
  method: string;
  caller: Caller;
  /** Epoch ms after which the work must not start. */
  deadlineMs: number;
  /** `<gatewayId>/<connectionId>` of the client connection that sent it. */
  connection: string;
  /** The client's JSON-RPC id for this request (absent for requests that did not come from a client). */
  clientRequestId?: RequestId;
  /** The client's `clientInfo.version`, or "" before/without initialize. */
  clientVersion: string;
  /** The client's `clientInfo.name` (a thread's originator), or "" before/without initialize or from an older publisher. */
  clientName?: string;
  /**
   * The id the new thread must have, for a request that creates one and whose sender named it
   * (`MethodSpec.namesNewThread`): a lower-case UUID; absent otherwise, and the service names it.
   */
  newThreadId?: string;
  params: unknown;
  headers: MsgHdrs;
}

/**
 * A request's outcome. A successful outcome decoded from the bus also carries `json`, its result's
 * text as the service serialized it, so a gateway can forward it without parsing it (`result` is then
 * parsed only when something reads it).
 */
export type BusOutcome = { ok: true; result: unknown; json?: string } | { ok: false; error: WireError };

/** How a keyed-lane command shares its key: alone, or together with the reads next to it. */
export type KeyedScopeKind = "exclusive" | "sharedRead";

/** The scope kind a keyed message was published with; unmarked (an older publisher) is exclusive. */
export function keyedScopeOf(headers: Pick<MsgHdrs, "get"> | undefined): KeyedScopeKind {
  return headers?.get(BusHeader.scope) === "sharedRead" ? "sharedRead" : "exclusive";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));
export const decodeJson = (data: Uint8Array): unknown => (data.length === 0 ? undefined : JSON.parse(decoder.decode(data)));

/**
 * A request's identity in one header (`Sy-Request`): a JSON array of commandId, method, tenant,
 * subject, roles, deadline (epoch ms), connection, the client's request id (or null), the client
 * version, the client name and the new thread's id (or null). Fields were added at the end only: a
 * decoder reads a shorter envelope's missing ones as "" or absent. One header to write, validate and
 * parse instead of nine: headers are scanned and copied
 * per name on both ends, and every request pays that. Decoders also read the one-header-per-field
 * form that publishers before it used (keyed commands may still sit in JetStream across an upgrade).
 */
export function requestHeaders(request: Omit<BusRequest, "params" | "headers">, replyTo?: string): MsgHdrs {
  const headers = natsHeaders();
  headers.set(
    BusHeader.request,
    JSON.stringify([
      request.commandId,
      request.method,
      request.caller.tenant,
      request.caller.subject,
      request.caller.roles,
      request.deadlineMs,
      request.connection,
      request.clientRequestId ?? null,
      request.clientVersion,
      request.clientName ?? "",
      request.newThreadId ?? null,
    ]),
  );
  if (replyTo) headers.set(BusHeader.replyTo, replyTo);
  return headers;
}

export class MalformedBusRequest extends Error {}

function parseRequestId(header: string | undefined): RequestId | undefined {
  if (!header) return undefined;
  try {
    return requestIdOf(JSON.parse(header) as unknown);
  } catch {
    return undefined;
  }
}

const requestIdOf = (id: unknown): RequestId | undefined =>
  typeof id === "string" || (typeof id === "number" && Number.isInteger(id)) ? id : undefined;

const isText = (value: unknown): value is string => typeof value === "string" && value !== "";

function decodeEnvelope(envelope: string): Omit<BusRequest, "params" | "headers"> {
  let fields: unknown;
  try {
    fields = JSON.parse(envelope);
  } catch {
    throw new MalformedBusRequest(`bus request with an unreadable ${BusHeader.request} header`);
  }
  if (!Array.isArray(fields)) throw new MalformedBusRequest(`${BusHeader.request} header is not an array`);
  const [
    commandId,
    method,
    tenant,
    subject,
    roles,
    deadlineMs,
    connection,
    clientRequestId,
    clientVersion,
    clientName,
    newThreadId,
  ] = fields;
  const missing = (name: string) => new MalformedBusRequest(`bus request without ${name} in its ${BusHeader.request} header`);
  if (!isText(commandId)) throw missing("commandId");
  if (!isText(method)) throw missing("method");
  if (!isText(tenant)) throw missing("tenant");
  if (!isText(subject)) throw missing("subject");
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) throw missing("roles");
  if (typeof deadlineMs !== "number" || !Number.isFinite(deadlineMs)) throw missing("deadline");
  if (!isText(connection)) throw missing("connection");
  if (
    newThreadId !== undefined &&
    newThreadId !== null &&
    !(typeof newThreadId === "string" && NEW_THREAD_ID.test(newThreadId))
  ) {
    throw new MalformedBusRequest(`bus request whose new thread id is not a lower-case UUID: ${JSON.stringify(newThreadId)}`);
  }
  return {
    commandId,
    method,
    caller: { tenant, subject, roles: roles as string[] },
    deadlineMs,
    connection,
    clientRequestId: requestIdOf(clientRequestId),
    clientVersion: typeof clientVersion === "string" ? clientVersion : "",
    clientName: typeof clientName === "string" ? clientName : "",
    ...(typeof newThreadId === "string" ? { newThreadId } : {}),
  };
}

/** A new thread's id as a sender names it: the canonical (lower-case, hyphenated) UUID form. */
const NEW_THREAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function decodeRequest(msg: Pick<Msg, "headers" | "data">): BusRequest {
  const headers = msg.headers;
  const envelope = headers?.get(BusHeader.request);
  if (envelope) return { ...decodeEnvelope(envelope), params: decodeJson(msg.data), headers: headers as MsgHdrs };
  // The one-header-per-field form of earlier publishers.
  const get = (name: string): string => {
    const value = headers?.get(name) ?? "";
    if (!value) throw new MalformedBusRequest(`bus request without ${name} header`);
    return value;
  };
  const roles = headers?.get(BusHeader.roles) ?? "";
  return {
    commandId: get(BusHeader.commandId),
    method: get(BusHeader.method),
    caller: { tenant: get(BusHeader.tenant), subject: get(BusHeader.subject), roles: roles ? roles.split(",") : [] },
    deadlineMs: Number(get(BusHeader.deadline)),
    connection: get(BusHeader.connection),
    clientRequestId: parseRequestId(headers?.get(BusHeader.requestId)),
    clientVersion: headers?.get(BusHeader.clientVersion) ?? "",
    params: decodeJson(msg.data),
    headers: headers as MsgHdrs,
  };
}

export function outcomeHeaders(outcome: BusOutcome): MsgHdrs | undefined {
  if (outcome.ok) return undefined;
  const headers = natsHeaders();
  // A header value is one line (nats.js throws on CR/LF, which a multi-line message such as a config
  // error would hit); the body carries the message unchanged.
  headers.set(BusHeader.serviceError, outcome.error.message.replace(/[\r\n]+/g, " ").slice(0, 1_000));
  headers.set(BusHeader.serviceErrorCode, String(outcome.error.code));
  return headers;
}

// A null result stays null (switchyard/sessionConfig/read answers null); an absent one is `{}`.
export const outcomeBody = (outcome: BusOutcome): Uint8Array =>
  encodeJson(outcome.ok ? (outcome.result === undefined ? {} : outcome.result) : outcome.error);

/** The outcome and its body, replaced by an error when the body would exceed the bus's `limitBytes`. */
export function fitOutcome(outcome: BusOutcome, limitBytes: number): { outcome: BusOutcome; body: Uint8Array } {
  const body = outcomeBody(outcome);
  if (body.length <= limitBytes) return { outcome, body };
  const error = toWireError({ reason: "internal", message: `the result (${body.length} bytes) is too large to send` });
  return { outcome: { ok: false, error }, body: encodeJson(error) };
}

export function decodeOutcome(msg: Pick<Msg, "headers" | "data">): BusOutcome {
  const code = msg.headers?.get(BusHeader.serviceErrorCode);
  if (code) {
    const body = decodeJson(msg.data);
    const error: WireError = isWireError(body)
      ? body
      : { code: Number(code), message: msg.headers?.get(BusHeader.serviceError) ?? "service error" };
    return { ok: false, error };
  }
  return msg.data.length === 0 ? { ok: true, result: undefined } : successOf(decoder.decode(msg.data));
}

/** A successful outcome whose result is parsed from `json` on first use, and only then. */
function successOf(json: string): BusOutcome {
  let parsed: { value: unknown } | undefined;
  return {
    ok: true,
    json,
    get result() {
      parsed ??= { value: JSON.parse(json) };
      return parsed.value;
    },
  };
}
