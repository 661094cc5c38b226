// Consuming an orchestrator's thread-config endpoint (`codex.thread_config.v1.ThreadConfigLoader/Load`)
// the way Codex's RemoteThreadConfigLoader does: endpoint "http://host:port" (any path is dropped,
// requests always go to the service path), one deadline per call, gRPC statuses mapped to
// auth / timeout / requestFailed, responses parsed with Codex's rules. Every failure throws; there is
// no fallback to "no session config".
import type { LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { type ChannelOptions, Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { allowedAddress, type EgressPolicy, egressDenialOf, type HostResolver } from "@switchyard/runtime";
import { ThreadConfigLoadError, type ThreadConfigLoadErrorKind } from "./errors.js";
import { type LoadThreadConfigRequestMessage, loadMethodPath, threadConfigLoaderService } from "./proto.js";
import { type SessionConfigToml, sessionConfigFromSources } from "./session-config-codec.js";

export { ThreadConfigLoadError, type ThreadConfigLoadErrorKind } from "./errors.js";

/**
 * One channel per endpoint origin and the address it is dialled at, reused across calls; closed by
 * `closeUpstreamClients`. Bounded: past MAX_CHANNELS the oldest is closed (a name that resolves to a
 * new address each time must not grow this without end).
 */
const clientsByTarget = new Map<string, Client>();
const MAX_CHANNELS = 256;

/**
 * Calls `Load` on an upstream thread-config endpoint and returns the effective session config (the
 * session sources merged in order, later ones winning; null when none adds anything) and whether the
 * response carried a user source. Throws `ThreadConfigLoadError`.
 */
export async function loadUpstreamThreadConfig(
  endpoint: string,
  request: { threadId: string | null; cwd: string | null },
  /**
   * `egress`: the deployment's egress policy. The endpoint is the tenant's to name, so before every
   * call its host is resolved (`resolve`, dns.lookup unless a test gives its own) and the channel
   * dialled at the first address the policy allows, never at the name: grpc-js would resolve the name
   * again, and could get another answer (DNS rebinding). The name still goes in `:authority` and, over
   * TLS, in the server name and the certificate check.
   */
  options: { timeoutMs: number; egress: EgressPolicy; resolve?: HostResolver },
): Promise<{ session: SessionConfigToml | null; user: boolean }> {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`);
  }
  const parsed = parseEndpoint(endpoint);
  let address: LookupAddress | undefined;
  try {
    address = await allowedAddress(options.egress, parsed.hostname, options.resolve);
  } catch (error) {
    const denial = egressDenialOf(error);
    if (denial) throw connectError(denial.message);
    // A name that does not resolve is left to grpc-js, which fails on it the same way and reports it as Codex does.
  }
  const client = clientFor(parsed, address);
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

function clientFor(endpoint: Endpoint, address: LookupAddress | undefined): Client {
  const { target, options } = channelFor(endpoint, address);
  const key = `${endpoint.isSecure ? "https" : "http"}://${endpoint.authority} ${target}`;
  let client = clientsByTarget.get(key);
  if (!client) {
    client = new Client(target, endpoint.isSecure ? credentials.createSsl() : credentials.createInsecure(), options);
    clientsByTarget.set(key, client);
    if (clientsByTarget.size > MAX_CHANNELS) {
      const [oldestKey, oldest] = clientsByTarget.entries().next().value as [string, Client];
      oldest.close();
      clientsByTarget.delete(oldestKey);
    }
  }
  return client;
}

/**
 * Where a channel dials: the checked address (grpc-js's `ipv4:` / `ipv6:` targets, which it does not
 * resolve), with the endpoint's own name as `:authority` and, over TLS, as the server name the
 * certificate must be for. An endpoint that is an address is dialled as it is, and a name that did not
 * resolve too (the call then fails as it would).
 */
export function channelFor(endpoint: Endpoint, address: LookupAddress | undefined): { target: string; options: ChannelOptions } {
  if (address === undefined || endpoint.isAddress) return { target: endpoint.authority, options: {} };
  const target = address.family === 6 ? `ipv6:[${address.address}]:${endpoint.port}` : `ipv4:${address.address}:${endpoint.port}`;
  const options: ChannelOptions = { "grpc.default_authority": endpoint.authority };
  if (endpoint.isSecure) options["grpc.ssl_target_name_override"] = endpoint.hostname;
  return { target, options };
}

export interface Endpoint {
  /** host:port, as a client names it in `:authority`. */
  authority: string;
  /** The host alone (an IPv6 literal in brackets), as the egress policy checks it. */
  hostname: string;
  port: string;
  /** The host is an IP address, not a name. */
  isAddress: boolean;
  isSecure: boolean;
}

/** "http://host:port/any/path" → "host:port"; like tonic, a missing port means 80 (http) or 443 (https). */
export function parseEndpoint(endpoint: string): Endpoint {
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
  // `hostname` keeps the brackets of an IPv6 literal, which is the form `:authority` takes.
  const port = url.port || (isSecure ? "443" : "80");
  const isAddress = isIP(url.hostname.replace(/^\[(.*)\]$/, "$1")) !== 0;
  return { authority: `${url.hostname}:${port}`, hostname: url.hostname, port, isAddress, isSecure };
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
