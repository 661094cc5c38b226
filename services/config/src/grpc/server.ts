// Serves `codex.thread_config.v1.ThreadConfigLoader/Load` to Codex, one plaintext HTTP/2 listener per
// tenant. The only Codex that calls this endpoint (0.148.0) sends no credentials and no metadata beyond
// its user-agent, only `cwd` (sometimes `thread_id`), and drops any path from the endpoint URL, so
// nothing in a request can say whose it is: the tenant is the listener it arrived on (see README.md).
import { performance } from "node:perf_hooks";
import {
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { SessionConfigEncodeError } from "./errors.js";
import { type LoadThreadConfigRequestMessage, type LoadThreadConfigResponseMessage, threadConfigLoaderService } from "./proto.js";
import { type SessionConfigToml, sessionConfigToProto } from "./session-config-codec.js";

/**
 * Finds the session config for a request on `tenant`'s listener: by `threadId` when given, else by
 * `cwd` (both are passed; the callback does the matching). Null when nothing matches. A rejection is
 * treated as transient and answered UNAVAILABLE.
 */
export type SessionConfigLookup = (
  tenant: string,
  request: { threadId: string | null; cwd: string | null },
) => Promise<SessionConfigToml | null>;

export interface ThreadConfigServerLog {
  /** Per-request lines go here when the logger has it (pino does), else to `info`. */
  debug?(o: object, m: string): void;
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface ThreadConfigServerOptions {
  lookup: SessionConfigLookup;
  log: ThreadConfigServerLog;
  /** How long a stopping listener waits for in-flight calls before cutting them; default 5000 ms. */
  shutdownGraceMs?: number;
}

interface TenantListener {
  readonly host: string;
  readonly requestedPort: number;
  readonly server: Server;
  /** Settles when the bind does; rejects if it fails. */
  readonly bound: Promise<number>;
  port: number | undefined;
}

/** The `Load` answer for a looked-up config: one `session` source, or no sources at all. */
export function loadResponseFor(config: SessionConfigToml | null): LoadThreadConfigResponseMessage {
  if (config === null) return { sources: [] };
  return { sources: [{ session: sessionConfigToProto(config) }] };
}

export class ThreadConfigServer {
  private readonly lookup: SessionConfigLookup;
  private readonly log: ThreadConfigServerLog;
  private readonly shutdownGraceMs: number;
  private readonly listeners = new Map<string, TenantListener>();
  private isClosed = false;

  constructor(options: ThreadConfigServerOptions) {
    this.lookup = options.lookup;
    this.log = options.log;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
  }

  /** Starts (or keeps) a listener for `tenant` on host:port (port 0 = any); resolves with the bound port. */
  async listenTenant(tenant: string, host: string, port: number): Promise<number> {
    if (this.isClosed) throw new Error("the thread-config server is closed");
    if (tenant === "") throw new Error("a tenant id must not be empty");
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`invalid port ${port}`);

    const existing = this.listeners.get(tenant);
    if (existing) {
      const existingPort = await existing.bound;
      if (existing.host !== host || (port !== 0 && port !== existingPort)) {
        throw new Error(
          `tenant ${tenant} already has a thread-config listener on ${address(existing.host, existingPort)}; stop it before moving it to ${address(host, port)}`,
        );
      }
      return existingPort;
    }

    const server = new Server();
    server.addService(threadConfigLoaderService, {
      Load: (
        call: ServerUnaryCall<LoadThreadConfigRequestMessage, LoadThreadConfigResponseMessage>,
        callback: sendUnaryData<LoadThreadConfigResponseMessage>,
      ) => {
        this.answerLoad(tenant, call, callback).catch((error: unknown) => {
          this.log.error({ tenant, err: errorMessage(error) }, "thread-config Load handler failed");
          callback(failure(status.INTERNAL, "internal error while loading session config"));
        });
      },
    });
    const bound = new Promise<number>((resolve, reject) => {
      server.bindAsync(address(host, port), ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      );
    });
    const listener: TenantListener = { host, requestedPort: port, server, bound, port: undefined };
    this.listeners.set(tenant, listener);
    try {
      listener.port = await bound;
    } catch (error) {
      if (this.listeners.get(tenant) === listener) this.listeners.delete(tenant);
      server.forceShutdown();
      throw new Error(
        `cannot open the thread-config listener for tenant ${tenant} on ${address(host, port)}: ${errorMessage(error)}`,
      );
    }
    this.log.info({ tenant, host, port: listener.port }, "thread-config listener started");
    return listener.port;
  }

  /** Stops `tenant`'s listener (graceful within the bound, then forced); a no-op if it has none. */
  async stopTenant(tenant: string): Promise<void> {
    const listener = this.listeners.get(tenant);
    if (!listener) return;
    this.listeners.delete(tenant);
    // A bind still in flight must finish (or fail) before the server can be shut down cleanly.
    const port = await listener.bound.catch(() => undefined);
    await this.shutdown(listener.server);
    if (port !== undefined) this.log.info({ tenant, port }, "thread-config listener stopped");
  }

  /** Tenants with a bound listener and its port. */
  tenants(): { tenant: string; port: number }[] {
    return [...this.listeners].flatMap(([tenant, listener]) =>
      listener.port === undefined ? [] : [{ tenant, port: listener.port }],
    );
  }

  /** Stops every listener (graceful with a bound, then forced); later `listenTenant` calls fail. */
  async close(): Promise<void> {
    this.isClosed = true;
    await Promise.all([...this.listeners.keys()].map((tenant) => this.stopTenant(tenant)));
  }

  private async answerLoad(
    tenant: string,
    call: ServerUnaryCall<LoadThreadConfigRequestMessage, LoadThreadConfigResponseMessage>,
    callback: sendUnaryData<LoadThreadConfigResponseMessage>,
  ): Promise<void> {
    const startedAt = performance.now();
    const request = { threadId: presentString(call.request.thread_id), cwd: presentString(call.request.cwd) };
    const context = { tenant, threadId: request.threadId, cwd: request.cwd, peer: call.getPeer() };

    let config: SessionConfigToml | null;
    try {
      config = await this.lookup(tenant, request);
    } catch (error) {
      this.log.warn({ ...context, err: errorMessage(error) }, "thread-config lookup failed; answered UNAVAILABLE");
      callback(failure(status.UNAVAILABLE, "session config is temporarily unavailable; retry"));
      return;
    }

    let response: LoadThreadConfigResponseMessage;
    try {
      response = loadResponseFor(config);
    } catch (error) {
      // The stored config would be refused by Codex's parser; say which value, never send it half-right.
      if (!(error instanceof SessionConfigEncodeError)) throw error;
      this.log.error({ ...context, field: error.field, err: error.message }, "stored session config cannot be sent");
      callback(failure(status.FAILED_PRECONDITION, `the session config for this workspace is invalid: ${error.message}`));
      return;
    }

    this.logRequest(
      {
        ...context,
        isMatched: config !== null,
        modelProvider: config?.model_provider ?? null,
        durationMs: Math.round(performance.now() - startedAt),
      },
      "thread-config Load answered",
    );
    callback(null, response);
  }

  private logRequest(fields: object, message: string): void {
    if (this.log.debug) this.log.debug(fields, message);
    else this.log.info(fields, message);
  }

  private shutdown(server: Server): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function failure(code: status, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

/** An absent or empty string field means "not given" (Codex never sends an empty cwd or thread id). */
function presentString(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

function address(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
