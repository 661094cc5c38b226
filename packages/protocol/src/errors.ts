// The closed set of failures Switchyard reports, and their one mapping to the wire.
// Codex (0.169.0 and 0.171.0) reports request errors as -32600, with a few -32602s (a malformed thread
// id for thread/readState/update); the texts below are part of the contract. `data.reason` is Switchyard's stable machine-readable addition. Client input
// echoed in a text is clipped (`clip`), so an error never carries megabytes back.
import { clip, type JsonDefect } from "./frame-limits.js";

export const INVALID_REQUEST_CODE = -32600;
/** JSON-RPC method not found: Codex answers it for what a thread store does not support yet. */
export const METHOD_NOT_FOUND_CODE = -32601;
export const INVALID_PARAMS_CODE = -32602;
export const OVERLOADED_CODE = -32001;
export const INTERNAL_ERROR_CODE = -32603;
/** Codex 0.171.0's words for user verification in a build or account without it. */
export const USER_VERIFICATION_UNAVAILABLE = "User verification is not available in this build or account.";

export type ErrorDetail =
  | { reason: "notInitialized" }
  | { reason: "alreadyInitialized" }
  | { reason: "unknownMethod"; method: string; knownMethods: readonly string[] }
  | { reason: "invalidRequest"; detail: string }
  | { reason: "requestTooLarge"; sizeBytes: number; limitBytes: number }
  | { reason: "nestingTooDeep"; maxDepth: number }
  | { reason: "unstorableInput"; detail: string }
  | { reason: "experimentalApiRequired"; method: string }
  | { reason: "invalidClientName"; name: string }
  | { reason: "methodNotSupported"; method: string }
  /** A method that acts on a local machine (a shell, files, processes): a cloud thread has none. */
  | { reason: "needsMachine"; method: string }
  /**
   * No such thread for the caller. Codex words it per method: `thread not found: <id>` (the default),
   * `thread not loaded: <id>` (thread/read, thread/turns/list), `no rollout found for thread id <id>`
   * (thread/name/set, thread/metadata/update).
   */
  | { reason: "threadNotFound"; threadId: string; wording?: "notLoaded" | "noRollout" | "threadStore" }
  /**
   * A thread nothing has been recorded about yet (Codex has written no rollout for it) has no history
   * to page, in Codex 0.171.0's words and codes: thread/read with `includeTurns` and
   * thread/items/list and thread/timeline/list are -32601 "not supported yet", thread/turns/list -32600
   * "not materialized yet".
   */
  | { reason: "notMaterialized"; threadId: string; what: "readTurns" | "turnsList" | "itemsList" | "timeline" }
  | { reason: "invalidCursor"; cursor: string; expected: string }
  | { reason: "invalidArgument"; message: string }
  /** An account read Codex 0.171.0 refuses without a ChatGPT sign-in (none is involved here): -32600, its words. */
  | { reason: "signInRequired"; what: "rate limits" | "token usage" | "workspace messages" }
  /**
   * User verification (a device's own signing key): Codex 0.171.0's answer in a build without it,
   * -32603 with its own `data` ({type, reason}); malformed verification input is its -32602.
   */
  | { reason: "userVerificationUnavailable" }
  | { reason: "userVerificationInvalidInput" }
  /**
   * A method Codex 0.171.0 itself answers as not built yet: -32601 ``<method> is not supported yet``
   * (``is not implemented yet`` where Codex says so), its words.
   */
  | { reason: "notSupportedByCodex"; method: string; wording?: "implemented" }
  /** thread/readState/update with a revision that is no longer the thread's: Codex's words, and the current read state. */
  | { reason: "readStateConflict"; readState: { revision: string; firstUnread: unknown } }
  /** Codex's -32602 (invalid params): a few methods refuse a malformed thread id with it. */
  | { reason: "invalidParams"; message: string }
  /** Admission refused; `limit` says which limit, when one applies (absent: no detail given). */
  | { reason: "overloaded"; limit?: OverloadLimit }
  | { reason: "deadlineExceeded"; method: string; timeoutMs: number }
  | { reason: "cancelled"; method: string }
  | { reason: "serviceUnavailable"; service: string }
  | { reason: "busUnavailable"; method: string; mayBeApplied: boolean }
  | { reason: "environmentNotFound"; environmentId: string }
  | { reason: "environmentOffline"; environmentId: string }
  | { reason: "pairingCodeInvalid" }
  | { reason: "rateLimited"; what: string; retryAfterMs: number }
  | { reason: "configWrite"; code: ConfigWriteErrorCode; message: string }
  | { reason: "configRejected"; message: string }
  /** Codex's -32603 when the config a request needs cannot be loaded (an unknown default provider, say); the message as Codex words it. */
  | { reason: "configLoadFailed"; message: string }
  /** An MCP server a call names is not running (Switchyard starts none): Codex's -32603 and words. */
  | { reason: "mcpServerUnavailable"; message: string }
  /** thread/sample's model call failed or was cancelled: Codex's -32603 and words (`sample canceled`, `sample failed: …`). */
  | { reason: "sampleFailed"; message: string }
  | { reason: "configLockMismatch"; message: string; diff: string }
  | { reason: "threadConfigLoadFailed"; kind: "auth" | "timeout" | "requestFailed" | "parse"; message: string }
  | { reason: "forbidden"; message: string }
  /** Another service's answer to a request this service made on the client's behalf, passed on as is. */
  | { reason: "relayed"; error: WireError }
  | { reason: "internal"; message: string };

/**
 * The limit behind an overload: a request-rate bucket (tenant or token, shared by every gateway) or
 * an in-flight cap (one connection's, or one tenant's on one gateway).
 */
export type OverloadLimit =
  | { kind: "requestRate"; scope: "tenant" | "token"; requestsPerS: number; burst: number; retryAfterMs: number }
  | { kind: "inFlight"; scope: "connection" | "tenant"; limit: number };

/** Codex's `config_write_error_code` values (codex-wire.md, "Errors"). */
export type ConfigWriteErrorCode =
  | "configVersionConflict"
  | "configValidationError"
  | "configLayerReadonly"
  | "configRequirementReadonly"
  | "configPathNotFound"
  | "configSchemaUnknownKey"
  | "userLayerNotFound";

export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

export class SwitchyardError extends Error {
  constructor(readonly detail: ErrorDetail) {
    super(toWireError(detail).message);
    this.name = "SwitchyardError";
  }
}

export function assertNever(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/** serde's rendering of an "expected one of" list: `a`, `b`, `c`. */
export function serdeOneOf(names: readonly string[]): string {
  const quoted = names.map((name) => `\`${name}\``);
  if (quoted.length === 0) return "there are no variants";
  if (quoted.length === 1) return quoted[0] as string;
  if (quoted.length === 2) return `${quoted[0]} or ${quoted[1]}`;
  return `one of ${quoted.join(", ")}`;
}

export function toWireError(detail: ErrorDetail): WireError {
  switch (detail.reason) {
    case "notInitialized":
      return { code: INVALID_REQUEST_CODE, message: "Not initialized", data: { reason: detail.reason } };
    case "alreadyInitialized":
      return { code: INVALID_REQUEST_CODE, message: "Already initialized", data: { reason: detail.reason } };
    case "unknownMethod":
      return {
        code: INVALID_REQUEST_CODE,
        message: `Invalid request: unknown variant \`${clip(detail.method)}\`, expected ${serdeOneOf(detail.knownMethods)}`,
        data: { reason: detail.reason },
      };
    case "invalidRequest":
      return { code: INVALID_REQUEST_CODE, message: `Invalid request: ${detail.detail}`, data: { reason: detail.reason } };
    case "requestTooLarge":
      return {
        code: INVALID_REQUEST_CODE,
        message: `Invalid request: request too large (${detail.sizeBytes} bytes; the limit is ${detail.limitBytes} bytes)`,
        data: { reason: detail.reason, sizeBytes: detail.sizeBytes, limitBytes: detail.limitBytes },
      };
    case "nestingTooDeep":
      return {
        code: INVALID_REQUEST_CODE,
        message: `Invalid request: recursion limit exceeded (JSON nested deeper than ${detail.maxDepth} levels)`,
        data: { reason: detail.reason, maxDepth: detail.maxDepth },
      };
    case "unstorableInput":
      return {
        code: INVALID_REQUEST_CODE,
        message: `Invalid request: the value cannot be stored: ${clip(detail.detail)}`,
        data: { reason: detail.reason },
      };
    case "experimentalApiRequired":
      return {
        code: INVALID_REQUEST_CODE,
        message: `\`${clip(detail.method)}\` requires experimentalApi capability`,
        data: { reason: detail.reason },
      };
    case "invalidClientName":
      // Codex sends no data here; the TUI shows the message as is.
      return {
        code: INVALID_REQUEST_CODE,
        message: `Invalid clientInfo.name: '${clip(detail.name)}'. Must be a valid HTTP header value.`,
      };
    case "methodNotSupported":
      return {
        code: INVALID_REQUEST_CODE,
        message: `\`${clip(detail.method)}\` is not supported by this Switchyard deployment yet`,
        data: { reason: detail.reason },
      };
    case "needsMachine":
      return {
        code: INVALID_REQUEST_CODE,
        message: `\`${clip(detail.method)}\` needs a machine: Switchyard's cloud sessions have no local shell, files or processes. Enroll a machine with remote control and connect to it at /environments/<environmentId> to run it there`,
        data: { reason: detail.reason },
      };
    case "threadNotFound":
      // Codex 0.171.0's thread queue reads the thread through its thread store, whose failure is internal.
      if (detail.wording === "threadStore") {
        return {
          code: INTERNAL_ERROR_CODE,
          message: `failed to read thread: invalid thread-store request: no rollout found for thread id ${clip(detail.threadId)}`,
          data: { reason: detail.reason },
        };
      }
      return {
        code: INVALID_REQUEST_CODE,
        message:
          detail.wording === "notLoaded"
            ? `thread not loaded: ${clip(detail.threadId)}`
            : detail.wording === "noRollout"
              ? `no rollout found for thread id ${clip(detail.threadId)}`
              : `thread not found: ${clip(detail.threadId)}`,
        data: { reason: detail.reason },
      };
    case "signInRequired":
      return {
        code: INVALID_REQUEST_CODE,
        message: `codex account authentication required to read ${detail.what}`,
        data: { reason: detail.reason },
      };
    // Codex's own `data` for these (its `reason`, not one of Switchyard's): clients read it as Codex's.
    case "userVerificationUnavailable":
      return {
        code: INTERNAL_ERROR_CODE,
        message: USER_VERIFICATION_UNAVAILABLE,
        data: { type: "unavailable", reason: "providerUnavailable" },
      };
    case "userVerificationInvalidInput":
      return {
        code: INVALID_PARAMS_CODE,
        message: "Invalid verification challenge or display text.",
        data: { type: "invalidRequest", reason: "invalidParams" },
      };
    case "notSupportedByCodex":
      return {
        code: METHOD_NOT_FOUND_CODE,
        message: `${clip(detail.method)} is not ${detail.wording === "implemented" ? "implemented" : "supported"} yet`,
        data: { reason: detail.reason },
      };
    case "notMaterialized":
      return {
        code: detail.what === "turnsList" ? INVALID_REQUEST_CODE : METHOD_NOT_FOUND_CODE,
        message:
          detail.what === "turnsList"
            ? `thread ${clip(detail.threadId)} is not materialized yet; thread/turns/list is unavailable before first user message`
            : detail.what === "readTurns"
              ? "list_turns is not supported yet"
              : detail.what === "timeline"
                ? "thread/timeline/list is not supported yet"
                : "thread/items/list is not supported yet",
        data: { reason: detail.reason },
      };
    case "invalidCursor":
      return {
        code: INVALID_REQUEST_CODE,
        // Codex's text; what a cursor of this list looks like is in `data.expected`.
        message: `invalid cursor: ${clip(detail.cursor, 80)}`,
        data: { reason: detail.reason, expected: detail.expected },
      };
    case "invalidParams":
      return { code: INVALID_PARAMS_CODE, message: clip(detail.message, 1_000), data: { reason: detail.reason } };
    case "invalidArgument":
      return { code: INVALID_REQUEST_CODE, message: clip(detail.message, 1_000), data: { reason: detail.reason } };
    case "readStateConflict":
      return {
        code: INVALID_REQUEST_CODE,
        message: "read state changed",
        data: { reason: detail.reason, readState: detail.readState },
      };
    case "overloaded":
      return { code: OVERLOADED_CODE, message: "Server overloaded; retry later.", data: overloadData(detail.limit) };
    case "deadlineExceeded":
      return {
        code: INTERNAL_ERROR_CODE,
        message: `\`${detail.method}\` did not complete within ${detail.timeoutMs} ms; it may still be applied, retry or read back`,
        data: { reason: detail.reason },
      };
    case "cancelled":
      return { code: INTERNAL_ERROR_CODE, message: `\`${detail.method}\` was cancelled`, data: { reason: detail.reason } };
    case "serviceUnavailable":
      return {
        code: INTERNAL_ERROR_CODE,
        message: `the ${detail.service} service is unavailable; retry later`,
        data: { reason: detail.reason },
      };
    case "busUnavailable":
      return {
        code: INTERNAL_ERROR_CODE,
        message: detail.mayBeApplied
          ? `the message bus connection was lost while \`${detail.method}\` was in flight; it may still be applied, read back before retrying`
          : "the message bus is unavailable; retry later",
        data: { reason: detail.reason },
      };
    case "environmentNotFound":
      // Also the answer for another tenant's environment: its existence is not disclosed.
      return {
        code: INVALID_REQUEST_CODE,
        message: `environment not found: ${clip(detail.environmentId)}`,
        data: { reason: detail.reason },
      };
    case "environmentOffline":
      return {
        code: INTERNAL_ERROR_CODE,
        message: `environment ${clip(detail.environmentId)} is not connected: start \`codex app-server\` with remote control on that machine (or wait for it to reconnect) and retry`,
        data: { reason: detail.reason },
      };
    case "pairingCodeInvalid":
      return {
        code: INVALID_REQUEST_CODE,
        message: "pairing code is invalid, expired or already used; ask the machine for a new one",
        data: { reason: detail.reason },
      };
    case "rateLimited":
      return {
        code: OVERLOADED_CODE,
        message: `too many ${detail.what}; retry in ${Math.ceil(detail.retryAfterMs / 1000)} s`,
        data: { reason: detail.reason, retryAfterMs: detail.retryAfterMs },
      };
    case "configWrite":
      // Codex's shape: the message, and the code under `data.config_write_error_code`.
      return {
        code: INVALID_REQUEST_CODE,
        message: clip(detail.message, 2_000),
        data: { reason: detail.reason, config_write_error_code: detail.code },
      };
    case "configRejected":
    case "forbidden":
      return { code: INVALID_REQUEST_CODE, message: clip(detail.message, 2_000), data: { reason: detail.reason } };
    case "configLockMismatch":
      // The diff rides in `data` so a client can show it (Codex surfaces server error data at start-up).
      return {
        code: INVALID_REQUEST_CODE,
        message: clip(detail.message, 2_000),
        data: { reason: detail.reason, diff: clip(detail.diff, 64_000) },
      };
    case "threadConfigLoadFailed":
      return {
        code: INVALID_REQUEST_CODE,
        message: clip(detail.message, 2_000),
        data: { reason: detail.reason, kind: detail.kind },
      };
    case "configLoadFailed":
    case "mcpServerUnavailable":
    case "sampleFailed":
      return { code: INTERNAL_ERROR_CODE, message: clip(detail.message, 2_000), data: { reason: detail.reason } };
    case "relayed":
      return detail.error;
    case "internal":
      return {
        code: INTERNAL_ERROR_CODE,
        message: `internal error: ${clip(detail.message, 1_000)}`,
        data: { reason: detail.reason },
      };
    default:
      return assertNever(detail);
  }
}

/** `data` of an overload: `{reason: "overloaded"}`, plus the limit that refused when one did. */
function overloadData(limit: OverloadLimit | undefined): Record<string, unknown> {
  if (!limit) return { reason: "overloaded" };
  if (limit.kind === "inFlight") return { reason: "overloaded", scope: limit.scope, limit: limit.limit };
  return {
    reason: "rateLimited",
    scope: limit.scope,
    limit: limit.requestsPerS,
    burst: limit.burst,
    retryAfterMs: limit.retryAfterMs,
  };
}

/** Errors cross the bus already rendered; this keeps them recognisable as values on the far side. */
export function isWireError(value: unknown): value is WireError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as WireError).code === "number" &&
    typeof (value as WireError).message === "string"
  );
}

/** How a request holding `defect` is refused (a decode failure, as Codex refuses what serde cannot parse). */
export function jsonDefectDetail(defect: JsonDefect): ErrorDetail {
  switch (defect.kind) {
    case "tooDeep":
      return { reason: "nestingTooDeep", maxDepth: defect.maxDepth };
    case "nulCharacter":
      return {
        reason: "invalidRequest",
        detail: `string at \`${clip(defect.path)}\` contains a NUL character (\\u0000), which cannot be stored`,
      };
    default:
      return assertNever(defect);
  }
}
