// `switchyard status`: what is running and how much work is waiting. Reads NATS (server, JetStream,
// keyed-lane streams and their partition consumers, the oldest queued command of each busy
// partition, services-framework endpoints), Postgres (applied and pending migrations) and Redis
// (instance presence keys). Exit code 0 only when NATS, Postgres and Redis all answer and every
// service kind has a live instance.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { type ServiceStats, Svcm } from "@nats-io/services";
import { busSubjects, KEYED_PARTITIONS, methodRegistry, type ServiceName } from "@switchyard/protocol";
import { loadMigrations, presencePattern } from "@switchyard/runtime";
import type { CliEnv } from "../env.js";
import { type InfraKind, redactUrl } from "../infra/endpoints.js";
import { infraLabels } from "../infra/ensure-infra.js";
import { openNats, openPostgres, openRedis, type Probe, probes } from "../infra/probes.js";
import { discoverMigrations } from "../paths.js";
import { renderTable } from "../table.js";
import type { Command } from "./command.js";

const TIMEOUT_MS = 2_000;

interface InfraLine {
  kind: InfraKind;
  url: string;
  probe: Probe;
}

interface ConsumerDepth {
  name: string;
  /** Messages not yet delivered to any instance. */
  pending: number;
  /** Delivered, not yet acknowledged (at most 1 per partition). */
  ackPending: number;
  redelivered: number;
  /** Age of the partition's oldest queued command (in flight or waiting), when it has one. */
  oldestAgeMs?: number;
}

interface LaneDepth {
  service: string;
  stream: string;
  exists: boolean;
  messages: number;
  consumers: ConsumerDepth[];
}

interface BusServiceLine {
  name: string;
  id: string;
  version: string;
  endpoints: number;
  requests: number;
  errors: number;
  averageMs: number;
}

interface MigrationLine {
  schema: string;
  applied: { version: number; name: string; appliedAt: string }[];
  pending: string[];
}

interface InstanceLine {
  service: string;
  instanceId: string;
  pid?: number;
  startedAt?: string;
  details: Record<string, unknown>;
}

export interface StatusReport {
  busPrefix: string;
  infrastructure: InfraLine[];
  nats?: { server: string; lanes: LaneDepth[]; services: BusServiceLine[]; problems: string[] };
  postgres?: { database: string; migrations: MigrationLine[]; problem?: string };
  redis?: { instances: InstanceLine[]; problem?: string };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Services that own keyed methods, so have a keyed-lane stream. */
function keyedServices(): ServiceName[] {
  return [
    ...new Set([...methodRegistry.values()].filter((spec) => spec.scope.kind !== "unkeyed").map((spec) => spec.owner)),
  ].sort();
}

async function natsSection(nc: NatsConnection, prefix: string): Promise<NonNullable<StatusReport["nats"]>> {
  const subjects = busSubjects(prefix);
  const problems: string[] = [];
  // Servers without a configured name use their (unreadable) id as name: show names people chose.
  const name = nc.info?.server_name && nc.info.server_name !== nc.info.server_id ? ` (${nc.info.server_name})` : "";
  const server = `nats-server ${nc.info?.version ?? "?"}${name}`;

  const lanes: LaneDepth[] = [];
  try {
    const jsm = await jetstreamManager(nc, { timeout: TIMEOUT_MS, checkAPI: false });
    const streamNames = new Set<string>();
    for await (const name of jsm.streams.names()) streamNames.add(name);
    for (const service of keyedServices()) {
      const stream = subjects.keyedStream(service);
      if (!streamNames.has(stream)) {
        lanes.push({ service, stream, exists: false, messages: 0, consumers: [] });
        continue;
      }
      const info = await jsm.streams.info(stream);
      const partitionOf = new Map(
        Array.from({ length: KEYED_PARTITIONS }, (_, partition) => [subjects.keyedConsumer(service, partition), partition]),
      );
      const consumers: ConsumerDepth[] = [];
      for await (const consumer of jsm.consumers.list(stream)) {
        const depth: ConsumerDepth = {
          name: consumer.name,
          pending: consumer.num_pending,
          ackPending: consumer.num_ack_pending,
          redelivered: consumer.num_redelivered,
        };
        const filter = consumer.config.filter_subject;
        if (filter && depth.pending + depth.ackPending > 0) {
          // A work queue keeps only what is not acknowledged: the partition's first message is its oldest.
          const oldest = await jsm.direct.getMessage(stream, { seq: 1, next_by_subj: filter }).catch(() => null);
          if (oldest) depth.oldestAgeMs = Math.max(0, Date.now() - oldest.time.getTime());
        }
        consumers.push(depth);
      }
      consumers.sort(
        (a, b) => (partitionOf.get(a.name) ?? 1e6) - (partitionOf.get(b.name) ?? 1e6) || a.name.localeCompare(b.name),
      );
      lanes.push({ service, stream, exists: true, messages: info.state.messages, consumers });
    }
  } catch (error) {
    problems.push(`JetStream: ${message(error)}`);
  }

  const services: BusServiceLine[] = [];
  try {
    const client = new Svcm(nc).client({ strategy: "stall", stall: 300, maxWait: TIMEOUT_MS });
    const ours = (stats: ServiceStats) =>
      stats.name.startsWith("switchyard-") &&
      (stats.endpoints ?? []).every((endpoint) => endpoint.subject.startsWith(`${prefix}.`));
    for await (const stats of await client.stats()) {
      if (!ours(stats)) continue;
      const endpoints = stats.endpoints ?? [];
      const requests = endpoints.reduce((sum, endpoint) => sum + endpoint.num_requests, 0);
      const totalNanos = endpoints.reduce((sum, endpoint) => sum + endpoint.processing_time, 0);
      services.push({
        name: stats.name,
        id: stats.id,
        version: stats.version,
        endpoints: endpoints.length,
        requests,
        errors: endpoints.reduce((sum, endpoint) => sum + endpoint.num_errors, 0),
        averageMs: requests > 0 ? totalNanos / requests / 1e6 : 0,
      });
    }
    services.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  } catch (error) {
    // "no responders": no service instance is up, which the empty table already says.
    if (!/no responders/i.test(message(error))) problems.push(`services framework: ${message(error)}`);
  }
  return { server, lanes, services, problems };
}

async function postgresSection(url: string): Promise<NonNullable<StatusReport["postgres"]>> {
  const database = decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "(default)";
  const client = openPostgres(url, TIMEOUT_MS);
  try {
    await client.connect();
  } catch (error) {
    const problem =
      (error as { code?: string }).code === "3D000"
        ? `database "${database}" does not exist yet (pnpm switchyard migrate creates it)`
        : message(error);
    await client.end().catch(() => {});
    return { database, migrations: [], problem };
  }
  try {
    const migrations: MigrationLine[] = [];
    for (const set of discoverMigrations()) {
      let applied: MigrationLine["applied"] = [];
      try {
        const result = await client.query<{ version: number; name: string; applied_at: Date }>(
          `SELECT version, name, applied_at FROM ${set.schema}.schema_migrations ORDER BY version`,
        );
        applied = result.rows.map((row) => ({ version: row.version, name: row.name, appliedAt: row.applied_at.toISOString() }));
      } catch (error) {
        // No schema or table yet: nothing applied.
        if (!["42P01", "3F000"].includes((error as { code?: string }).code ?? "")) throw error;
      }
      const done = new Set(applied.map((migration) => migration.version));
      const pending = loadMigrations(set.directory)
        .filter((migration) => !done.has(migration.version))
        .map((migration) => `${String(migration.version).padStart(4, "0")}_${migration.name}`);
      migrations.push({ schema: set.schema, applied, pending });
    }
    return { database, migrations };
  } catch (error) {
    return { database, migrations: [], problem: message(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisSection(url: string, prefix: string): Promise<NonNullable<StatusReport["redis"]>> {
  const redis = openRedis(url, TIMEOUT_MS);
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", presencePattern(prefix), "COUNT", 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0" && keys.length < 10_000);
    const values = keys.length > 0 ? await redis.mget(...keys) : [];
    const instances: InstanceLine[] = [];
    keys.forEach((key, index) => {
      let record: Record<string, unknown> = {};
      try {
        record = JSON.parse(values[index] ?? "{}") as Record<string, unknown>;
      } catch {
        // a value we do not understand; show the key only
      }
      const { service, instanceId, pid, startedAt, ...details } = record;
      const keyParts = key.split(":");
      instances.push({
        service: typeof service === "string" ? service : (keyParts.at(-2) ?? "?"),
        instanceId: typeof instanceId === "string" ? instanceId : (keyParts.at(-1) ?? "?"),
        pid: typeof pid === "number" ? pid : undefined,
        startedAt: typeof startedAt === "string" ? startedAt : undefined,
        details,
      });
    });
    instances.sort((a, b) => a.service.localeCompare(b.service) || a.instanceId.localeCompare(b.instanceId));
    return { instances };
  } catch (error) {
    return { instances: [], problem: message(error) };
  } finally {
    redis.disconnect();
  }
}

export async function collectStatus(env: CliEnv): Promise<StatusReport> {
  const prefix = env.SWITCHYARD_BUS_PREFIX;
  const urls: Record<InfraKind, string> = { nats: env.NATS_URL, postgres: env.DATABASE_URL, redis: env.REDIS_URL };
  const kinds: InfraKind[] = ["nats", "postgres", "redis"];
  const infrastructure = await Promise.all(
    kinds.map(async (kind) => ({ kind, url: redactUrl(urls[kind]), probe: await probes[kind](urls[kind], TIMEOUT_MS) })),
  );
  const isUp = (kind: InfraKind) => infrastructure.find((line) => line.kind === kind)?.probe.state === "up";
  const report: StatusReport = { busPrefix: prefix, infrastructure };
  await Promise.all([
    (async () => {
      if (!isUp("nats")) return;
      const nc = await openNats(urls.nats, TIMEOUT_MS).catch(() => undefined);
      if (!nc) return;
      try {
        report.nats = await natsSection(nc, prefix);
      } finally {
        await nc.close().catch(() => {});
      }
    })(),
    (async () => {
      if (isUp("postgres")) report.postgres = await postgresSection(urls.postgres);
    })(),
    (async () => {
      if (isUp("redis")) report.redis = await redisSection(urls.redis, prefix);
    })(),
  ]);
  return report;
}

function formatAge(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : age(new Date(Date.now() - ms).toISOString());
}

function age(startedAt: string | undefined): string {
  if (!startedAt) return "";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000));
  if (Number.isNaN(seconds)) return "";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3_600)}h`;
}

export function renderStatus(report: StatusReport, isVerbose: boolean): string {
  const sections: string[] = [];
  sections.push(
    "Infrastructure",
    renderTable(
      ["", "STATE", "DETAIL", "URL"],
      report.infrastructure.map((line) => [
        infraLabels[line.kind],
        line.probe.state === "up" ? "up" : "DOWN",
        line.probe.state === "up" ? line.probe.summary : line.probe.reason,
        line.url,
      ]),
    ),
  );

  if (report.postgres) {
    sections.push("", `Migrations (database ${report.postgres.database})`);
    if (report.postgres.problem) sections.push(`  ${report.postgres.problem}`);
    else {
      sections.push(
        renderTable(
          ["SCHEMA", "APPLIED", "LATEST", "PENDING"],
          report.postgres.migrations.map((line) => {
            const latest = line.applied.at(-1);
            return [
              line.schema,
              String(line.applied.length),
              latest ? `${String(latest.version).padStart(4, "0")}_${latest.name}` : "-",
              line.pending.length > 0 ? line.pending.join(", ") : "none",
            ];
          }),
        ),
      );
    }
  }

  const counts = instancesByKind(report);
  if (counts) {
    sections.push(
      "",
      "Services",
      renderTable(
        ["KIND", "INSTANCES", "STATE"],
        [...counts].map(([kind, count]) => [kind, String(count), count > 0 ? "up" : "DOWN"]),
      ),
    );
  }

  if (report.redis) {
    sections.push("", `Instances (Redis presence ${report.busPrefix}:instance:*)`);
    if (report.redis.problem) sections.push(`  ${report.redis.problem}`);
    else if (report.redis.instances.length === 0)
      sections.push("  none (no service is running against this Redis and bus prefix)");
    else {
      sections.push(
        renderTable(
          ["SERVICE", "INSTANCE", "PID", "UP", "DETAILS"],
          report.redis.instances.map((instance) => [
            instance.service,
            instance.instanceId,
            instance.pid === undefined ? "" : String(instance.pid),
            age(instance.startedAt),
            Object.entries(instance.details)
              .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
              .join(" "),
          ]),
        ),
      );
    }
  }

  if (report.nats) {
    sections.push("", `Keyed lanes (JetStream, ${report.nats.server})`);
    const rows: string[][] = [];
    for (const lane of report.nats.lanes) {
      if (!lane.exists) {
        rows.push([lane.stream, "-", "-", "-", "-", "not created yet (no instance has started)"]);
        continue;
      }
      const pending = lane.consumers.reduce((sum, consumer) => sum + consumer.pending, 0);
      const ackPending = lane.consumers.reduce((sum, consumer) => sum + consumer.ackPending, 0);
      const busy = lane.consumers.filter((consumer) => consumer.pending + consumer.ackPending > 0);
      const oldestMs = Math.max(-1, ...lane.consumers.map((consumer) => consumer.oldestAgeMs ?? -1));
      rows.push([
        lane.stream,
        String(lane.messages),
        String(pending),
        String(ackPending),
        oldestMs >= 0 ? formatAge(oldestMs) : "-",
        `${lane.consumers.length} consumers, ${busy.length} busy`,
      ]);
      for (const consumer of isVerbose ? lane.consumers : busy) {
        rows.push([
          `  ${consumer.name}`,
          "",
          String(consumer.pending),
          String(consumer.ackPending),
          consumer.oldestAgeMs === undefined ? "" : formatAge(consumer.oldestAgeMs),
          consumer.redelivered > 0 ? `${consumer.redelivered} redelivered` : "",
        ]);
      }
    }
    sections.push(renderTable(["STREAM / CONSUMER", "MESSAGES", "PENDING", "ACK PENDING", "OLDEST", "NOTE"], rows));

    sections.push("", `Bus services (NATS services framework, subjects ${report.busPrefix}.*)`);
    if (report.nats.services.length === 0) sections.push("  none answering");
    else {
      sections.push(
        renderTable(
          ["SERVICE", "ID", "VERSION", "ENDPOINTS", "REQUESTS", "ERRORS", "AVG"],
          report.nats.services.map((service) => [
            service.name,
            service.id,
            service.version,
            String(service.endpoints),
            String(service.requests),
            String(service.errors),
            service.requests > 0 ? `${service.averageMs.toFixed(2)} ms` : "-",
          ]),
        ),
      );
    }
    for (const problem of report.nats.problems) sections.push(`  problem: ${problem}`);
  }
  return sections.join("\n");
}

/** Every service kind the system runs: each needs at least one live instance. */
export const SERVICE_KINDS = ["gateway", "thread", "config", "remote-control"] as const;

/** Live instances per service kind (from Redis presence); undefined when Redis could not be read. */
export function instancesByKind(report: StatusReport): Map<string, number> | undefined {
  if (!report.redis || report.redis.problem) return undefined;
  const counts = new Map<string, number>(SERVICE_KINDS.map((kind) => [kind, 0]));
  for (const instance of report.redis.instances) counts.set(instance.service, (counts.get(instance.service) ?? 0) + 1);
  return counts;
}

/**
 * What the system needs and does not have: infrastructure down, a service kind without an instance
 * (unless only the infrastructure is asked about, as before starting anything).
 */
export function systemProblems(report: StatusReport, options: { infraOnly?: boolean } = {}): string[] {
  const problems = report.infrastructure
    .filter((line) => line.probe.state !== "up")
    .map((line) => `${infraLabels[line.kind]} is down`);
  if (options.infraOnly) return problems;
  const counts = instancesByKind(report);
  if (!counts) problems.push("instances unknown (Redis presence could not be read)");
  else for (const kind of SERVICE_KINDS) if (counts.get(kind) === 0) problems.push(`no ${kind} instance is running`);
  return problems;
}

export const isHealthy = (report: StatusReport) => systemProblems(report).length === 0;

export const statusCommand: Command = {
  name: "status",
  summary: "show infrastructure, migrations, running instances and keyed-lane depths",
  options: {
    verbose: { type: "boolean", short: "v", description: "list every keyed-lane consumer, idle ones too" },
    json: { type: "boolean", description: "print the report as JSON" },
    infra: { type: "boolean", description: "judge only NATS, Postgres and Redis (the exit code ignores services)" },
  },
  details: [
    "Exit code 0 when NATS (with JetStream), Postgres and Redis all answer and every service kind",
    `(${SERVICE_KINDS.join(", ")}) has a live instance; 1 otherwise, with what is missing on stderr.`,
    "With --infra only the infrastructure counts (before the services are started).",
  ].join("\n"),
  async run(options, context) {
    const report = await collectStatus(context.env);
    context.print(options.json ? JSON.stringify(report, null, 2) : renderStatus(report, options.verbose === true));
    const problems = systemProblems(report, { infraOnly: options.infra === true });
    for (const problem of problems) context.printError(`status: ${problem}`);
    return problems.length === 0 ? 0 : 1;
  },
};
