// Floor service: the bare responder behind the floor gateway, one process serving both lanes as the
// thread service does. Reads: a core NATS queue subscription running PgThreadStore.read's SELECT.
// Writes: a work-queue stream with one durable pull consumer per partition configured as the keyed
// lane's (explicit ack, max_ack_pending 1, consume() of 8), one INSERT per message, reply, then ack
// (or, for the same-statement variant, thread/name/set's own CTE under a tenant of its own).

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
import pg from "pg";
import {
  FLOOR_READ_SQL,
  FLOOR_SCHEMA_SQL,
  FLOOR_SET_NAME_SQL,
  type FloorPageRequest,
  floorSubjects,
  READY_EVENT,
  REPLY_TO_HEADER,
  readFloorSettings,
  STATEMENT_HEADER,
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

nc.subscribe(subjects.read, {
  queue: subjects.readQueue,
  callback: (error, msg) => {
    if (error) return;
    const { threadId } = JSON.parse(decoder.decode(msg.data)) as { threadId: string };
    pool.query(FLOOR_READ_SQL, [settings.tenant, threadId]).then(
      (result) => msg.respond(encoder.encode(JSON.stringify({ thread: result.rows[0] ?? null }))),
      (queryError) => msg.respond(encoder.encode(JSON.stringify({ error: String(queryError) }))),
    );
  },
});

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
    await pool.query("INSERT INTO bench_floor.name_writes (thread_id, name, command_id) VALUES ($1, $2, $3)", [
      threadId,
      name,
      commandId,
    ]);
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

process.once("SIGTERM", () => {
  void nc
    .drain()
    .then(() => pool.end())
    .finally(() => process.exit(0));
});
console.log(JSON.stringify({ event: READY_EVENT }));
