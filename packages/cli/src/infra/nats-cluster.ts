// A NATS cluster with JetStream on loopback: `size` nats-server processes routed to each other, each
// with its own store, for running Switchyard the way a production cluster runs it (streams with 3
// replicas survive the loss of a node). `switchyard nats-cluster` and the scale-out test use it.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { checkTcp } from "./probes.js";

export interface NatsClusterNode {
  name: string;
  clientPort: number;
  clusterPort: number;
  /** SIGKILL: the node is gone without a word (its peers elect new leaders). */
  kill(): Promise<void>;
  /** Starts the node again with its store; it rejoins the cluster. */
  start(): Promise<void>;
  /** SIGTERM (a clean shutdown), SIGKILL after 5 s. */
  stop(): Promise<void>;
  isRunning(): boolean;
}

export interface NatsCluster {
  /** Every node's client URL, comma-separated (what NATS_URL takes). */
  url: string;
  nodes: NatsClusterNode[];
  /** Resolves once JetStream answers through the cluster (its meta leader is elected). */
  waitForJetStream(timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGTERM), waiting for each to exit. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  binary: string;
  size: number;
  /** Client ports, in node order; cluster (route) ports likewise. */
  clientPorts: number[];
  clusterPorts: number[];
  /** Each node keeps its JetStream store in `<storeRoot>/<node name>`. */
  storeRoot: string;
  clusterName?: string;
  /** Where each node's output goes (default: ignored). */
  logFile?: (node: string) => string;
}

export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsCluster> {
  const clusterName = options.clusterName ?? "switchyard";
  const nodes: NatsClusterNode[] = Array.from({ length: options.size }, (_, index) => {
    const name = `n${index + 1}`;
    const clientPort = options.clientPorts[index] as number;
    const clusterPort = options.clusterPorts[index] as number;
    const storeDir = join(options.storeRoot, name);
    mkdirSync(storeDir, { recursive: true });
    const routes = options.clusterPorts
      .filter((_, other) => other !== index)
      .map((port) => `nats://127.0.0.1:${port}`)
      .join(",");
    let child: ChildProcess | undefined;
    const node: NatsClusterNode = {
      name,
      clientPort,
      clusterPort,
      isRunning: () => child !== undefined && child.exitCode === null && child.signalCode === null,
      async kill() {
        if (!child || !node.isRunning()) return;
        const exited = once(child, "exit");
        child.kill("SIGKILL");
        await exited;
      },
      async stop() {
        if (!child || !node.isRunning()) return;
        const running = child;
        const exited = once(running, "exit");
        running.kill("SIGTERM");
        const stuck = setTimeout(() => running.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(stuck);
      },
      async start() {
        const args = [
          ["-a", "127.0.0.1", "-p", String(clientPort), "-js", "-sd", storeDir, "-n", name],
          ["--cluster_name", clusterName, "--cluster", `nats://127.0.0.1:${clusterPort}`, "--routes", routes],
          options.logFile ? ["-l", options.logFile(name)] : [],
        ].flat();
        child = spawn(options.binary, args, { stdio: "ignore" });
        const deadline = Date.now() + 10_000;
        while (!(await checkTcp("127.0.0.1", clientPort, 1_000)).isOpen) {
          if (!node.isRunning()) throw new Error(`nats-server ${name} exited (code ${child.exitCode}) before listening`);
          if (Date.now() > deadline) throw new Error(`nats-server ${name} did not listen on ${clientPort} within 10 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    };
    return node;
  });
  await Promise.all(nodes.map((node) => node.start()));
  const url = nodes.map((node) => `nats://127.0.0.1:${node.clientPort}`).join(",");
  return {
    url,
    nodes,
    async waitForJetStream(timeoutMs = 30_000) {
      const nc = await connect({ servers: url.split(","), maxReconnectAttempts: -1 });
      try {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          try {
            const jsm = await jetstreamManager(nc, { timeout: 2_000 });
            await jsm.getAccountInfo();
            return;
          } catch (error) {
            if (Date.now() > deadline) throw new Error(`JetStream did not become available in the cluster: ${error}`);
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      } finally {
        await nc.close();
      }
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
