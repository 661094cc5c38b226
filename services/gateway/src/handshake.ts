// The initialize handshake and the gateway-owned methods. `initialize` opens a session once (a second
// one is refused), checks `clientInfo.name` as Codex does (it becomes an HTTP header value there),
// and fixes the session's capabilities; `missingGatewayHandlers` is the start-up check that every
// gateway-owned method has a handler (the types demand it; this catches a bundle out of step).
import {
  type ErrorDetail,
  type InitializeParams,
  type InitializeResponse,
  Method,
  type MethodSpec,
  methodsOwnedBy,
} from "@switchyard/protocol";

const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The Codex app-server version whose protocol Switchyard speaks. It leads `userAgent` as Codex's own
 * `<originator>/<version>` does: the Codex TUI reads the server's version from there and warns
 * ("A background Codex service is running v…, older than your Codex CLI") when it is below its own.
 * Switchyard's own version follows the platform, where Codex puts the terminal.
 */
export const CODEX_PROTOCOL_VERSION = "0.171.0";

export interface HandshakeSettings {
  codexHome: string;
  serverVersion: string;
}

export interface SessionCapabilities {
  isExperimentalApi: boolean;
  optedOut: Set<string>;
  clientName: string;
  clientVersion: string;
}

export type HandshakeOutcome =
  | { ok: true; result: InitializeResponse; session: SessionCapabilities }
  | { ok: false; detail: ErrorDetail };

export function initializeSession(
  params: InitializeParams,
  isInitialized: boolean,
  settings: HandshakeSettings,
): HandshakeOutcome {
  if (isInitialized) return { ok: false, detail: { reason: "alreadyInitialized" } };
  const name = params.clientInfo.name;
  if (!HEADER_VALUE.test(name)) return { ok: false, detail: { reason: "invalidClientName", name } };
  const version = params.clientInfo.version;
  return {
    ok: true,
    result: {
      userAgent: `switchyard/${CODEX_PROTOCOL_VERSION} (Linux; ${process.arch}) switchyard-gateway/${settings.serverVersion} (${name}; ${version})`,
      codexHome: settings.codexHome,
      platformFamily: "unix",
      platformOs: "linux",
    },
    session: {
      isExperimentalApi: params.capabilities?.experimentalApi === true,
      optedOut: new Set(params.capabilities?.optOutNotificationMethods ?? []),
      clientName: name,
      clientVersion: version,
    },
  };
}

/** Gateway-owned methods (other than initialize) without a handler in `answeredLocally`. */
export function missingGatewayHandlers(
  answeredLocally: ReadonlyMap<string, unknown>,
  owned: MethodSpec<unknown, unknown>[] = methodsOwnedBy("gateway"),
): string[] {
  return owned
    .filter((spec) => spec.method !== Method.initialize && !answeredLocally.has(spec.method))
    .map((spec) => spec.method);
}
