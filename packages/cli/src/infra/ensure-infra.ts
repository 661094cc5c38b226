// Makes NATS, Postgres and Redis available for `start`: each is probed; one that answers is used as
// is; one that is absent (nothing listens) on a loopback URL is started locally with its data under
// the state directory; anything else is an error that says what to do.
import { mkdirSync } from "node:fs";
import { type Endpoint, type InfraKind, parseEndpoints, redactUrl } from "./endpoints.js";
import { startLocalNats } from "./local-nats.js";
import { startLocalPostgres } from "./local-postgres.js";
import { startLocalRedis } from "./local-redis.js";
import type { LocalServer } from "./local-server.js";
import { installHelp, type LocalStartContext, MissingServerBinary } from "./local-start.js";
import { probes } from "./probes.js";

export const infraLabels: Record<InfraKind, string> = { nats: "NATS", postgres: "Postgres", redis: "Redis" };

const starters: Record<InfraKind, (endpoint: Endpoint, context: LocalStartContext) => Promise<LocalServer>> = {
  nats: startLocalNats,
  postgres: startLocalPostgres,
  redis: startLocalRedis,
};

export class InfrastructureUnavailable extends Error {}

export type InfraReport = (level: "info" | "warn", message: string, fields?: Record<string, unknown>) => void;

export async function ensureInfrastructure(options: {
  urls: Record<InfraKind, string>;
  mayStartLocal: boolean;
  context: LocalStartContext;
  report: InfraReport;
}): Promise<LocalServer[]> {
  const { urls, context, report } = options;
  mkdirSync(context.logDir, { recursive: true });
  const kinds: InfraKind[] = ["nats", "postgres", "redis"];
  const found = await Promise.all(kinds.map((kind) => probes[kind](urls[kind], 2_000)));
  const problems: string[] = [];
  let isSomethingMissing = false;

  const started = await Promise.allSettled(
    kinds.map(async (kind, index): Promise<LocalServer | undefined> => {
      const probe = found[index]!;
      const label = infraLabels[kind];
      const url = redactUrl(urls[kind]);
      if (probe.state === "up") {
        report("info", `${label}: using ${probe.summary} at ${url}`);
        return undefined;
      }
      if (probe.state === "failing") {
        problems.push(`${label} at ${url}: ${probe.reason}`);
        return undefined;
      }
      const endpoints = parseEndpoints(kind, urls[kind]);
      const endpoint = endpoints[0];
      if (!options.mayStartLocal || endpoints.length !== 1 || !endpoint?.isLoopback) {
        const why = !options.mayStartLocal
          ? "SWITCHYARD_START_INFRA is off"
          : "it is not a single loopback address, so no local server is started for it";
        problems.push(`${label} at ${url}: ${probe.reason}; ${why}`);
        isSomethingMissing = true;
        return undefined;
      }
      report("info", `${label}: nothing at ${url}; starting a local server (data in ${context.stateDir})`);
      try {
        const server = await starters[kind](endpoint, context);
        report("info", `${label}: started ${server.name} (pid ${server.pid}, log ${server.logFile})`);
        return server;
      } catch (error) {
        if (error instanceof MissingServerBinary) isSomethingMissing = true;
        problems.push(
          `${label} at ${url}: could not start a local server: ${error instanceof Error ? error.message : String(error)}`,
        );
        return undefined;
      }
    }),
  );
  const servers = started.flatMap((result) => (result.status === "fulfilled" && result.value ? [result.value] : []));
  for (const result of started) {
    if (result.status === "rejected") problems.push(String(result.reason));
  }
  if (problems.length > 0) {
    await stopLocalServers(servers, report);
    const help = isSomethingMissing ? `\n\n${installHelp}` : "";
    throw new InfrastructureUnavailable(`infrastructure unavailable:\n  ${problems.join("\n  ")}${help}`);
  }
  return servers;
}

/** Stops servers `start` ran, all at once (they do not depend on each other). */
export async function stopLocalServers(servers: LocalServer[], report: InfraReport): Promise<void> {
  await Promise.all(
    servers.map(async (server) => {
      // Postgres: SIGINT is its "fast" shutdown (SIGTERM waits for clients to leave).
      await server.stop(server.name.startsWith("postgres") ? "SIGINT" : "SIGTERM", 20_000);
      report("info", `stopped ${server.name}`);
    }),
  );
}
