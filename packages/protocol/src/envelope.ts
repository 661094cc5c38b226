// JSON-RPC "lite" as Codex speaks it: no `jsonrpc` field (tolerated when sent), ids are integers or
// strings and are echoed unchanged, notifications carry a top-level `emittedAtMs`.
import type { WireError } from "./errors.js";

export type RequestId = string | number;

export type IncomingMessage =
  | { kind: "request"; id: RequestId; method: string; params: unknown; hasParams: boolean }
  | { kind: "notification"; method: string; params: unknown }
  | { kind: "response"; id: RequestId }
  | { kind: "malformed" };

function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
}

/** Classifies one decoded frame. Anything that is not a JSON-RPC shape is `malformed` and gets no reply. */
export function classifyIncoming(value: unknown): IncomingMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "malformed" };
  const message = value as Record<string, unknown>;
  const hasId = "id" in message && message.id !== null && message.id !== undefined;
  if (typeof message.method === "string") {
    const hasParams = "params" in message && message.params !== null && message.params !== undefined;
    const params = hasParams ? message.params : undefined;
    if (!hasId) return { kind: "notification", method: message.method, params };
    if (!isRequestId(message.id)) return { kind: "malformed" };
    return { kind: "request", id: message.id, method: message.method, params, hasParams };
  }
  if (hasId && isRequestId(message.id) && ("result" in message || "error" in message)) {
    return { kind: "response", id: message.id };
  }
  return { kind: "malformed" };
}

export interface ResultMessage {
  id: RequestId;
  result: unknown;
}
export interface ErrorMessage {
  id: RequestId;
  error: WireError;
}
export interface NotificationMessage {
  method: string;
  params: unknown;
  emittedAtMs: number;
}

export const resultMessage = (id: RequestId, result: unknown): ResultMessage => ({ id, result });
export const errorMessage = (id: RequestId, error: WireError): ErrorMessage => ({ id, error });
export const notificationMessage = (method: string, params: unknown, emittedAtMs: number): NotificationMessage => ({
  method,
  params,
  emittedAtMs,
});
