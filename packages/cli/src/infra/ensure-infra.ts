// Makes NATS, Postgres and Redis available for `start`: each is probed; one that answers is used as
// is; one that is absent (nothing listens) on a loopback URL is started locally with its data under
// the state directory; anything else is an error that says what to do. A started server comes back
// with its recipe, so the launcher can run the same server again if it dies.
import { mkdirSync } from "node:fs";
import { type Endpoint, type InfraKind, parseEndpoints, redactUrl } from "./endpoints.js";
import { localNatsRecipe } from "./local-nats.js";
import { localPostgresRecipe } from "./local-postgres.js";
import { localRedisRecipe } from "./local-redis.js";
import { type LocalServer, type LocalServerRecipe, runLocalServer } from "./local-server.js";
import { installHelp, type LocalStartContext, MissingServerBinary } from "./local-start.js";
import { probes } from "./probes.js";

export const infraLabels: Record<InfraKind, string> = { nats: "NATS", postgres: "Postgres", redis: "Redis" };

const recipes: Record<InfraKind, (endpoint: Endpoint, context: LocalStartContext) => Promise<LocalServerRecipe>> = {
  nats: localNatsRecipe,
  postgres: localPostgresRecipe,
  redis: localRedisRecipe,
};

/** A server `start` launched, and how to launch it again. */
export interface StartedServer {
  server: LocalServer;
  recipe: LocalServerRecipe;
}

export class InfrastructureUnavailable extends Error {}

/** How long a local server gets for its clean shutdown before SIGKILL. */
export const LOCAL_SERVER_STOP_TIMEOUT_MS = 20_000;

export type InfraReport = (level: "info" | "warn", message: string, fields?: Record<string, unknown>) => void;

export async function ensureInfrastructure(options: {
  urls: Record<InfraKind, string>;
  mayStartLocal: boolean;
  context: LocalStartContext;
  report: InfraReport;
  /** Told of each server process as soon as it exists, before it answers. */
  onSpawn?: (server: LocalServer) => void;
}): Promise<StartedServer[]> {
  const { urls, context, report } = options;
  mkdirSync(context.logDir, { recursive: true });
  const kinds: InfraKind[] = ["nats", "postgres", "redis"];
  const found = await Promise.all(kinds.map((kind) => probes[kind](urls[kind], 2_000)));
  const problems: string[] = [];
  let isSomethingMissing = false;

  const started = await Promise.allSettled(
    kinds.map(async (kind, index): Promise<StartedServer | undefined> => {
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
        const recipe = await recipes[kind](endpoint, context);
        const server = await runLocalServer(recipe, context.timeoutMs, options.onSpawn);
        report("info", `${label}: started ${server.name} (pid ${server.pid}, log ${server.logFile})`);
        return { server, recipe };
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
async function stopLocalServers(servers: StartedServer[], report: InfraReport): Promise<void> {
  await Promise.all(
    servers.map(async ({ server, recipe }) => {
      await server.stop(recipe.stopSignal, LOCAL_SERVER_STOP_TIMEOUT_MS);
      report("info", `stopped ${server.name}`);
    }),
  );
}
