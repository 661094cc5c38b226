// One NATS connection per process, reconnecting forever, with status changes logged and tracked:
// `BusConnection.isConnected` is what readiness reports, and `onDown` lets a lane client answer
// requests that can no longer complete instead of leaving them to their deadline.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "./logger.js";

export interface BusConnection {
  nc: NatsConnection;
  /** False from a disconnect until the client has reconnected (and after close). */
  isConnected(): boolean;
  /** Called on every transition to disconnected; returns a function that removes the listener. */
  onDown(listener: () => void): () => void;
  /** Called on every transition back to connected; returns a function that removes the listener. */
  onUp(listener: () => void): () => void;
}

export async function connectNats(options: { url: string; name: string; log: Logger }): Promise<BusConnection> {
  const nc = await connect({
    servers: options.url.split(",").map((server) => server.trim()),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    // Async traces capture a stack for every request and publish (~16% of gateway CPU in the
    // benchmark's profiles); errors keep their own stacks without them.
    noAsyncTraces: true,
  });
  let isConnected = true;
  const downListeners = new Set<() => void>();
  const upListeners = new Set<() => void>();
  const setConnected = (connected: boolean) => {
    if (connected === isConnected) return;
    isConnected = connected;
    for (const listener of connected ? upListeners : downListeners) {
      try {
        listener();
      } catch (error) {
        options.log.error({ err: String(error) }, "bus status listener failed");
      }
    }
  };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "ping") continue;
      if (status.type === "disconnect") setConnected(false);
      else if (status.type === "reconnect") setConnected(true);
      options.log.info({ natsStatus: status.type }, "nats connection status changed");
    }
  })();
  void nc.closed().then(() => setConnected(false));
  options.log.info({ server: nc.getServer() }, "connected to nats");
  return {
    nc,
    isConnected: () => isConnected && !nc.isClosed(),
    onDown(listener) {
      downListeners.add(listener);
      return () => downListeners.delete(listener);
    },
    onUp(listener) {
      upListeners.add(listener);
      return () => upListeners.delete(listener);
    },
  };
}

/** Bytes a bus request may spend on headers (ids, deadline, trace context, caller): kept out of the body's share. */
export const BUS_HEADER_ROOM_BYTES = 16 * 1024;

/** The largest request body the connected server accepts, leaving room for headers. */
export function maxRequestBodyBytes(nc: NatsConnection): number {
  return Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - BUS_HEADER_ROOM_BYTES);
}

export type { NatsConnection };
