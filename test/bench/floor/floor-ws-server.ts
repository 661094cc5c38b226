// The end of a WebSocket floor process's start-up, shared by the floors that serve clients: wait
// until listening, announce the URL on stdout (the bench reads it), and stop on SIGTERM.
import type { NatsConnection } from "@nats-io/transport-node";
import type { WebSocketServer } from "ws";
import { READY_EVENT } from "./floor-contract.js";

export async function announceAndServe(server: WebSocketServer, nc: NatsConnection): Promise<void> {
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.once("SIGTERM", () => {
    for (const client of server.clients) client.terminate();
    server.close();
    void nc.drain().finally(() => process.exit(0));
  });
  console.log(JSON.stringify({ event: READY_EVENT, url: `ws://127.0.0.1:${port}` }));
}
