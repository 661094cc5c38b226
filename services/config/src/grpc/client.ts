// Consuming an orchestrator's thread-config endpoint (`codex.thread_config.v1.ThreadConfigLoader/Load`)
// the way Codex's RemoteThreadConfigLoader does: endpoint "http://host:port" (any path is dropped,
// requests always go to the service path), one deadline per call, gRPC statuses mapped to
// auth / timeout / requestFailed, responses parsed with Codex's rules. Every failure throws; there is
// no fallback to "no session config".
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { checkResolvedHost, type EgressPolicy, egressDenialOf } from "@switchyard/runtime";
import { ThreadConfigLoadError, type ThreadConfigLoadErrorKind } from "./errors.js";
import { type LoadThreadConfigRequestMessage, loadMethodPath, threadConfigLoaderService } from "./proto.js";
import { type SessionConfigToml, sessionConfigFromSources } from "./session-config-codec.js";

export { ThreadConfigLoadError, type ThreadConfigLoadErrorKind } from "./errors.js";

/** One channel per endpoint origin, reused across calls; closed by `closeUpstreamClients`. */
const clientsByTarget = new Map<string, Client>();

/**
 * Calls `Load` on an upstream thread-config endpoint and returns the effective session config (the
 * session sources merged in order, later ones winning; null when none adds anything) and whether the
 * response carried a user source. Throws `ThreadConfigLoadError`.
 */
export async function loadUpstreamThreadConfig(
  endpoint: string,
  request: { threadId: string | null; cwd: string | null },
  /**
   * `egress`: the deployment's egress policy. The endpoint is the tenant's to name, so its host is
   * resolved and checked before every call (grpc-js resolves names itself, so unlike a provider's
   * connection this one cannot be pinned to the address checked).
   */
  options: { timeoutMs: number; egress: EgressPolicy },
): Promise<{ session: SessionConfigToml | null; user: boolean }> {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`);
  }
  const parsed = parseEndpoint(endpoint);
  try {
    await checkResolvedHost(options.egress, parsed.hostname);
  } catch (error) {
    const denial = egressDenialOf(error);
    // A name that does not resolve is left to grpc-js, which reports it as Codex does.
    if (denial) throw connectError(denial.message);
  }
  const client = clientFor(parsed);
  const message: LoadThreadConfigRequestMessage = {};
  if (request.threadId !== null) message.thread_id = request.threadId;
  if (request.cwd !== null) message.cwd = request.cwd;

  const load = threadConfigLoaderService.Load;
  const response = await new Promise<Awaited<ReturnType<typeof load.responseDeserialize>>>((resolve, reject) => {
    client.makeUnaryRequest(
      loadMethodPath,
      load.requestSerialize,
      load.responseDeserialize,
      message,
      new Metadata(),
      { deadline: Date.now() + options.timeoutMs },
      (error, value) => {
        if (error) reject(statusToLoadError(error));
        else if (value === undefined) reject(new ThreadConfigLoadError("parse", "remote thread config returned no response"));
        else resolve(value);
      },
    );
  });
  return sessionConfigFromSources(response.sources ?? []);
}

/** Closes every cached upstream channel (part of the service's shutdown). */
export function closeUpstreamClients(): void {
  for (const client of clientsByTarget.values()) client.close();
  clientsByTarget.clear();
}

function clientFor({ target, isSecure }: Endpoint): Client {
  const key = `${isSecure ? "https" : "http"}://${target}`;
  let client = clientsByTarget.get(key);
  if (!client) {
    client = new Client(target, isSecure ? credentials.createSsl() : credentials.createInsecure());
    clientsByTarget.set(key, client);
  }
  return client;
}

interface Endpoint {
  /** host:port, as grpc-js dials it. */
  target: string;
  /** The host alone (an IPv6 literal in brackets), as the egress policy checks it. */
  hostname: string;
  isSecure: boolean;
}

/** "http://host:port/any/path" → "host:port"; like tonic, a missing port means 80 (http) or 443 (https). */
function parseEndpoint(endpoint: string): Endpoint {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw connectError(`invalid endpoint ${JSON.stringify(endpoint)}: not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw connectError(`invalid endpoint ${JSON.stringify(endpoint)}: the scheme must be http or https`);
  }
  if (url.hostname === "") throw connectError(`invalid endpoint ${JSON.stringify(endpoint)}: no host`);
  const isSecure = url.protocol === "https:";
  // `hostname` keeps the brackets of an IPv6 literal, which is the form grpc-js expects.
  return { target: `${url.hostname}:${url.port || (isSecure ? "443" : "80")}`, hostname: url.hostname, isSecure };
}

function connectError(detail: string): ThreadConfigLoadError {
  return new ThreadConfigLoadError("requestFailed", `failed to connect to remote thread config loader: ${detail}`);
}

/** Codex's mapping (remote_status_to_error): only these three statuses have their own kind. */
export function loadErrorKindForStatus(code: status): ThreadConfigLoadErrorKind {
  switch (code) {
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return "auth";
    case status.DEADLINE_EXCEEDED:
      return "timeout";
    default:
      return "requestFailed";
  }
}

function statusToLoadError(error: ServiceError): ThreadConfigLoadError {
  // Spelled like tonic's `Status` display, which is what Codex puts after the prefix.
  return new ThreadConfigLoadError(
    loadErrorKindForStatus(error.code),
    `remote thread config request failed: status: ${statusName(error.code)}, message: ${JSON.stringify(error.details)}`,
  );
}

/** `PERMISSION_DENIED` → `PermissionDenied` (tonic's `Code` names). */
function statusName(code: status): string {
  const name = status[code] ?? `Code(${code})`;
  return name
    .toLowerCase()
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}
