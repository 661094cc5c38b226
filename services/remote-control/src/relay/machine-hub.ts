// The machines whose websockets this instance holds, and their side of the relay:
//   - presence: `<prefix>:rc:env:<environmentId>` in Redis names the holding instance (TTL, refreshed);
//   - client → machine: this instance alone subscribes to the environment's relay subject while it
//     holds the socket, so a gateway needs no lookup and "no responders" means "not connected";
//   - takeover: accepting a socket publishes `connected` on the environment's status subject; an
//     instance still holding an older socket for it closes that one (a half-open leftover);
//   - `relayOpen` (any instance, queue group): may this caller open a relayed session?
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import {
  type BusSubjects,
  Notification,
  type RelayOpenReply,
  type RelayOpenRequest,
  type RelayStatusEvent,
  type RelayToMachine,
  toWireError,
} from "@switchyard/protocol";
import { decodeJson, EventPublisher, encodeJson, type Logger, newToken, type Redis } from "@switchyard/runtime";
import type WebSocket from "ws";
import { clientRecordId } from "../auth/secrets.js";
import { MachineConnection } from "../machine/machine-connection.js";
import type { PgRemoteControlStore, ServerRow } from "../store/remote-control-store.js";

export const environmentPresenceKey = (prefix: string, environmentId: string) => `${prefix}:rc:env:${environmentId}`;

export interface EnvironmentPresence {
  instanceId: string;
  socketId: string;
  serverId: string;
  connectedAtMs: number;
}

// Deletes the presence key only if it still names this socket (another instance may own it now).
const RELEASE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and string.find(value, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface MachineHubOptions {
  nc: NatsConnection;
  subjects: BusSubjects;
  busPrefix: string;
  redis: Redis;
  store: PgRemoteControlStore;
  log: Logger;
  instanceId: string;
  presenceTtlMs: number;
  clientPingIntervalMs: number;
}

interface HeldMachine {
  connection: MachineConnection;
  subscription: Subscription;
}

export class MachineHub {
  private readonly held = new Map<string, HeldMachine>();
  private readonly superseded = new WeakSet<MachineConnection>();
  private readonly statusSubscription: Subscription;
  private readonly openSubscription: Subscription;
  private readonly heartbeat: NodeJS.Timeout;
  private cursor = Date.now() * 1_000;
  private readonly events: EventPublisher;

  constructor(private readonly options: MachineHubOptions) {
    const { nc, subjects } = options;
    this.events = new EventPublisher(nc, subjects);
    this.statusSubscription = nc.subscribe(subjects.relayStatusWildcard, {
      callback: (error, msg) => {
        if (error) return;
        const event = decodeJson(msg.data) as RelayStatusEvent;
        if (event.status !== "connected") return;
        for (const machine of this.held.values()) {
          const isSameEnvironment =
            msg.subject === subjects.relayStatus(machine.connection.server.tenant, machine.connection.environmentId);
          if (isSameEnvironment && event.socketId !== machine.connection.socketId) {
            options.log.info(
              { environmentId: machine.connection.environmentId, to: event.instanceId },
              "machine reconnected elsewhere",
            );
            this.supersede(machine.connection);
          }
        }
      },
    });
    this.openSubscription = nc.subscribe(subjects.relayOpen, {
      queue: subjects.relayOpenQueueGroup,
      callback: (error, msg) => {
        if (error) return;
        void this.authorizeOpen(decodeJson(msg.data) as RelayOpenRequest).then(
          (reply) => msg.respond(encodeJson(reply)),
          (failure: unknown) => {
            options.log.warn({ err: String(failure) }, "relay open check failed");
            msg.respond(
              encodeJson({ ok: false, error: toWireError({ reason: "serviceUnavailable", service: "remote-control" }) }),
            );
          },
        );
      },
    });
    this.heartbeat = setInterval(() => void this.refreshPresence(), Math.max(1_000, Math.floor(options.presenceTtlMs / 3)));
    this.heartbeat.unref();
  }

  get machineCount(): number {
    return this.held.size;
  }

  get clientCount(): number {
    let count = 0;
    for (const machine of this.held.values()) count += machine.connection.clientCount;
    return count;
  }

  /** Takes over a machine's freshly upgraded websocket. */
  accept(socket: WebSocket, server: ServerRow): void {
    const { nc, subjects, log } = this.options;
    const socketId = newToken(8);
    const older = this.held.get(server.environmentId)?.connection;
    if (older) this.supersede(older);
    const connection = new MachineConnection({
      socket,
      server,
      socketId,
      nc,
      subjects,
      log: log.child({ environmentId: server.environmentId, tenant: server.tenant }),
      clientPingIntervalMs: this.options.clientPingIntervalMs,
      nextCursor: () => String(++this.cursor),
    });
    const subscription = nc.subscribe(subjects.relayToMachine(server.tenant, server.environmentId), {
      callback: (error, msg) => {
        if (error) return;
        const frame = decodeJson(msg.data) as RelayToMachine;
        const written =
          frame.type === "message"
            ? connection.sendClientMessage(frame.clientId, frame.streamId, frame.seqId, JSON.stringify(frame.message))
            : connection.closeClient(frame.clientId, frame.streamId);
        written.then(
          () => msg.respond(encodeJson({ ok: true })),
          () => {
            // Not written: no reply, so the gateway waits for the machine to come back and resends.
          },
        );
      },
    });
    this.held.set(server.environmentId, { connection, subscription });
    socket.on("close", () => this.release(connection, subscription));
    socket.on("error", () => socket.terminate());
    this.publishStatus(server, "connected", socketId);
    void this.writePresence(connection);
    void this.options.store.recordEvent(server.tenant, server.serverId, "connected").catch(() => {});
    log.info({ environmentId: server.environmentId, serverName: server.name, socketId }, "machine connected");
  }

  /** A newer socket for the same environment was accepted (here or elsewhere): close the older one. */
  private supersede(connection: MachineConnection): void {
    this.superseded.add(connection);
    connection.close(4002, "superseded by a newer connection");
  }

  private release(connection: MachineConnection, subscription: Subscription): void {
    connection.closed();
    subscription.unsubscribe();
    const server = connection.server;
    if (this.held.get(server.environmentId)?.connection === connection) this.held.delete(server.environmentId);
    const key = environmentPresenceKey(this.options.busPrefix, server.environmentId);
    void this.options.redis.eval(RELEASE_SCRIPT, 1, key, connection.socketId).catch(() => {});
    // A superseded socket's end is no disconnect: the machine is connected through its newer socket,
    // and a `connecting` now would start the offline timers of sessions waiting on it.
    if (this.superseded.has(connection)) {
      this.options.log.info({ environmentId: server.environmentId, socketId: connection.socketId }, "superseded socket closed");
      return;
    }
    this.publishStatus(server, "connecting", connection.socketId);
    void this.options.store.recordEvent(server.tenant, server.serverId, "disconnected").catch(() => {});
    this.options.log.info({ environmentId: server.environmentId, socketId: connection.socketId }, "machine disconnected");
  }

  /**
   * An upgrade of this enrollment was refused (401/403): recorded, so that the environment reads
   * `errored` until the machine's next accepted socket.
   */
  async refused(server: ServerRow, reason: string): Promise<void> {
    await this.options.store.recordEvent(server.tenant, server.serverId, "refused", reason).catch(() => {});
    // A refused attempt while another socket of the machine is held (here or elsewhere) changes nothing.
    const presence = environmentPresenceKey(this.options.busPrefix, server.environmentId);
    const isConnected = await this.options.redis.exists(presence).then(
      (count) => count > 0,
      () => false,
    );
    if (!isConnected) this.announceStatus(server, "errored");
  }

  private publishStatus(server: ServerRow, status: RelayStatusEvent["status"], socketId: string): void {
    const event: RelayStatusEvent = { status, instanceId: this.options.instanceId, socketId, atMs: Date.now() };
    this.options.nc.publish(this.options.subjects.relayStatus(server.tenant, server.environmentId), encodeJson(event));
    this.announceStatus(server, status);
  }

  /** Tells the tenant's clients (every gateway connection of the tenant) that an environment's status changed. */
  private announceStatus(server: ServerRow, status: "connected" | "connecting" | "errored"): void {
    this.events.emit(
      Notification.environmentStatusChanged,
      { environmentId: server.environmentId, status, serverName: server.name, installationId: server.installationId },
      { tenant: server.tenant },
    );
  }

  private writePresence(connection: MachineConnection): Promise<unknown> {
    const presence: EnvironmentPresence = {
      instanceId: this.options.instanceId,
      socketId: connection.socketId,
      serverId: connection.server.serverId,
      connectedAtMs: Date.now(),
    };
    const key = environmentPresenceKey(this.options.busPrefix, connection.environmentId);
    return this.options.redis.set(key, JSON.stringify(presence), "PX", this.options.presenceTtlMs).catch(() => {});
  }

  private async refreshPresence(): Promise<void> {
    const connections = [...this.held.values()].map((machine) => machine.connection);
    await Promise.all(connections.map((connection) => this.writePresence(connection)));
    const serverIdsByTenant = new Map<string, string[]>();
    for (const { server } of connections) {
      serverIdsByTenant.set(server.tenant, [...(serverIdsByTenant.get(server.tenant) ?? []), server.serverId]);
    }
    await Promise.all(
      [...serverIdsByTenant].map(([tenant, serverIds]) => this.options.store.touch(tenant, serverIds).catch(() => {})),
    );
  }

  private async authorizeOpen(request: RelayOpenRequest): Promise<RelayOpenReply> {
    const { store } = this.options;
    const environment = await store.environment(request.tenant, request.environmentId);
    // Another tenant's environment gets the same answer as one that does not exist.
    if (!environment)
      return { ok: false, error: toWireError({ reason: "environmentNotFound", environmentId: request.environmentId }) };
    const recordId = clientRecordId(request.tenant, request.subject);
    if (await store.isRevoked(request.tenant, environment.environmentId, recordId)) {
      return {
        ok: false,
        error: toWireError({
          reason: "invalidArgument",
          message: `access to environment ${environment.environmentId} was revoked for this user; pair again to restore it`,
        }),
      };
    }
    await store.touchClient({
      tenant: request.tenant,
      environmentId: environment.environmentId,
      clientId: recordId,
      subject: request.subject,
    });
    const presence = await this.presenceOf(environment.environmentId);
    return { ok: true, serverName: environment.name, isConnected: presence !== undefined };
  }

  async presenceOf(environmentId: string): Promise<EnvironmentPresence | undefined> {
    const value = await this.options.redis.get(environmentPresenceKey(this.options.busPrefix, environmentId)).catch(() => null);
    return value ? (JSON.parse(value) as EnvironmentPresence) : undefined;
  }

  /** Shutdown: close every machine socket (they reconnect to another instance) and stop listening. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    this.statusSubscription.unsubscribe();
    this.openSubscription.unsubscribe();
    for (const machine of this.held.values()) machine.connection.close(1012, "remote-control instance restarting");
  }
}
