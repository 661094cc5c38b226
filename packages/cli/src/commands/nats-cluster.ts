// `switchyard nats-cluster`: a 3-node NATS cluster with JetStream on loopback (nats-server processes,
// stores under the state directory) for running the system as it runs in production; prints the
// NATS_URL to give `pnpm start` and runs until Ctrl-C.
import { join } from "node:path";
import { findExecutable } from "../infra/local-server.js";
import { startNatsCluster } from "../infra/nats-cluster.js";
import type { Command } from "./command.js";

export const natsClusterCommand: Command = {
  name: "nats-cluster",
  summary: "run a NATS cluster with JetStream on loopback (3 nodes by default) until Ctrl-C",
  options: {
    nodes: { type: "string", description: "how many nats-server nodes (default 3)" },
    port: { type: "string", description: "first client port; node i listens on port+i, routes on port+100+i (default 14222)" },
  },
  details: [
    "Then run the system on it, with every keyed-lane stream kept on 3 nodes:",
    "  NATS_URL=<printed URL> SWITCHYARD_JETSTREAM_REPLICAS=3 pnpm start",
    "Stores live under <state dir>/nats-cluster/<node>, so streams survive a restart of the cluster.",
  ].join("\n"),
  async run(options, context) {
    const size = Number(options.nodes ?? 3);
    const port = Number(options.port ?? 14222);
    if (!Number.isInteger(size) || size < 1 || size > 9) {
      context.printError("--nodes must be an integer from 1 to 9");
      return 2;
    }
    if (!Number.isInteger(port) || port < 1 || port + 100 + size > 65_535) {
      context.printError("--port must leave room for the client and route ports");
      return 2;
    }
    const binary = findExecutable("nats-server", process.env.PATH ?? "");
    if (!binary) {
      context.printError("nats-server was not found on PATH (apt-get install nats-server, or brew install nats-server)");
      return 1;
    }
    const storeRoot = join(context.env.SWITCHYARD_STATE_DIR, "nats-cluster");
    const indexes = Array.from({ length: size }, (_, index) => index);
    const cluster = await startNatsCluster({
      binary,
      size,
      clientPorts: indexes.map((index) => port + index),
      clusterPorts: indexes.map((index) => port + 100 + index),
      storeRoot,
      logFile: (node) => join(storeRoot, `${node}.log`),
    });
    await cluster.waitForJetStream();
    context.print(`NATS cluster of ${size} (JetStream) running; stores and logs under ${storeRoot}`);
    context.print(`NATS_URL=${cluster.url}`);
    context.print(`run the system on it:  NATS_URL=${cluster.url} SWITCHYARD_JETSTREAM_REPLICAS=${Math.min(size, 3)} pnpm start`);
    context.print("Ctrl-C stops the cluster.");
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    });
    context.printError("stopping the cluster");
    await cluster.stop();
    return 0;
  },
};
