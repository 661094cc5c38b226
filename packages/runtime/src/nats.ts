// One NATS connection per process, reconnecting forever, with status changes logged.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "./logger.js";

export async function connectNats(options: { url: string; name: string; log: Logger }): Promise<NatsConnection> {
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
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "ping") continue;
      options.log.info({ natsStatus: status.type }, "nats connection status changed");
    }
  })();
  options.log.info({ server: nc.getServer() }, "connected to nats");
  return nc;
}

export type { NatsConnection };
