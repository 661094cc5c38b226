// Which failures are worth retrying. The rule (ARCHITECTURE.md, "Failures"):
//   - a SwitchyardError is an answer: it is sent to the client at once (and the command acknowledged);
//   - a failure of a dependency that is down or restarting (Postgres unreachable or shutting down,
//     a lost connection, a serialization conflict, NATS or Redis unavailable) is transient: the keyed
//     lane retries it in order, the unkeyed lane answers "unavailable; retry later";
//   - anything else would fail the same way again (a value Postgres refuses, a constraint, a bug):
//     it is permanent, answered at once and never retried, so one bad command cannot hold a partition.
import { errors as natsErrors } from "@nats-io/nats-core";
import { type ErrorDetail, SwitchyardError } from "@switchyard/protocol";

export type FailureKind = "transient" | "permanent";

/** SQLSTATE classes that mean "the database is (momentarily) unable", not "this command is wrong". */
const TRANSIENT_SQLSTATE_CLASSES = new Set([
  "08", // connection exception
  "40", // transaction rollback: serialization failure, deadlock
  "53", // insufficient resources
  "57", // operator intervention: admin shutdown, cannot connect now, statement cancelled
  "58", // system error (I/O)
]);
const TRANSIENT_SQLSTATES = new Set(["55P03"]); // lock_not_available

/** SQLSTATE classes caused by the value itself (22 data exception, 54 program limit exceeded). */
const INPUT_SQLSTATE_CLASSES = new Set(["22", "54"]);

const TRANSIENT_SYSTEM_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/** node-postgres and ioredis report a lost or missing connection with these texts and no code. */
const TRANSIENT_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection is closed|MaxRetriesPerRequest|Stream isn't writeable/i;

const NATS_TRANSIENT: (new (...args: never[]) => Error)[] = [
  natsErrors.ClosedConnectionError,
  natsErrors.DrainingConnectionError,
  natsErrors.ConnectionError,
  natsErrors.TimeoutError,
  natsErrors.NoRespondersError,
  natsErrors.RequestError,
];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const isSqlState = (code: string | undefined): code is string => code !== undefined && /^[0-9A-Z]{5}$/.test(code);

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof SwitchyardError) return "permanent";
  if (NATS_TRANSIENT.some((type) => error instanceof type)) return "transient";
  const code = codeOf(error);
  if (code && TRANSIENT_SYSTEM_CODES.has(code)) return "transient";
  if (isSqlState(code)) {
    return TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2)) || TRANSIENT_SQLSTATES.has(code) ? "transient" : "permanent";
  }
  const message = error instanceof Error ? error.message : String(error);
  if (TRANSIENT_MESSAGE.test(message)) return "transient";
  // An AggregateError (node's net connect over IPv4 and IPv6) is transient if any part is.
  if (error instanceof AggregateError && error.errors.some((part) => classifyFailure(part) === "transient")) return "transient";
  return "permanent";
}

/** What a client is told about a permanent failure: its input when the database refused the value, else internal. */
export function permanentFailureDetail(error: unknown): ErrorDetail {
  if (error instanceof SwitchyardError) return error.detail;
  const code = codeOf(error);
  if (isSqlState(code) && INPUT_SQLSTATE_CLASSES.has(code.slice(0, 2))) {
    return { reason: "unstorableInput", detail: error instanceof Error ? error.message : String(error) };
  }
  return { reason: "internal", message: "the request failed and was not applied; it will fail again if retried unchanged" };
}
