// Thread service: threads, their items and names in Postgres, served on both bus lanes.
import { fileURLToPath } from "node:url";
import {
  Method,
  type RequestCancelEvent,
  type ResolvePermissionProfileParams,
  type ResolveThreadConfigParams,
} from "@switchyard/protocol";
import {
  type BusRequest,
  bootService,
  decodeJson,
  defaultKeyedLaneSettings,
  EventPublisher,
  egressPolicy,
  encodeJson,
  LaneClient,
  observeGauge,
  type Pool,
  ServiceClient,
  startBusService,
  startHealthServer,
} from "@switchyard/runtime";
import { loadThreadEnv } from "./env.js";
import { appHandlers } from "./handlers/app-handlers.js";
import { attachmentHandlers } from "./handlers/attachment-handlers.js";
import { elicitationHandlers } from "./handlers/elicitation-handlers.js";
import { feedbackHandlers } from "./handlers/feedback-handlers.js";
import { guardianHandlers } from "./handlers/guardian-handlers.js";
import { lifecycleHandlers } from "./handlers/lifecycle-handlers.js";
import { memoryHandlers } from "./handlers/memory-handlers.js";
import { projectHandlers } from "./handlers/project-handlers.js";
import { queueHandlers } from "./handlers/queue-handlers.js";
import { RunningSamples, sampleHandlers } from "./handlers/sample-handlers.js";
import { searchHandlers } from "./handlers/search-handlers.js";
import { sectionHandlers } from "./handlers/section-handlers.js";
import { threadHandlers } from "./handlers/thread-handlers.js";
import { timelineHandlers } from "./handlers/timeline-handlers.js";
import { turnHandlers } from "./handlers/turn-handlers.js";
import { startIdleSweeper } from "./idle-sweeper.js";
import { providerEgress } from "./provider/egress.js";
import { RequestCancellations } from "./request-cancellations.js";
import { AttachmentStore } from "./store/attachment-store.js";
import { ElicitationStore } from "./store/elicitation-store.js";
import { LifecycleStore } from "./store/lifecycle-store.js";
import { ProjectStore } from "./store/project-store.js";
import { PgSearchStore } from "./store/search-store.js";
import { SectionStore } from "./store/section-store.js";
import { ThreadChanges } from "./store/thread-changes.js";
import { PgThreadStore } from "./store/thread-store.js";
import { startNextTurnSweeper } from "./turns/next-turn-sweeper.js";
import { TurnBus } from "./turns/turn-bus.js";
import { type ProviderSource, TurnRunner } from "./turns/turn-runner.js";
import { TurnStore } from "./turns/turn-store.js";
import { startTurnSweeper } from "./turns/turn-sweeper.js";

export const THREAD_SERVICE_VERSION = "0.1.0";
/** How long a turn waits for the config service to resolve its provider. */
const PROVIDER_RESOLUTION_TIMEOUT_MS = 10_000;
export const threadMigrationsDirectory = fileURLToPath(new URL("../migrations", import.meta.url));

async function main(): Promise<void> {
  const env = loadThreadEnv();
  // Read first: an entry it cannot read stops the service before it connects to anything.
  const egress = egressPolicy(env.SWITCHYARD_EGRESS_DENY, env.SWITCHYARD_EGRESS_ALLOW);
  // The maintenance pool (login role) is kept for the idle sweeper, which spans tenants.
  const { instanceId, log, lifecycle, maintenancePool, redis, bus, nc, subjects, db, readiness, announcePresence } =
    await bootService({
      service: "thread",
      env,
      migrations: { schema: "thread", directory: threadMigrationsDirectory },
      postgres: { poolSize: env.THREAD_PG_POOL_SIZE, role: env.THREAD_PG_ROLE, keepMaintenancePool: true },
    });
  // Every committed change of a thread is announced, so gateways' cached reads of it are dropped.
  const changes = ThreadChanges.onBus(nc, subjects);
  const store = new PgThreadStore(db, changes);
  const lifecycleStore = new LifecycleStore(db, changes);
  const projectStore = new ProjectStore(db);
  const defaults = {
    model: env.SWITCHYARD_DEFAULT_MODEL,
    modelProvider: env.SWITCHYARD_DEFAULT_MODEL_PROVIDER,
    cwd: env.THREAD_DEFAULT_CWD,
  };
  // Cancels of searches and samples cross instances on the requestCancel control subject (see request-cancellations.ts).
  const cancellations = new RequestCancellations({
    publish: (event) => nc.publish(subjects.requestCancel, encodeJson(event)),
    subscribe: (onCancel) => {
      const subscription = nc.subscribe(subjects.requestCancel, {
        callback: (error, msg) => {
          if (!error) onCancel(decodeJson(msg.data) as RequestCancelEvent);
        },
      });
      return () => subscription.unsubscribe();
    },
  });
  lifecycle.onShutdown("request cancellations", () => cancellations.stop());
  // New threads' settings come from the config service (internal/config/resolveThread).
  const serviceLanes = new LaneClient(bus, subjects, instanceId, log, { hedgeAfterMs: env.SWITCHYARD_HEDGE_AFTER_MS });
  lifecycle.onShutdown("service lane client", () => serviceLanes.stop());
  const configService = new ServiceClient(serviceLanes);
  const threadConfig = {
    resolve: (params: ResolveThreadConfigParams, origin: BusRequest) =>
      configService.call(Method.resolveThreadConfig, params, origin),
    fork: async (threadId: string, sourceThreadId: string, origin: BusRequest) =>
      void (await configService.call(Method.forkThreadConfig, { threadId, sourceThreadId }, origin)),
    serviceTiers: async (model: string, modelProvider: string, origin: BusRequest) =>
      (await configService.call(Method.modelServiceTiers, { model, modelProvider }, origin)).serviceTiers,
    permissionProfile: (params: ResolvePermissionProfileParams, origin: BusRequest) =>
      configService.call(Method.resolvePermissionProfile, params, origin),
  };
  // Turns: admitted on the keyed lane, run here outside it under a lease (turns/turn-runner.ts).
  const events = new EventPublisher(nc, subjects);
  const turnStore = new TurnStore(db, changes);
  const turnBus = new TurnBus(nc, subjects);
  const elicitationStore = new ElicitationStore(db);
  const modelEgress = providerEgress(egress);
  // Turns' endings (failed, with their notifications), and cut-short samples' answers, must be
  // written within the shutdown timeout.
  const turnShutdownGraceMs = Math.max(
    0,
    Math.min(env.THREAD_TURN_SHUTDOWN_GRACE_MS, env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS - 3_000),
  );
  // A turn's (or a sample's) model provider: the runner calls on no client's request, so the config
  // service sees the thread's tenant and a deadline of its own.
  const providerSource: ProviderSource = (thread, model) =>
    configService.call(
      Method.resolveModelProvider,
      { threadId: thread.threadId, providerId: thread.modelProvider, model },
      {
        // As the user who started the turn (a thread without a config snapshot resolves their config).
        caller: { tenant: thread.tenant, subject: thread.subject, roles: [] },
        deadlineMs: Date.now() + PROVIDER_RESOLUTION_TIMEOUT_MS,
        connection: `thread-service/${instanceId}`,
        clientVersion: "",
      },
    );
  const turnRunner = new TurnRunner(
    turnStore,
    events,
    turnBus,
    providerSource,
    {
      instanceId,
      leaseMs: env.THREAD_TURN_LEASE_MS,
      toolCallTimeoutMs: env.THREAD_TOOL_CALL_TIMEOUT_MS,
      // Out-of-band elicitations pause a thread's waits for its clients.
      pauseClock: (tenant, threadId) => elicitationStore.reading(tenant, threadId),
      shutdownGraceMs: turnShutdownGraceMs,
      defaults,
      providerEgress: modelEgress,
    },
    log.child({ component: "turns" }),
  );
  const attachmentStore = new AttachmentStore(db);
  const runningSamples = new RunningSamples();
  const lanes = await startBusService({
    nc,
    subjects,
    service: "thread",
    version: THREAD_SERVICE_VERSION,
    handlers: {
      ...threadHandlers(store, defaults, threadConfig, projectStore),
      ...lifecycleHandlers(lifecycleStore, store, defaults, threadConfig, projectStore, turnRunner, attachmentStore),
      ...searchHandlers(new PgSearchStore(db), cancellations),
      ...guardianHandlers({ threads: store, lifecycle: lifecycleStore, turns: turnStore }),
      ...timelineHandlers({ threads: store, lifecycle: lifecycleStore }),
      ...feedbackHandlers({
        threads: store,
        lifecycle: lifecycleStore,
        turns: turnStore,
        log: log.child({ component: "feedback" }),
      }),
      ...sampleHandlers({
        threads: store,
        turns: turnStore,
        providers: providerSource,
        egress: modelEgress,
        cancellations,
        defaults,
        running: runningSamples,
      }),
      ...queueHandlers({ lifecycle: lifecycleStore, turns: turnStore, runner: turnRunner }),
      ...sectionHandlers(lifecycleStore, new SectionStore(db)),
      ...projectHandlers(lifecycleStore, projectStore),
      ...attachmentHandlers(lifecycleStore, attachmentStore),
      ...elicitationHandlers(lifecycleStore, elicitationStore),
      ...memoryHandlers(lifecycleStore, db),
      ...appHandlers(db),
      ...turnHandlers({
        lifecycle: lifecycleStore,
        turns: turnStore,
        runner: turnRunner,
        bus: turnBus,
        events,
        defaults,
        settings: {
          instanceId,
          leaseMs: env.THREAD_TURN_LEASE_MS,
          controlTimeoutMs: env.THREAD_TURN_CONTROL_TIMEOUT_MS,
        },
      }),
    },
    // A closed connection's subscriptions go with it (one instance handles each event).
    onConnectionClosed: (event) => lifecycleStore.forgetConnection(event.tenant, event.connection).then(() => undefined),
    keyedSettings: {
      ...defaultKeyedLaneSettings,
      ackWaitMs: env.SWITCHYARD_KEYED_ACK_WAIT_MS,
      maxDeliver: env.SWITCHYARD_KEYED_MAX_DELIVER,
      replicas: env.SWITCHYARD_JETSTREAM_REPLICAS,
    },
    log,
  });
  lifecycle.onShutdown("bus", () => lanes.stop());
  // Registered after the lanes, so it runs before they stop (shutdown runs in reverse): running turns
  // finish (or are ended as failed) while their notifications can still be published.
  lifecycle.onShutdown("running turns and samples", async () => {
    // Side by side: each has the same grace, and together they must fit the shutdown timeout.
    await Promise.all([turnRunner.stop(), runningSamples.stop(turnShutdownGraceMs)]);
  });
  lifecycle.onShutdown(
    "turns gauge",
    observeGauge("turnsRunning", (observe) => observe(turnRunner.runningCount)),
  );
  const stopTurnSweeper = startTurnSweeper({
    pool: maintenancePool as Pool,
    turns: turnStore,
    events,
    leaseMs: env.THREAD_TURN_LEASE_MS,
    log: log.child({ component: "turn-sweeper" }),
  });
  lifecycle.onShutdown("turn sweeper", stopTurnSweeper);
  const stopNextTurnSweeper = startNextTurnSweeper({
    pool: maintenancePool as Pool,
    turns: turnRunner,
    graceMs: env.THREAD_NEXT_TURN_GRACE_MS,
    log: log.child({ component: "next-turn-sweeper" }),
  });
  lifecycle.onShutdown("next-turn sweeper", stopNextTurnSweeper);
  const stopSweeper = startIdleSweeper({
    pool: maintenancePool as Pool,
    redis,
    busPrefix: env.SWITCHYARD_BUS_PREFIX,
    events,
    changes,
    idleMs: env.THREAD_IDLE_UNLOAD_MS,
    log,
  });
  lifecycle.onShutdown("idle sweeper", stopSweeper);

  const health = await startHealthServer({
    host: env.THREAD_HEALTH_HOST,
    port: env.THREAD_HEALTH_PORT,
    readiness: () => readiness(lanes),
  });
  lifecycle.onShutdown("health", () => new Promise<void>((resolve) => health.close(() => resolve())));
  const healthAddress = health.address();
  const healthPort = typeof healthAddress === "object" && healthAddress ? healthAddress.port : 0;

  announcePresence(() => ({ healthPort }));

  log.info({ healthPort, instanceId, egress: egress.description }, "thread service ready");
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
