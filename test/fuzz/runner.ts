// Runs one fuzz session against a fresh stack and returns its report. Phases: set up (threads, the
// well-behaved connection), a baseline window with no flood, the flood (workers in parallel: light
// lanes mixing most classes, a heavy lane for oversized and very deep frames, a pipelined-flood
// lane, throwaway connections for invalid UTF-8 and over-cap frames, raw upgrades with malformed
// Authorization headers, half-open sockets and a non-reading websocket held throughout), a drain
// (every request answered or past its deadline), a short after window, then teardown — which runs
// however the run ends.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep, setImmediate as yieldToLoop } from "node:timers/promises";
import { partitionOf, scopeKey } from "@switchyard/protocol";
import type { CodexTestClient } from "../harness/client.js";
import { Canary } from "./canary.js";
import { FuzzConnection, type FuzzHost, openClient } from "./connection.js";
import { after, type FuzzFrame } from "./frames.js";
import {
  authAttempt,
  BigStrings,
  badId,
  badMethod,
  binaryFrame,
  clientNotification,
  deepNesting,
  type FuzzThreads,
  floodRequest,
  type GeneratorContext,
  IdAllocator,
  invalidUtf8,
  MEDIUM_PARAM_SIZE,
  nulString,
  OVER_REQUEST_LIMIT_SIZES,
  overCap,
  oversized,
  randomBytesAsText,
  randomText,
  shallowNesting,
  wrongType,
} from "./generators.js";
import { FuzzLedger } from "./ledger.js";
import { MethodCatalog, NotificationCatalog, WrongTypeCursor } from "./method-catalog.js";
import { Prng } from "./prng.js";
import { classRows, coverageOf, type FuzzReport, ruleResults } from "./report.js";
import { answerPlan, FUZZ_DYNAMIC_TOOL } from "./server-requests.js";
import { HalfOpenSockets, NonReadingWebSocket, rawUpgrade } from "./sockets.js";
import { FUZZ_REQUEST_TIMEOUT_MS, FUZZ_TENANT, FUZZ_TOOL_CALL_TIMEOUT_MS, FuzzTarget, modelHistory } from "./target.js";

/**
 * The well-behaved connection's rename p99 during the flood. The defect this guards against held a
 * partition ~6 s per bad command; 2 s leaves room for a loaded 2-core CI machine.
 */
export const CANARY_P99_LIMIT_MS = 2_000;

export interface FuzzOptions {
  seed: number;
  /** Frames to send in all; the time cap may end the flood first. */
  frames: number;
  /** The flood phase ends after this long whatever was sent. */
  timeCapMs: number;
  baselineMs: number;
  afterMs: number;
  lightWorkers: number;
  /** Requests a light lane keeps unanswered at most (well under the gateway's 256 in flight). */
  lightWindow: number;
  /** Share of `frames` sent as pipelined floods. */
  floodShare: number;
  /**
   * Heavy-lane frames: 1.5 MiB and 10 MB requests and 256 KiB params (each goes round the places a
   * big string can take, so 11 over the limit and 6 medium cover every place), 10k/100k-deep frames.
   */
  heavy: { overLimit: number; tenMegabytes: number; medium: number; veryDeep: number };
  invalidUtf8: number;
  overCap: number;
  authAttempts: number;
  halfOpenSockets: number;
  nonReadingRequests: number;
  /** Lanes answering `item/tool/call` badly (while the light lanes run), and the most tool calls they answer. */
  toolLanes: number;
  toolRounds: number;
  /** Tool calls each tool lane answers at least (then it stops with the light lanes). */
  toolMinRoundsPerLane: number;
  maxRestarts: number;
  log: (line: string) => void;
}

const quietLog = () => {};

/** `pnpm test fuzz`: bounded to ~10-15k frames and about 35 s of flood (32 s, then the lanes finish). */
export function suiteOptions(overrides: Partial<FuzzOptions> = {}): FuzzOptions {
  return {
    seed: 20_240_917,
    frames: 12_000,
    timeCapMs: 32_000,
    baselineMs: 3_000,
    afterMs: 1_500,
    lightWorkers: 4,
    lightWindow: 32,
    floodShare: 0.15,
    heavy: { overLimit: 11, tenMegabytes: 11, medium: 6, veryDeep: 10 },
    invalidUtf8: 24,
    overCap: 1,
    authAttempts: 150,
    halfOpenSockets: 48,
    nonReadingRequests: 2_000,
    toolLanes: 4,
    toolRounds: 2_000,
    toolMinRoundsPerLane: 10,
    maxRestarts: 4,
    log: quietLog,
    ...overrides,
  };
}

/** `pnpm fuzz`: the same classes for longer (≥ 100,000 frames by default). */
export function longOptions(overrides: Partial<FuzzOptions> = {}): FuzzOptions {
  return suiteOptions({
    frames: 100_000,
    timeCapMs: 15 * 60_000,
    baselineMs: 10_000,
    afterMs: 5_000,
    heavy: { overLimit: 60, tenMegabytes: 12, medium: 60, veryDeep: 60 },
    invalidUtf8: 300,
    overCap: 2,
    authAttempts: 2_000,
    halfOpenSockets: 200,
    nonReadingRequests: 5_000,
    toolMinRoundsPerLane: 40,
    maxRestarts: 10,
    ...overrides,
  });
}

type Generator = (ctx: GeneratorContext) => FuzzFrame;

const LIGHT_MIX: readonly (readonly [Generator, number])[] = [
  [randomText, 14],
  [randomBytesAsText, 7],
  [binaryFrame, 7],
  [wrongType, 26],
  [badId, 10],
  [badMethod, 8],
  [nulString, 12],
  [(ctx) => deepNesting(ctx, ctx.prng.pick([200, 1_000])), 4],
  [shallowNesting, 3],
  [clientNotification, 8],
];

const KNOWN_401_TEXTS = new Set([
  "missing websocket bearer token",
  "invalid authorization header",
  "invalid websocket bearer token",
  "invalid websocket jwt",
  "expired websocket jwt",
  "websocket jwt is not valid yet",
  "websocket jwt issuer mismatch",
  "websocket jwt audience mismatch",
]);

function shuffle<T>(items: T[], prng: Prng): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = prng.int(index + 1);
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
  return items;
}

class FuzzRun implements FuzzHost {
  readonly ledger = new FuzzLedger();
  readonly deadlineMs = FUZZ_REQUEST_TIMEOUT_MS;
  readonly connections = new Set<FuzzConnection>();
  private readonly recentlySent: string[] = [];
  private readonly root: Prng;
  private floodEndsAtMs = Number.POSITIVE_INFINITY;
  private lightFramesLeft: number;
  private floodFramesLeft: number;
  private toolRoundsLeft: number;
  /** The light lanes are done: the tool lanes finish their round and stop. */
  lightLanesDone = false;
  catalog!: MethodCatalog;
  notificationCatalog!: NotificationCatalog;
  threads!: FuzzThreads;
  floodThread!: string;
  big: BigStrings;

  constructor(
    readonly options: FuzzOptions,
    readonly target: FuzzTarget,
  ) {
    this.root = new Prng(options.seed);
    this.big = new BigStrings(this.root.fork("big"));
    const fixed =
      options.heavy.overLimit +
      options.heavy.tenMegabytes +
      options.heavy.medium +
      options.heavy.veryDeep +
      options.invalidUtf8 +
      options.overCap +
      options.authAttempts;
    this.floodFramesLeft = Math.floor(options.frames * options.floodShare);
    this.toolRoundsLeft = options.toolRounds;
    this.lightFramesLeft = Math.max(
      0,
      options.frames - fixed - this.floodFramesLeft - options.halfOpenSockets - options.nonReadingRequests,
    );
    target.suspects = () => [
      ...[...this.connections].flatMap((connection) => connection.suspects()),
      `last frames sent anywhere: ${this.recentlySent.join(" | ")}`,
    ];
  }

  noteSent(connection: string, frame: FuzzFrame): void {
    this.recentlySent.push(`${connection}:${frame.frameClass}/${frame.variant}`);
    if (this.recentlySent.length > 6) this.recentlySent.shift();
  }

  context(label: string, lane: number): GeneratorContext {
    const prng = this.root.fork(label);
    return {
      prng,
      ids: new IdAllocator(`fz${lane}`, 1_000_000_000 * lane),
      catalog: this.catalog,
      wrongTypes:
        lane >= 1 && lane <= this.options.lightWorkers
          ? new WrongTypeCursor(this.catalog, prng.fork("wrong-types"), lane - 1, this.options.lightWorkers)
          : undefined,
      notifications: this.notificationCatalog,
      notificationTurn: 0,
      threads: this.threads,
      big: this.big,
    };
  }

  takeToolRound(laneRounds: number): boolean {
    if (this.toolRoundsLeft <= 0) return false;
    if (this.lightLanesDone && laneRounds >= this.options.toolMinRoundsPerLane) return false;
    this.toolRoundsLeft--;
    return true;
  }

  startFlood(): void {
    this.floodEndsAtMs = Date.now() + this.options.timeCapMs;
  }

  get shouldContinue(): boolean {
    return this.target.gaveUp === undefined && Date.now() < this.floodEndsAtMs;
  }

  takeLightFrame(): boolean {
    if (this.lightFramesLeft <= 0) return false;
    this.lightFramesLeft--;
    return true;
  }

  takeFloodFrame(): boolean {
    if (this.floodFramesLeft <= 0) return false;
    this.floodFramesLeft--;
    return true;
  }

  get floodFramesRemaining(): number {
    return this.floodFramesLeft;
  }

  /** A fresh initialized fuzz connection once a gateway is up; undefined when the run is over. */
  async connect(
    label: string,
    options: { token?: () => Promise<string>; experimentalApi?: boolean } = {},
  ): Promise<FuzzConnection | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      if (!(await this.target.whenUp())) return undefined;
      try {
        const connection = await FuzzConnection.open(this, label, {
          token: options.token ? await options.token() : undefined,
          experimentalApi: options.experimentalApi,
        });
        this.connections.add(connection);
        return connection;
      } catch (error) {
        this.options.log(`connecting ${label} failed: ${String(error).slice(0, 200)}`);
        await sleep(250);
      }
    }
    return undefined;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.connections].map((connection) => connection.close()));
    this.connections.clear();
  }
}

async function createThreads(target: FuzzTarget, canaryThreadId: string): Promise<{ threads: FuzzThreads; floodThread: string }> {
  const client = await openClient(target.url, { token: target.token, name: "fuzz-setup" });
  const partitionOfThread = (threadId: string) => partitionOf(scopeKey("thread", FUZZ_TENANT, threadId));
  const canaryPartition = partitionOfThread(canaryThreadId);
  const samePartition: string[] = [];
  const otherPartitions: string[] = [];
  for (let batch = 0; batch < 8 && (samePartition.length < 4 || otherPartitions.length < 4); batch++) {
    const started = await Promise.all(Array.from({ length: 32 }, () => client.call("thread/start", {})));
    for (const { thread } of started)
      (partitionOfThread(thread.id) === canaryPartition ? samePartition : otherPartitions).push(thread.id);
  }
  await client.close();
  const [sample, floodThread, ...others] = otherPartitions;
  if (!sample || !floodThread) throw new Error("could not create the fuzz threads");
  return { threads: { sample, nulTargets: [...samePartition.slice(0, 6), ...others.slice(0, 2)] }, floodThread };
}

// ---------------------------------------------------------------------------------------------
// workers

async function lightWorker(run: FuzzRun, lane: number): Promise<void> {
  const ctx = run.context(`light-${lane}`, lane);
  let connection: FuzzConnection | undefined;
  let silentInARow = 0;
  let sent = 0;
  while (run.shouldContinue && run.takeLightFrame()) {
    // Even lanes have the experimental API: well-formed experimental requests reach their handlers.
    if (!connection?.isOpen) connection = await run.connect(`light-${lane}`, { experimentalApi: lane % 2 === 0 });
    if (!connection) break;
    if (sent % 1_000 === 999) connection.forgetCollected();
    await connection.waitForRoom(run.options.lightWindow);
    const frame = ctx.prng.weighted(LIGHT_MIX)(ctx);
    connection.send(frame);
    // Long runs of silence are punctuated by a request the connection must answer.
    if (frame.expect.kind === "silent" && ++silentInARow >= 64) {
      silentInARow = 0;
      const probe = await connection.probe(run.deadlineMs);
      if (probe === "timeout" || probe === "error") {
        run.ledger.violation(
          "connectionSurvives",
          frame.frameClass,
          `light-${lane}: a probe after 64 silent frames got ${probe}`,
        );
      }
    } else if (frame.expect.kind !== "silent") silentInARow = 0;
    if (++sent % 8 === 0) await yieldToLoop();
  }
  await connection?.drain();
}

async function heavyWorker(run: FuzzRun): Promise<void> {
  const ctx = run.context("heavy", 10);
  const { heavy } = run.options;
  const [oneAndAHalfMiB, tenMegabytes] = OVER_REQUEST_LIMIT_SIZES;
  const plan: (() => FuzzFrame)[] = [
    // Big strings go round the places in turn, so a few of them already cover every place.
    ...Array.from({ length: heavy.overLimit }, (_, slot) => () => oversized(ctx, oneAndAHalfMiB, slot)),
    ...Array.from({ length: heavy.tenMegabytes }, (_, slot) => () => oversized(ctx, tenMegabytes, slot)),
    ...Array.from({ length: heavy.medium }, (_, slot) => () => oversized(ctx, MEDIUM_PARAM_SIZE, slot)),
    ...Array.from({ length: heavy.veryDeep }, (_, index) => () => deepNesting(ctx, index % 2 === 0 ? 10_000 : 100_000)),
  ];
  let connection: FuzzConnection | undefined;
  for (const make of shuffle(plan, ctx.prng)) {
    if (!run.shouldContinue) break;
    if (!connection?.isOpen) connection = await run.connect("heavy");
    if (!connection) break;
    await connection.waitForRoom(1);
    connection.send(make());
    await yieldToLoop();
  }
  await connection?.drain();
}

async function floodWorker(run: FuzzRun): Promise<void> {
  const ctx = run.context("flood", 11);
  let connection: FuzzConnection | undefined;
  let sequence = 0;
  while (run.shouldContinue && run.floodFramesRemaining > 0) {
    if (!connection?.isOpen) connection = await run.connect("flood");
    if (!connection) break;
    const burst = ctx.prng.range(200, 500);
    for (let index = 0; index < burst && connection.isOpen && run.takeFloodFrame(); index++) {
      connection.send(floodRequest(ctx, run.floodThread, sequence++));
    }
    await connection.drain();
    await sleep(100);
  }
}

async function throwawayConnectionWorker(run: FuzzRun): Promise<void> {
  const ctx = run.context("throwaway", 12);
  const { ledger } = run;
  const plan: (() => FuzzFrame)[] = shuffle(
    [
      ...Array.from({ length: run.options.invalidUtf8 }, () => () => invalidUtf8(ctx)),
      ...Array.from({ length: run.options.overCap }, () => () => overCap(ctx)),
    ],
    ctx.prng,
  );
  let index = 0;
  for (const make of plan) {
    if (!run.shouldContinue) break;
    const connection = await run.connect(`throwaway-${index++}`);
    if (!connection) break;
    connection.judgesOwnClose = true;
    const frame = make();
    if (frame.expect.kind !== "closes") throw new Error("throwaway frames expect a close");
    const { closeCode, required, rule } = frame.expect;
    const sentAtMs = Date.now();
    if (frame.frameClass === "over-cap") await connection.stream(frame);
    else connection.send(frame);
    let verdict: number | string;
    if (required) {
      verdict = await Promise.race([connection.closed, after(20_000, "no close")]);
    } else {
      // Let a close arrive before writing again: a write into a closing socket can lose its code.
      await Promise.race([connection.closed, after(300, undefined)]);
      const probe = await connection.probe(5_000);
      verdict = probe === "answered" ? "answered" : probe === "closed" ? await connection.closed : `still open, probe ${probe}`;
    }
    ledger.outcome(
      frame.frameClass,
      verdict === "answered" ? "open, answered" : typeof verdict === "number" ? `closed ${verdict}` : verdict,
    );
    const ok = verdict === closeCode || (!required && verdict === "answered");
    if (ok) ledger.checked(rule);
    else if (!(await run.target.explainedByExit(sentAtMs))) {
      ledger.checked(rule);
      ledger.violation(
        rule,
        frame.frameClass,
        `${frame.variant}: expected close ${closeCode}${required ? "" : " or an open connection"}, got ${verdict}`,
      );
    }
    await connection.close();
    run.connections.delete(connection);
    await sleep(frame.frameClass === "over-cap" ? 500 : 20);
  }
}

async function authWorker(run: FuzzRun): Promise<void> {
  const ctx = run.context("auth", 13);
  const { ledger } = run;
  for (let attempt = 0; attempt < run.options.authAttempts && run.shouldContinue; attempt++) {
    if (!(await run.target.whenUp())) break;
    const planned = authAttempt(ctx, run.target.token);
    const sentAtMs = Date.now();
    const answer = await rawUpgrade(run.target.url, planned.headers);
    ledger.sent("auth");
    const label = typeof answer.status === "number" ? `http ${answer.status}` : answer.status;
    ledger.outcome("auth", label);
    const refused = answer.status === 400 || answer.status === 431 || (answer.status === 401 && KNOWN_401_TEXTS.has(answer.body));
    const ok =
      planned.expect === "upgrade"
        ? answer.status === 101
        : planned.expect === "refuse"
          ? refused
          : refused || answer.status === 101;
    if (!ok && (await run.target.explainedByExit(sentAtMs))) continue;
    ledger.checked("auth");
    if (!ok) {
      ledger.violation(
        "auth",
        "auth",
        `${planned.variant} (${planned.headers.map((header) => JSON.stringify(header.toString("latin1").slice(0, 60))).join(", ")}): ` +
          `expected ${planned.expect}, got ${label} ${JSON.stringify(answer.body.slice(0, 100))}`,
      );
    }
    await sleep(5);
  }
}

/**
 * Answers to server requests: turns on a thread declaring the fuzz tool, each tool call answered per
 * `answerPlan` (server-requests.ts). Every answer frame must get no reply; the turn must complete,
 * its tool call succeeding exactly when the first answer was a valid successful result.
 */
async function toolWorker(run: FuzzRun, lane: number): Promise<void> {
  const ctx = run.context(`tools-${lane}`, 20 + lane);
  const { ledger } = run;
  const label = `tools-${lane}`;
  let connection: FuzzConnection | undefined;
  let threadId: string | undefined;
  let rounds = 0;
  const big = (size: number) => run.big.of(size);
  const failed = async (startedAtMs: number, detail: string) => {
    if (await run.target.explainedByExit(startedAtMs)) return;
    ledger.checked("serverResponse");
    ledger.violation("serverResponse", "server-response", `${label}: ${detail}`);
  };
  while (run.shouldContinue && run.takeToolRound(rounds)) {
    if (!connection?.isOpen) {
      connection = await run.connect(label, { token: () => run.target.toolsToken(), experimentalApi: true });
      threadId = undefined;
    }
    if (!connection) break;
    const roundStartedAtMs = Date.now();
    rounds++;
    if (!threadId || rounds % 50 === 0) {
      const started = await connection.call("thread/start", { dynamicTools: [FUZZ_DYNAMIC_TOOL] }, run.deadlineMs);
      if (typeof started === "string" || started.error) {
        await failed(
          roundStartedAtMs,
          `thread/start with a dynamic tool: ${typeof started === "string" ? started : describe(started)}`,
        );
        await sleep(500);
        continue;
      }
      threadId = (started.result as { thread: { id: string } }).thread.id;
      connection.forgetCollected();
    }
    const thread = threadId;
    let turnId: string | undefined;
    let toolItem: { success?: unknown } | undefined;
    let resolveCompleted: (status: string) => void = () => {};
    const completed = new Promise<string>((resolve) => {
      resolveCompleted = resolve;
    });
    const early: { method: string; params: any }[] = [];
    connection.onNotification = (notification) => {
      if (notification.params?.threadId !== thread) return;
      if (turnId === undefined) {
        early.push(notification);
        return;
      }
      if (notification.params?.turnId !== turnId && notification.params?.turn?.id !== turnId) return;
      if (notification.method === "item/completed" && notification.params.item?.type === "dynamicToolCall")
        toolItem = notification.params.item;
      if (notification.method === "turn/completed") {
        const ended = notification.params.turn;
        resolveCompleted(
          ended?.status === "completed"
            ? "completed"
            : `${ended?.status} (${JSON.stringify(ended?.error ?? null).slice(0, 300)})`,
        );
      }
    };
    let resolveAsked: (request: { id: unknown; params: any }) => void = () => {};
    const asked = new Promise<{ id: unknown; params: any }>((resolve) => {
      resolveAsked = resolve;
    });
    connection.onServerRequest = (request) => {
      if (request.method === "item/tool/call" && (request.params as { threadId?: string })?.threadId === thread)
        resolveAsked(request);
    };
    const turn = await connection.call(
      "turn/start",
      { threadId: thread, input: [{ type: "text", text: `fuzz round ${rounds}`, text_elements: [] }] },
      run.deadlineMs,
    );
    if (typeof turn === "string" || turn.error) {
      await failed(roundStartedAtMs, `turn/start: ${typeof turn === "string" ? turn : describe(turn)}`);
      threadId = undefined;
      continue;
    }
    turnId = (turn.result as { turn: { id: string } }).turn.id;
    for (const notification of early.splice(0)) connection.onNotification(notification);
    const request = await Promise.race([
      asked,
      completed.then((status) => `the turn ended ${status} first`),
      after(2 * run.deadlineMs, `nothing within ${2 * run.deadlineMs} ms`),
    ]);
    if (typeof request === "string" || typeof request.id !== "number") {
      await failed(
        roundStartedAtMs,
        `no item/tool/call with an integer id after turn/start: ${typeof request === "string" ? request : `id ${JSON.stringify(request.id)}`}`,
      );
      threadId = undefined;
      continue;
    }
    const plan = answerPlan(ctx.prng, request.id, big);
    const decisive = plan.find((answer) => answer.answers);
    for (const answer of plan) {
      ledger.count(ledger.serverResponses, answer.frame.variant.replace(/ := .*/, " := (wrong type)"));
      connection.send(answer.frame);
    }
    const deadline = FUZZ_TOOL_CALL_TIMEOUT_MS + run.deadlineMs;
    const status = await Promise.race([completed, connection.closed.then(() => "closed"), after(deadline, "timeout")]);
    const expectedSuccess = decisive?.success ?? false;
    const what = `${decisive?.frame.variant ?? "no answer"}`;
    ledger.count(ledger.serverRequestRounds, `turn ${status.replace(/ \(.*$/, "")}`);
    if (status !== "completed") {
      await failed(roundStartedAtMs, `the turn after answer "${what}" ended ${status} (want completed within ${deadline} ms)`);
      threadId = undefined;
      continue;
    }
    ledger.checked("serverResponse");
    const success = toolItem?.success;
    ledger.count(ledger.serverRequestRounds, `tool call ${success === true ? "succeeded" : "failed"}`);
    if (success !== expectedSuccess) {
      ledger.violation(
        "serverResponse",
        "server-response",
        `${label}: after answer "${what}" the dynamicToolCall item's success is ${JSON.stringify(success)} (want ${expectedSuccess})`,
      );
    }
    if (rounds % 20 === 0) connection.forgetCollected();
  }
  if (connection) {
    connection.onNotification = undefined;
    connection.onServerRequest = undefined;
    await connection.drain();
  }
}

const describe = (reply: { error?: { code: number; message: string } }) =>
  `error ${reply.error?.code} ${JSON.stringify(reply.error?.message ?? "").slice(0, 200)}`;

/** A fresh connection must be accepted and served within 5 s while the half-open sockets are held. */
async function checkServed(run: FuzzRun, canaryThreadId: string, when: string): Promise<void> {
  if (!run.target.isUp) return;
  const startedAtMs = Date.now();
  let client: CodexTestClient | undefined;
  const attempt = (async () => {
    client = await openClient(run.target.url, { token: run.target.token, name: "fuzz-fresh" }, 5_000);
    await client.call("thread/read", { threadId: canaryThreadId });
    return "served";
  })().catch((error: unknown) => `failed: ${String(error).slice(0, 200)}`);
  const outcome = await Promise.race([attempt, after(5_000, "not served within 5 s")]);
  void attempt.finally(() => client?.socket.terminate());
  client?.socket.terminate();
  if (outcome !== "served" && (await run.target.explainedByExit(startedAtMs))) return;
  run.ledger.checked("halfOpen");
  if (outcome !== "served") run.ledger.violation("halfOpen", "half-open", `${when}: a fresh connection was ${outcome}`);
}

// ---------------------------------------------------------------------------------------------

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const startedAt = Date.now();
  const { log } = options;
  log(`starting the stack (seed ${options.seed}, ${options.frames} frames planned)`);
  const target = await FuzzTarget.start({ maxRestarts: options.maxRestarts, log });
  const run = new FuzzRun(options, target);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const rssTimer = setInterval(() => target.sampleRss(), 250);
  let canary: Canary | undefined;
  let halfOpen: HalfOpenSockets | undefined;
  let nonReading: NonReadingWebSocket | undefined;
  let nonReadingCloseCode: number | undefined;
  let floodStartedAt = Date.now();
  let floodEndedAt = floodStartedAt;
  try {
    canary = await Canary.create(target);
    const { threads, floodThread } = await createThreads(target, canary.threadId);
    run.threads = threads;
    run.floodThread = floodThread;
    run.catalog = new MethodCatalog({ threadId: threads.sample });
    run.notificationCatalog = new NotificationCatalog({ threadId: threads.sample }, run.catalog);

    log(`baseline: ${options.baselineMs} ms of the well-behaved connection alone`);
    canary.phase = "baseline";
    await sleep(options.baselineMs);
    target.setRssPhase("during");

    log("flood");
    canary.phase = "flood";
    floodStartedAt = Date.now();
    run.startFlood();
    loopDelay.enable();
    halfOpen = await HalfOpenSockets.open(target.url, target.token, options.halfOpenSockets);
    run.ledger.sent("half-open", halfOpen.count);
    nonReading = await NonReadingWebSocket.open(target.url, target.token, options.nonReadingRequests);
    run.ledger.sent("non-reading", options.nonReadingRequests);
    const canaryThreadId = canary.threadId;
    const progress = setInterval(() => log(`${run.ledger.framesSent} frames sent`), 5_000);
    try {
      await Promise.all([
        Promise.all(Array.from({ length: options.lightWorkers }, (_, lane) => lightWorker(run, lane + 1))).finally(() => {
          run.lightLanesDone = true;
        }),
        heavyWorker(run),
        floodWorker(run),
        throwawayConnectionWorker(run),
        authWorker(run),
        ...Array.from({ length: options.toolLanes }, (_, lane) => toolWorker(run, lane + 1)),
        (async () => {
          await sleep(2_000);
          await checkServed(run, canaryThreadId, "2 s into the flood");
        })(),
      ]);
      await checkServed(run, canaryThreadId, "at the end of the flood");
    } finally {
      clearInterval(progress);
    }
    floodEndedAt = Date.now();
    loopDelay.disable();
    log(`flood over: ${run.ledger.framesSent} frames in ${((floodEndedAt - floodStartedAt) / 1000).toFixed(1)} s`);

    // Every connection that is still open must still answer.
    await Promise.all(
      [...run.connections].map(async (connection) => {
        if (!connection.isOpen || !target.isUp) return;
        const probe = await connection.probe(run.deadlineMs);
        run.ledger.checked("connectionSurvives");
        if (probe !== "answered" && target.isUp) {
          run.ledger.violation(
            "connectionSurvives",
            undefined,
            `${connection.label} did not answer a probe at the end: ${probe}`,
          );
        }
      }),
    );

    canary.phase = "after";
    target.setRssPhase("after");
    await sleep(options.afterMs);
    target.sampleRss();
  } finally {
    clearInterval(rssTimer);
    loopDelay.disable();
    await canary?.stop().catch(() => {});
    await run.closeAll();
    halfOpen?.close();
    nonReadingCloseCode = nonReading?.closeCode;
    nonReading?.close();
    // Processes that died after the last watcher tick are exits too.
    const deadAtEnd = target.deadProcesses().filter((name) => !target.exits.some((exit) => exit.name === name));
    for (const name of deadAtEnd)
      target.exits.push({
        name,
        pid: undefined,
        code: null,
        signal: null,
        atMs: Date.now() - startedAt,
        suspects: [],
        logTail: "",
      });
    await target.stop();
  }

  const { ledger } = run;
  ledger.checked("processExit");
  for (const exit of target.exits) {
    ledger.violation(
      "processExit",
      undefined,
      `${exit.name} exited (code ${exit.code}, signal ${exit.signal}) at +${(exit.atMs / 1000).toFixed(1)} s`,
    );
  }
  ledger.checked("modelHistory", modelHistory.checked);
  if (modelHistory.disordered > 0) {
    ledger.violation(
      "modelHistory",
      "server-response",
      `${modelHistory.disordered} of ${modelHistory.checked} model requests had the thread's history out of order, e.g. ${modelHistory.sample}`,
    );
  }
  const canaryLatency = canary.summary();
  ledger.checked(
    "canary",
    Object.values(canary.latencies).reduce(
      (sum, byMethod) => sum + byMethod["thread/read"].length + byMethod["thread/name/set"].length,
      0,
    ),
  );
  for (const failure of canary.failures) ledger.violation("canary", undefined, failure);
  for (let extra = canary.failures.length; extra < canary.failureCount; extra++)
    ledger.violation("canary", undefined, "(further failure)");
  const floodSetName = canaryLatency.flood["thread/name/set"];
  ledger.checked("canaryLatency");
  if (!(floodSetName.count > 0 && floodSetName.p99Ms < CANARY_P99_LIMIT_MS)) {
    ledger.violation(
      "canaryLatency",
      undefined,
      `thread/name/set p99 during the flood: ${floodSetName.p99Ms.toFixed(0)} ms over ${floodSetName.count} requests (max ${floodSetName.maxMs.toFixed(0)} ms)`,
    );
  }
  return {
    seed: options.seed,
    framesPlanned: options.frames,
    framesSent: ledger.framesSent,
    floodDurationMs: floodEndedAt - floodStartedAt,
    totalDurationMs: Date.now() - startedAt,
    abortedBecause: target.gaveUp === "stopped" ? undefined : target.gaveUp,
    classes: classRows(ledger),
    rules: ruleResults(ledger),
    processExits: target.exits,
    restarts: target.restarts,
    rssKb: target.rssRecords(),
    canary: { latency: canaryLatency, failureCount: canary.failureCount, failures: canary.failures },
    eventLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    halfOpen: {
      held: halfOpen?.count ?? 0,
      closedByServer: halfOpen?.closedByServer() ?? {},
      nonReadingCloseCode,
    },
    internalErrors: Object.fromEntries(ledger.internalErrors),
    coverage: coverageOf(ledger, run.catalog, run.notificationCatalog),
  };
}
