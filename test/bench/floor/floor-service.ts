// Floor service: the bare responder behind the floor gateway, one process serving both lanes as the
// thread service does. Reads: a core NATS queue subscription running PgThreadStore.read's SELECT.
// Writes: a work-queue stream with one durable pull consumer per partition configured as the keyed
// lane's (explicit ack, max_ack_pending 1, consume() of 8), one INSERT per message, reply, then ack
// (or, for the same-statement variant, thread/name/set's own CTE under a tenant of its own).
// Config reads (with FloorSettings.redisUrl): a second work-queue stream, one durable pull consumer
// per partition (max_ack_pending 1, consume() of 8) that acks each read as it starts it, so reads of
// one partition overlap as the config service's shared reads do; each read runs the config service's
// steady-state work: the generation SELECT (as switchyard_service, tenant set on the session, like
// TenantDb), then a Redis GET of the cache entry for (generation, user, cwd), answered as stored.
// The entries are seeded by the bench (FloorConfigSeed: each user's config/read answer) and deleted
// at exit; a miss is answered with an error, which fails the run.

import { randomUUID } from "node:crypto";
import {
  AckPolicy,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import pg from "pg";
import {
  FLOOR_CONFIG_GENERATION_SQL,
  FLOOR_READ_SQL,
  FLOOR_SCHEMA_SQL,
  FLOOR_SET_NAME_SQL,
  FLOOR_START_SQL,
  type FloorConfigSeed,
  type FloorPageRequest,
  floorConfigCacheKey,
  floorConfigSubjects,
  floorSubjects,
  READY_EVENT,
  REPLY_TO_HEADER,
  readFloorSettings,
  STATEMENT_HEADER,
  SUBJECT_HEADER,
} from "./floor-contract.js";

const settings = readFloorSettings(process.argv);
const subjects = floorSubjects(settings.busPrefix);
const pool = new pg.Pool({ connectionString: settings.databaseUrl, application_name: "bench-floor", max: settings.poolSize });
await pool.query(FLOOR_SCHEMA_SQL);
// The scale floor runs the service's page statements as the service does: as switchyard_service,
// under row-level security, with the tenant set on the session (TenantDb sets it once per
// connection and tenant). Both are startup options, so no statement is added to a request.
const pagePool = settings.pageStatements
  ? new pg.Pool({
      connectionString: settings.databaseUrl,
      application_name: "bench-floor-pages",
      max: settings.poolSize,
      options: `-c role=switchyard_service -c switchyard.tenant=${settings.tenant}`,
    })
  : pool;
const nc = await connect({ servers: settings.natsUrl, name: "bench-floor-service", noAsyncTraces: !settings.natsAsyncTraces });
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const nanos = (ms: number) => ms * 1_000_000;

/** A queue subscription answering each request with `{thread: <the statement's first row>}`. */
function serveThreadRow(subject: string, statement: (params: Record<string, string | undefined>) => pg.QueryConfig) {
  nc.subscribe(subject, {
    queue: subjects.readQueue,
    callback: (error, msg) => {
      if (error) return;
      pool.query(statement(JSON.parse(decoder.decode(msg.data)))).then(
        (result) => msg.respond(encoder.encode(JSON.stringify({ thread: result.rows[0] ?? null }))),
        (queryError) => msg.respond(encoder.encode(JSON.stringify({ error: String(queryError) }))),
      );
    },
  });
}

serveThreadRow(subjects.read, ({ threadId }) => ({
  name: "floor-read",
  text: FLOOR_READ_SQL,
  values: [settings.tenant, threadId],
}));
// thread/start's floor: one INSERT of a thread row, answered with it.
serveThreadRow(subjects.start, ({ cwd }) => ({
  name: "floor-start",
  text: FLOOR_START_SQL,
  values: [settings.tenant, randomUUID(), cwd ?? "/"],
}));

// Scale floor: the named statements of one page request, run one after another on one pooled
// connection (as the service runs them), answered with the last one's rows.
nc.subscribe(subjects.page, {
  queue: subjects.readQueue,
  callback: (error, msg) => {
    if (error) return;
    const request = JSON.parse(decoder.decode(msg.data)) as FloorPageRequest;
    const statements = settings.pageStatements?.[request.name] ?? [];
    (async () => {
      let rows: unknown[] = [];
      for (const [index, sql] of statements.entries()) rows = (await pagePool.query(sql, request.params[index] ?? [])).rows;
      return rows;
    })().then(
      (rows) => msg.respond(encoder.encode(JSON.stringify({ data: rows }))),
      (queryError) => msg.respond(encoder.encode(JSON.stringify({ error: String(queryError) }))),
    );
  },
});

const jsm = await jetstreamManager(nc);
await jsm.streams.add({
  name: subjects.keyedStream,
  subjects: [subjects.keyedStreamSubjects],
  retention: RetentionPolicy.Workqueue,
  storage: StorageType.File,
  duplicate_window: nanos(120_000),
});
const js = jetstream(nc);
const consuming: Promise<void>[] = [];
const emptyResult = encoder.encode("{}");

async function applyWrite(msg: JsMsg): Promise<void> {
  const { threadId, name } = JSON.parse(decoder.decode(msg.data)) as { threadId: string; name: string };
  const commandId = msg.headers?.get("Nats-Msg-Id") ?? "";
  if (msg.headers?.get(STATEMENT_HEADER) === "cte") {
    await pool.query(FLOOR_SET_NAME_SQL, [settings.cteTenant, threadId, commandId, name]);
  } else {
    await pool.query({
      name: "floor-name-write",
      text: "INSERT INTO bench_floor.name_writes (thread_id, name, command_id) VALUES ($1, $2, $3)",
      values: [threadId, name, commandId],
    });
  }
  const replyTo = msg.headers?.get(REPLY_TO_HEADER);
  if (replyTo) nc.publish(replyTo, emptyResult);
  msg.ack();
}

for (let partition = 0; partition < settings.partitions; partition++) {
  await jsm.consumers.add(subjects.keyedStream, {
    durable_name: subjects.keyedConsumer(partition),
    filter_subject: subjects.keyedPartition(partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 1,
    ack_wait: nanos(5_000),
    max_deliver: 5,
  });
  const consumer = await js.consumers.get(subjects.keyedStream, subjects.keyedConsumer(partition));
  const messages = await consumer.consume({ max_messages: 8 });
  consuming.push(
    (async () => {
      for await (const msg of messages) {
        await applyWrite(msg).catch((error) => {
          console.error(JSON.stringify({ event: "floor.write.failed", err: String(error) }));
          msg.nak(200);
        });
      }
    })(),
  );
}

// Config floor: see the header. Started last so the keyed floor above is set up exactly as before.
const configSubjects = floorConfigSubjects(settings.busPrefix);
const configPool = new pg.Pool({
  connectionString: settings.databaseUrl,
  application_name: "bench-floor-config",
  max: settings.configPoolSize ?? 8,
  options: `-c role=switchyard_service -c switchyard.tenant=${settings.tenant}`,
});
const redis = settings.redisUrl
  ? new Redis(settings.redisUrl, { connectionName: "bench-floor-config", maxRetriesPerRequest: 1, enableOfflineQueue: false })
  : undefined;
const seededKeys = new Set<string>();

const generationOf = async (tenant: string) =>
  (
    await configPool.query<{ generation: string }>({
      name: "floor-generation",
      text: FLOOR_CONFIG_GENERATION_SQL,
      values: [tenant],
    })
  ).rows[0]?.generation ?? "0";

async function readConfig(msg: JsMsg): Promise<void> {
  const replyTo = msg.headers?.get(REPLY_TO_HEADER) ?? "";
  const subject = msg.headers?.get(SUBJECT_HEADER) ?? "anonymous";
  let answer: string;
  try {
    const { cwd } = JSON.parse(decoder.decode(msg.data)) as { cwd?: string | null };
    const generation = await generationOf(settings.tenant);
    const cached = await (redis as Redis).get(
      floorConfigCacheKey(settings.busPrefix, settings.tenant, generation, subject, cwd ?? null),
    );
    answer = cached ?? JSON.stringify({ error: `config floor: no cache entry for ${subject} at generation ${generation}` });
  } catch (error) {
    answer = JSON.stringify({ error: String(error) });
  }
  if (replyTo) nc.publish(replyTo, encoder.encode(answer));
}

if (redis) {
  await jsm.streams.add({
    name: configSubjects.stream,
    subjects: [configSubjects.streamSubjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(120_000),
  });
  for (let partition = 0; partition < settings.partitions; partition++) {
    await jsm.consumers.add(configSubjects.stream, {
      durable_name: configSubjects.consumer(partition),
      filter_subject: configSubjects.partition(partition),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 1,
      ack_wait: nanos(5_000),
      max_deliver: 5,
    });
    const consumer = await js.consumers.get(configSubjects.stream, configSubjects.consumer(partition));
    const messages = await consumer.consume({ max_messages: 8 });
    consuming.push(
      (async () => {
        for await (const msg of messages) {
          // Acked as it starts: the server delivers the partition's next read while this one runs.
          msg.ack();
          void readConfig(msg);
        }
      })(),
    );
  }
  // Seeding (not on the measured path): store a user's answer under the key a read computes.
  nc.subscribe(configSubjects.seed, {
    callback: (error, msg) => {
      if (error) return;
      const seed = JSON.parse(decoder.decode(msg.data)) as FloorConfigSeed;
      (async () => {
        const key = floorConfigCacheKey(
          settings.busPrefix,
          settings.tenant,
          await generationOf(settings.tenant),
          seed.subject,
          seed.cwd,
        );
        // A day's expiry only as a backstop: the entries are deleted at exit.
        await (redis as Redis).set(key, seed.result, "PX", 86_400_000);
        seededKeys.add(key);
      })().then(
        () => msg.respond(encoder.encode("{}")),
        (seedError) => msg.respond(encoder.encode(JSON.stringify({ error: String(seedError) }))),
      );
    },
  });
}

process.once("SIGTERM", () => {
  void (async () => {
    if (redis && seededKeys.size > 0) await redis.del(...seededKeys).catch(() => {});
    redis?.disconnect();
    await nc.drain();
    await Promise.all([pool.end(), configPool.end()]);
  })().finally(() => process.exit(0));
});
console.log(JSON.stringify({ event: READY_EVENT }));
