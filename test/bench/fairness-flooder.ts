// The fairness scenario's flooding tenant, in a process of its own (so its CPU is not the measuring
// process's): many connections, each keeping a fixed number of requests in flight as fast as they
// are answered, alternating thread/read and thread/list, far over the tenant's request-rate limit.
// Argument: one JSON object (FlooderSettings). Prints a ready line once every connection is open;
// on SIGTERM prints what it sent and how it was answered, and exits.
import { CodexTestClient } from "../harness/client.js";
import { FLOODER_DONE, FLOODER_READY, type FlooderSettings } from "./fairness-contract.js";

const settings = JSON.parse(process.argv[2] ?? "{}") as FlooderSettings;
const clients = await Promise.all(settings.tokens.map((token) => CodexTestClient.open(settings.url, { token })));
const counts = { served: 0, limited: 0, otherErrors: 0 };
let isStopping = false;
let next = 0;
const slot = async (client: CodexTestClient) => {
  while (!isStopping && client.closeCode === undefined) {
    const index = next++;
    const threadId = settings.threadIds[index % settings.threadIds.length] as string;
    const reply = await (index % 2 === 0
      ? client.request("thread/read", { threadId })
      : client.request("thread/list", { limit: 5 }));
    // The harness client keeps every frame for conformance checks; a flood must not.
    client.received.length = 0;
    client.notifications.length = 0;
    if (reply.result !== undefined) counts.served++;
    else if (reply.error?.code === -32001) counts.limited++;
    else counts.otherErrors++;
  }
};
const startedAt = Date.now();
const running = clients.flatMap((client) => Array.from({ length: settings.inFlightPerConnection }, () => slot(client)));
process.once("SIGTERM", () => {
  isStopping = true;
  const seconds = (Date.now() - startedAt) / 1000;
  void Promise.race([Promise.all(running), new Promise((resolve) => setTimeout(resolve, 2_000))]).then(() => {
    console.log(JSON.stringify({ event: FLOODER_DONE, seconds, ...counts }));
    process.exit(0);
  });
});
console.log(JSON.stringify({ event: FLOODER_READY, connections: clients.length }));
