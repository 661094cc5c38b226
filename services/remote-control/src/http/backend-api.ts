// The machine-facing HTTP surface, at the paths a Codex app-server calls under its
// `chatgpt_base_url` (`…/wham/remote/control/…`): enroll, refresh, pair, pair/status, the environment
// clients list and revoke, and the machine websocket (`GET …/server` upgrade). Also /healthz and /readyz.

import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type Logger, serveMetrics } from "@switchyard/runtime";
import { WebSocketServer } from "ws";
import { z } from "zod";
import { type AccessTokenVerifier, bearerToken, type MachineIdentity } from "../auth/access-token.js";
import {
  newEnvironmentId,
  newManualPairingCode,
  newPairingCode,
  newServerId,
  newServerToken,
  normalizeManualCode,
  sha256,
} from "../auth/secrets.js";
import type { RateLimiter } from "../pairing/rate-limit.js";
import type { MachineHub } from "../relay/machine-hub.js";
import type { ClientsCursor, PgRemoteControlStore, ServerRow } from "../store/remote-control-store.js";

/** The body that makes a Codex app-server delete its enrollment and enroll again (exact text). */
export const SERVER_NOT_FOUND_BODY = '{"detail":"Remote app server not found"}';
export const PROTOCOL_VERSION = "3";
const MAX_BODY_BYTES = 64 * 1024;
/** Websocket frames past this close the socket (1009); envelopes over 150 KiB are refused one by one. */
const MAX_MACHINE_FRAME_BYTES = 1024 * 1024;

export interface BackendApiSettings {
  serverTokenTtlS: number;
  pairingTtlS: number;
  pairingCodesPerMinute: number;
}

export interface BackendApiDependencies {
  store: PgRemoteControlStore;
  verifier: AccessTokenVerifier;
  hub: MachineHub;
  rateLimiter: RateLimiter;
  log: Logger;
  readiness: () => Promise<Record<string, boolean>>;
}

const EnrollBody = z.object({
  name: z.string().min(1).max(256),
  os: z.string().max(64).default("unknown"),
  arch: z.string().max(64).default("unknown"),
  app_server_version: z.string().max(64).default("unknown"),
  installation_id: z.string().min(1).max(256),
});
const RefreshBody = z.object({ server_id: z.string().min(1), installation_id: z.string().min(1) });
const PairBody = z.object({ manual_code: z.boolean().nullish() });
const PairStatusBody = z.object({ pairing_code: z.string().nullish(), manual_pairing_code: z.string().nullish() });

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body);
  }
}

const detail = (status: number, text: string) => new HttpError(status, JSON.stringify({ detail: text }));

function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(detail(413, "request body too large"));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(detail(400, "request body is not JSON"));
      }
    });
    request.on("error", reject);
  });
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw detail(400, `invalid request body: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const rfc3339 = (date: Date) => date.toISOString();

export function buildBackendServer(settings: BackendApiSettings, deps: BackendApiDependencies): Server {
  const { store, verifier, hub, log } = deps;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MACHINE_FRAME_BYTES, perMessageDeflate: false });

  const machineIdentity = async (request: IncomingMessage): Promise<MachineIdentity> => {
    const result = await verifier.verify(request.headers.authorization, request.headers["chatgpt-account-id"]);
    if (!result.ok) throw detail(result.status, result.detail);
    return result.identity;
  };

  /** The enrollment a server token belongs to; 401 when unknown or expired (the machine refreshes). */
  const serverFromToken = async (request: IncomingMessage): Promise<ServerRow> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw detail(401, "missing server token");
    const server = await store.serverByToken(sha256(token));
    if (!server) throw detail(401, "invalid server token");
    if (server.tokenExpiresAt.getTime() <= Date.now()) throw detail(401, "expired server token");
    return server;
  };

  const mintToken = () => {
    const token = newServerToken();
    return { token, tokenSha256: sha256(token), tokenExpiresAt: new Date(Date.now() + settings.serverTokenTtlS * 1_000) };
  };

  const routes: Record<string, (request: IncomingMessage, path: string[]) => Promise<{ status: number; body: unknown }>> = {
    "POST server/enroll": async (request) => {
      const identity = await machineIdentity(request);
      const body = parse(EnrollBody, await readBody(request));
      const minted = mintToken();
      const enrollment = await store.enroll({
        tenant: identity.tenant,
        subject: identity.subject,
        serverId: newServerId(),
        environmentId: newEnvironmentId(),
        installationId: body.installation_id,
        name: body.name,
        os: body.os,
        arch: body.arch,
        appServerVersion: body.app_server_version,
        tokenSha256: minted.tokenSha256,
        tokenExpiresAt: minted.tokenExpiresAt,
      });
      log.info({ tenant: identity.tenant, ...enrollment, name: body.name }, "machine enrolled");
      return {
        status: 200,
        body: {
          server_id: enrollment.serverId,
          environment_id: enrollment.environmentId,
          remote_control_token: minted.token,
          expires_at: rfc3339(minted.tokenExpiresAt),
        },
      };
    },
    "POST server/refresh": async (request) => {
      const identity = await machineIdentity(request);
      const body = parse(RefreshBody, await readBody(request));
      const minted = mintToken();
      const enrollment = await store.refresh({
        tenant: identity.tenant,
        serverId: body.server_id,
        installationId: body.installation_id,
        tokenSha256: minted.tokenSha256,
        tokenExpiresAt: minted.tokenExpiresAt,
      });
      if (!enrollment) throw new HttpError(404, SERVER_NOT_FOUND_BODY);
      return {
        status: 200,
        body: {
          server_id: enrollment.serverId,
          environment_id: enrollment.environmentId,
          remote_control_token: minted.token,
          expires_at: rfc3339(minted.tokenExpiresAt),
        },
      };
    },
    "POST server/pair": async (request) => {
      const server = await serverFromToken(request);
      const body = parse(PairBody, await readBody(request));
      const decision = await deps.rateLimiter.take(`pair:${server.tenant}`, settings.pairingCodesPerMinute, 60_000);
      if (!decision.allowed) {
        throw detail(429, `too many pairing codes for this account; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`);
      }
      const pairingCode = newPairingCode();
      const manualCode = body.manual_code ? newManualPairingCode() : null;
      const expiresAt = new Date(Date.now() + settings.pairingTtlS * 1_000);
      await store.createPairingCode({
        tenant: server.tenant,
        serverId: server.serverId,
        codeSha256: sha256(pairingCode),
        manualCodeSha256: manualCode ? sha256(normalizeManualCode(manualCode)) : null,
        expiresAt,
      });
      return {
        status: 200,
        body: {
          pairing_code: pairingCode,
          manual_pairing_code: manualCode,
          server_id: server.serverId,
          environment_id: server.environmentId,
          expires_at: rfc3339(expiresAt),
        },
      };
    },
    "POST server/pair/status": async (request) => {
      const server = await serverFromToken(request);
      const body = parse(PairStatusBody, await readBody(request));
      if (!body.pairing_code && !body.manual_pairing_code) throw detail(400, "pairing_code or manual_pairing_code is required");
      const claimed = await store.pairingClaimed(server.tenant, server.serverId, {
        codeSha256: body.pairing_code ? sha256(body.pairing_code) : undefined,
        manualCodeSha256: body.manual_pairing_code ? sha256(normalizeManualCode(body.manual_pairing_code)) : undefined,
      });
      if (claimed === undefined) throw detail(404, "Pairing code not found");
      return { status: 200, body: { claimed } };
    },
    "GET environments/*/clients": async (request, path) => {
      const identity = await machineIdentity(request);
      const environmentId = path[1] as string;
      if (!(await store.environment(identity.tenant, environmentId))) throw detail(404, "Environment not found");
      const url = new URL(request.url ?? "/", "http://localhost");
      const limit = Math.min(200, Math.max(1, Number(url.searchParams.get("limit")) || 50));
      const order = url.searchParams.get("order") === "asc" ? "asc" : "desc";
      const cursor = url.searchParams.get("cursor");
      let after: ClientsCursor | undefined;
      if (cursor) {
        try {
          const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { t: unknown; id: unknown };
          if (typeof decoded.t !== "string" || !/^-?\d{1,19}$/.test(decoded.t) || typeof decoded.id !== "string") {
            throw new Error("malformed");
          }
          after = { lastSeenMicros: decoded.t, clientId: decoded.id };
        } catch {
          throw detail(400, "invalid cursor");
        }
      }
      const rows = await store.clients({ tenant: identity.tenant, environmentId, limit, order, after });
      const last = rows.length === limit ? rows.at(-1) : undefined;
      return {
        status: 200,
        body: {
          items: rows.map((row) => ({
            client_id: row.clientId,
            display_name: row.displayName,
            device_type: row.deviceType,
            platform: row.platform,
            os_version: row.osVersion,
            device_model: row.deviceModel,
            app_version: row.appVersion,
            last_seen_at: rfc3339(row.lastSeenAt),
          })),
          cursor: last ? Buffer.from(JSON.stringify({ t: last.lastSeenMicros, id: last.clientId })).toString("base64url") : null,
        },
      };
    },
    "DELETE environments/*/clients/*": async (request, path) => {
      const identity = await machineIdentity(request);
      const [, environmentId, , clientId] = path as [string, string, string, string];
      if (!(await store.environment(identity.tenant, environmentId))) throw detail(404, "Environment not found");
      if (!(await store.revokeClient(identity.tenant, environmentId, clientId))) throw detail(404, "Client not found");
      return { status: 204, body: undefined };
    },
  };

  /** `…/wham/remote/control/<rest>` → the route key and the rest's segments. */
  const routeOf = (method: string, url: string): { key: string; path: string[] } | undefined => {
    const pathname = new URL(url, "http://localhost").pathname;
    const marker = "/wham/remote/control/";
    const at = pathname.indexOf(marker);
    if (at < 0) return undefined;
    const path = pathname
      .slice(at + marker.length)
      .split("/")
      .filter(Boolean)
      .map(decodeURIComponent);
    const shape = path.map((segment, index) => (path[0] === "environments" && (index === 1 || index === 3) ? "*" : segment));
    return { key: `${method} ${shape.join("/")}`, path };
  };

  const respond = (response: ServerResponse, status: number, body: unknown) => {
    if (body === undefined) {
      response.writeHead(status).end();
      return;
    }
    const text = typeof body === "string" ? body : JSON.stringify(body);
    response.writeHead(status, { "content-type": "application/json" }).end(text);
  };

  const server = createServer((request, response) => {
    const url = request.url ?? "/";
    if (url === "/healthz") return void response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    if (url === "/metrics") return serveMetrics(request, response);
    if (url === "/readyz") {
      void deps.readiness().then((checks) => {
        const isReady = Object.values(checks).every(Boolean);
        response.writeHead(isReady ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(checks));
      });
      return;
    }
    const route = routeOf(request.method ?? "GET", url);
    const handler = route ? routes[route.key] : undefined;
    if (!route || !handler) return respond(response, 404, { detail: "Not found" });
    handler(request, route.path).then(
      (result) => respond(response, result.status, result.body),
      (error: unknown) => {
        if (error instanceof HttpError) return respond(response, error.status, error.body);
        log.error({ err: error instanceof Error ? error.stack : String(error), route: route.key }, "backend request failed");
        respond(response, 503, { detail: "temporarily unavailable; retry" });
      },
    );
  });

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const route = routeOf("GET", request.url ?? "/");
    if (route?.key !== "GET server") return refuseUpgrade(socket, 404, JSON.stringify({ detail: "Not found" }));
    authorizeMachine(request).then(
      (machine) => sockets.handleUpgrade(request, socket, head, (websocket) => hub.accept(websocket, machine)),
      (error: unknown) => {
        if (error instanceof HttpError) return refuseUpgrade(socket, error.status, error.body);
        log.error({ err: String(error) }, "machine upgrade failed");
        refuseUpgrade(socket, 503, JSON.stringify({ detail: "temporarily unavailable; retry" }));
      },
    );
  });

  /**
   * The upgrade's checks, in the order that tells the machine what to do: an unknown server id is a
   * stale enrollment (404 with the exact body: it re-enrolls); a bad or expired token is 401 (it
   * refreshes); a token of another server is 403.
   */
  const authorizeMachine = async (request: IncomingMessage): Promise<ServerRow> => {
    const serverId = request.headers["x-codex-server-id"];
    if (typeof serverId !== "string" || serverId === "") throw detail(400, "missing x-codex-server-id");
    const server = await store.server(serverId);
    if (!server) throw new HttpError(404, SERVER_NOT_FOUND_BODY);
    const token = bearerToken(request.headers.authorization);
    if (!token) throw detail(401, "missing server token");
    const presented = sha256(token);
    if (!timingSafeEqual(presented, server.tokenSha256)) {
      const isAnotherServersToken = (await store.tenantOfServerToken(presented)) !== undefined;
      const reason = isAnotherServersToken ? "server token belongs to another server" : "invalid server token";
      await hub.refused(server, reason);
      throw detail(isAnotherServersToken ? 403 : 401, reason);
    }
    if (server.tokenExpiresAt.getTime() <= Date.now()) {
      await hub.refused(server, "expired server token");
      throw detail(401, "expired server token");
    }
    const version = request.headers["x-codex-protocol-version"];
    if (version !== undefined && version !== PROTOCOL_VERSION) {
      throw detail(
        400,
        `unsupported remote-control protocol version ${String(version)}; this backend speaks ${PROTOCOL_VERSION}`,
      );
    }
    return server;
  };

  return server;
}

function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  const reason = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" }[status] ?? "Service Unavailable";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
