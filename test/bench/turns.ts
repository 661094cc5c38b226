// The turn scenarios of `pnpm bench`: a turn's stream from the provider to clients, against floors
// measured in the same run (README "Turns").
//   turn/delta       one client, one thread, turns one after another; each turn's provider streams
//                    `deltas` stamped deltas `deltaGapMs` apart; per delta: client receipt − provider
//                    send (one monotonic clock). Floor: floor-turns.ts relaying the same SSE straight
//                    to the socket.
//   turn/throughput  `turnConcurrency` connections, each running turns back to back on a fresh thread
//                    of its own, the provider answering SHORT_REPLY at once; turns/s in the window and
//                    turn/start → turn/completed. Floor: the load process calling the provider itself
//                    (one POST + SSE read to response.completed per turn), as many in flight.
//   turn/fanout      `fanoutClients` clients split over two gateways, all subscribed to one thread;
//                    one of them runs stamped turns. Per delta: spread (first → last subscriber's
//                    receipt) and end to end (provider send → last receipt). Floor: two floor-turns.ts
//                    processes, the relay publishing each frame once on core NATS, each process
//                    writing it to its sockets.
// Every turn is checked on every client that sees it (all deltas, in order, adding up to the
// agentMessage's text, turn/completed `completed`); a wrong turn, an error reply or a timeout is a
// correctness failure. Timings never are.
import { randomUUID } from "node:crypto";
import type { TurnScenarioName, TurnSettings } from "./config.js";
import { type CpuSource, cpuSpentMs, sampleCpu } from "./cpu.js";
import { percentile } from "./load.js";
import { type Arrived, type ThreadWatch, TurnClient } from "./turn-client.js";
import {
  monotonicMs,
  readStamp,
  responsesRequest,
  SHORT_PROMPT,
  SHORT_REPLY,
  stampedPrompt,
  streamResponsesOnce,
} from "./turn-contract.js";

export type { TurnScenarioName, TurnSettings };
export type TurnTargetName = "system" | "floor";

/** Notifications the turn clients opt out of (announced to a whole tenant; not a turn's). */
const OPTED_OUT = ["thread/started", "thread/name/updated"];
const CWD = "/workspace/bench";
/** A pass stops starting turns after this many wrong answers or errors (the run fails anyway). */
const MAX_PROBLEMS_PER_PASS = 3;

/** One delta's figure and where it was: the window's `turn`-th turn (from 1), delta `delta` (from 0). */
export interface Located {
  turn: number;
  delta: number;
  ms: number;
}

export interface TurnMetric {
  p50: number;
  p99: number;
  count: number;
}

/** One target's pass of one scenario in one round. */
export interface TurnPass {
  /** Turns completed in the measured window. */
  turns: number;
  windowMs: number;
  /** ms distributions: delta (turn/delta), turn (turn/throughput), spread and endToEnd (turn/fanout). */
  metrics: Record<string, TurnMetric>;
  /**
   * turn/delta, turn/fanout: the window's slowest deltas (latency, or end to end to the last
   * subscriber): the turn (1 = the window's first) and delta index, to tell a slow start from noise.
   */
  slowest?: Located[];
  /** turn/throughput: turns completed per second in the window. */
  throughputPerSecond?: number;
  /** turn/throughput: CPU µs per completed turn in the window, per process group. */
  cpuMicrosPerTurn?: Record<string, number>;
  /** Wrong answers, error replies and timeouts (correctness failures), with a few examples. */
  problems: number;
  examples: string[];
}

export interface TurnScenarioMeasurements {
  scenario: TurnScenarioName;
  system: TurnPass[];
  floor: TurnPass[];
}

export interface TurnBenchContext {
  settings: TurnSettings;
  /** Switchyard's gateways (two when turn/fanout runs). */
  gatewayUrls: string[];
  /** The floor-turns processes (two when turn/fanout runs). */
  floorUrls: string[];
  providerBaseUrl: string;
  token(tenant: string, user: string): Promise<string>;
  /** Process groups a throughput window is charged (both sides share the provider and load process). */
  cpuSources(target: TurnTargetName): CpuSource[];
  log(text: string): void;
}

const metricOf = (values: number[]): TurnMetric => {
  const sorted = Float64Array.from(values).sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), count: sorted.length };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Expected = { stamped: number } | { text: string };

interface StampedDelta {
  index: number;
  sentAtMs: number;
  arrivedAtMs: number;
}

/**
 * Checks one client's view of one turn: its text deltas (one item, stamped 0…n−1 in order, or adding
 * up to `text`), the agentMessage's item/completed with their concatenation, turn/completed
 * `completed`, in that order. Returns the stamped deltas, or what is wrong.
 */
export function checkTurn(
  frames: Arrived[],
  turnId: string,
  expected: Expected,
): { problem: string } | { deltas: StampedDelta[] } {
  const own = frames.filter((frame) => frame.params?.turnId === turnId || frame.params?.turn?.id === turnId);
  const last = own.at(-1);
  if (last?.method !== "turn/completed") return { problem: `turn ${turnId}: no turn/completed last` };
  if (last.params.turn.status !== "completed") {
    return {
      problem: `turn ${turnId} ended ${last.params.turn.status}: ${JSON.stringify(last.params.turn.error)?.slice(0, 200)}`,
    };
  }
  const deltaFrames = own.filter((frame) => frame.method === "item/agentMessage/delta");
  const itemIds = new Set(deltaFrames.map((frame) => frame.params.itemId));
  if (itemIds.size !== 1) return { problem: `turn ${turnId}: deltas of ${itemIds.size} items (expected one agentMessage)` };
  const completedIndex = own.findIndex(
    (frame) => frame.method === "item/completed" && frame.params.item?.type === "agentMessage",
  );
  const completed = own[completedIndex];
  if (!completed) return { problem: `turn ${turnId}: no item/completed for the agentMessage` };
  if (own.indexOf(deltaFrames.at(-1) as Arrived) > completedIndex)
    return { problem: `turn ${turnId}: a delta after item/completed` };
  const text = deltaFrames.map((frame) => String(frame.params.delta)).join("");
  if (completed.params.item.id !== [...itemIds][0])
    return { problem: `turn ${turnId}: item/completed for another item than the deltas'` };
  if (completed.params.item.text !== text) {
    return {
      problem: `turn ${turnId}: deltas add up to ${JSON.stringify(text.slice(0, 80))}, the item is ${JSON.stringify(String(completed.params.item.text).slice(0, 80))}`,
    };
  }
  if ("text" in expected) {
    return text === expected.text
      ? { deltas: [] }
      : { problem: `turn ${turnId}: answered ${JSON.stringify(text)}, expected ${JSON.stringify(expected.text)}` };
  }
  if (deltaFrames.length !== expected.stamped)
    return { problem: `turn ${turnId}: ${deltaFrames.length} deltas, expected ${expected.stamped}` };
  const deltas: StampedDelta[] = [];
  for (const [position, frame] of deltaFrames.entries()) {
    const stamp = readStamp(String(frame.params.delta));
    if (!stamp || stamp.index !== position) {
      return { problem: `turn ${turnId}: delta ${position} is ${JSON.stringify(frame.params.delta)} (out of order or altered)` };
    }
    deltas.push({ ...stamp, arrivedAtMs: frame.arrivedAtMs });
  }
  return { deltas };
}

const textInput = (text: string) => [{ type: "text", text, text_elements: [] }];

/** Problems of one pass, with a few examples; stops the pass once there are enough to fail the run. */
class Problems {
  count = 0;
  readonly examples: string[] = [];
  add(problem: string): void {
    this.count++;
    if (this.examples.length < 5) this.examples.push(problem);
  }
  get isEnough(): boolean {
    return this.count >= MAX_PROBLEMS_PER_PASS;
  }
}

/** One side's subscribers of a thread and the client that runs its turns. */
interface Audience {
  runner: TurnClient;
  threadId: string;
  /** Each subscriber's watch of the thread (the runner's among them). */
  watches: ThreadWatch[];
  /** Extra turn/start params (the floor's fan-out flag). */
  startParams: Record<string, unknown>;
}

/**
 * Runs one turn and checks it on every watch. Undefined plus a problem when it went wrong; else
 * each watch's stamped deltas (empty lists for a text-checked turn).
 */
async function runTurn(
  audience: Audience,
  prompt: string,
  expected: Expected,
  settings: TurnSettings,
  seenTurnIds: Set<string>,
  problems: Problems,
): Promise<StampedDelta[][] | undefined> {
  const reply = await audience.runner.request(
    "turn/start",
    { threadId: audience.threadId, input: textInput(prompt), ...audience.startParams },
    settings.turnTimeoutMs,
  );
  if (reply.error) {
    problems.add(`turn/start: error ${reply.error.code} ${reply.error.message}`);
    return undefined;
  }
  const turn = reply.result?.turn as { id?: unknown; status?: unknown } | undefined;
  if (typeof turn?.id !== "string" || turn.status !== "inProgress") {
    problems.add(`turn/start answered ${JSON.stringify(reply.result)?.slice(0, 200)}`);
    return undefined;
  }
  const turnId = turn.id;
  if (seenTurnIds.has(turnId)) {
    problems.add(`turn/start answered with turn ${turnId}, which already ran (joined instead of starting a turn)`);
    return undefined;
  }
  seenTurnIds.add(turnId);
  const views = await Promise.all(audience.watches.map((watch) => watch.turnCompleted(turnId, settings.turnTimeoutMs)));
  const perWatch: StampedDelta[][] = [];
  for (const [index, frames] of views.entries()) {
    if (!frames) {
      problems.add(`turn ${turnId}: subscriber ${index} saw no turn/completed within ${settings.turnTimeoutMs} ms`);
      for (const watch of audience.watches) watch.clear();
      return undefined;
    }
    const checked = checkTurn(frames, turnId, expected);
    if ("problem" in checked) {
      problems.add(`subscriber ${index}: ${checked.problem}`);
      return undefined;
    }
    perWatch.push(checked.deltas);
  }
  return perWatch;
}

/** Runs turns one after another: a warm-up, then the window; `record` gets each measured turn. */
async function sequentialTurns(
  settings: TurnSettings,
  problems: Problems,
  runOne: () => Promise<StampedDelta[][] | undefined>,
  record: (perWatch: StampedDelta[][]) => void,
): Promise<{ turns: number; windowMs: number }> {
  const warmupEnd = monotonicMs() + settings.warmupSeconds * 1000;
  do {
    await runOne();
  } while (monotonicMs() < warmupEnd && !problems.isEnough);
  const windowStart = monotonicMs();
  const windowEnd = windowStart + settings.seconds * 1000;
  let turns = 0;
  while (monotonicMs() < windowEnd && !problems.isEnough) {
    const perWatch = await runOne();
    if (!perWatch) continue;
    turns++;
    record(perWatch);
  }
  return { turns, windowMs: monotonicMs() - windowStart };
}

/** A closed loop of `slots` turns in flight: warm-up, then a window whose completions count. */
async function closedLoop(
  settings: TurnSettings,
  slots: number,
  problems: Problems,
  runOne: (slot: number) => Promise<boolean>,
  window: { onStart(): Promise<void>; onEnd(): Promise<void> },
): Promise<{ latencies: number[]; windowMs: number }> {
  const startedAt = monotonicMs();
  const windowStart = startedAt + settings.warmupSeconds * 1000;
  const windowEnd = windowStart + settings.seconds * 1000;
  const latencies: number[] = [];
  const opened = sleep(settings.warmupSeconds * 1000).then(() => window.onStart());
  const closed = sleep((settings.warmupSeconds + settings.seconds) * 1000).then(async () => {
    await opened;
    await window.onEnd();
  });
  await Promise.all(
    Array.from({ length: slots }, async (_, slot) => {
      while (monotonicMs() < windowEnd && !problems.isEnough) {
        const sentAt = monotonicMs();
        const isDone = await runOne(slot);
        const doneAt = monotonicMs();
        if (isDone && doneAt >= windowStart && doneAt <= windowEnd) latencies.push(doneAt - sentAt);
      }
    }),
  );
  await closed;
  return { latencies, windowMs: settings.seconds * 1000 };
}

export class TurnBench {
  private readonly clients: TurnClient[] = [];
  private readonly audiences = new Map<string, Promise<Audience>>();
  private throughputClients: TurnClient[] | undefined;
  private throughputThreads: string[] = [];
  private readonly seenTurnIds = new Set<string>();

  constructor(private readonly context: TurnBenchContext) {}

  private async systemClient(gatewayIndex: number, tenant: string, user: string): Promise<TurnClient> {
    const url = this.context.gatewayUrls[gatewayIndex % this.context.gatewayUrls.length] as string;
    const client = await TurnClient.open(url, await this.context.token(tenant, user), OPTED_OUT);
    this.clients.push(client);
    return client;
  }

  private async floorClient(floorIndex: number): Promise<TurnClient> {
    const client = await TurnClient.connect(this.context.floorUrls[floorIndex % this.context.floorUrls.length] as string);
    this.clients.push(client);
    return client;
  }

  /** turn/delta's (one client) or turn/fanout's (all subscribers) audience on one side, set up once. */
  private audience(scenario: "turn/delta" | "turn/fanout", target: TurnTargetName): Promise<Audience> {
    const key = `${scenario} ${target}`;
    let audience = this.audiences.get(key);
    if (!audience) {
      audience = scenario === "turn/delta" ? this.deltaAudience(target) : this.fanoutAudience(target);
      this.audiences.set(key, audience);
    }
    return audience;
  }

  private async deltaAudience(target: TurnTargetName): Promise<Audience> {
    if (target === "floor") {
      const runner = await this.floorClient(0);
      const threadId = `floor-delta-${randomUUID()}`;
      return { runner, threadId, watches: [runner.watch(threadId)], startParams: {} };
    }
    const runner = await this.systemClient(0, "bench-turn-delta", "bench-turn-delta");
    const started = await runner.call<{ thread: { id: string } }>("thread/start", { cwd: CWD });
    return { runner, threadId: started.thread.id, watches: [runner.watch(started.thread.id)], startParams: {} };
  }

  private async fanoutAudience(target: TurnTargetName): Promise<Audience> {
    const count = this.context.settings.fanoutClients;
    const tenant = "bench-turn-fanout";
    const clients: TurnClient[] = [];
    // Connected a few at a time: 100 upgrades at once only measure the machine's accept queue.
    for (let index = 0; index < count; index += 10) {
      const batch = Array.from({ length: Math.min(10, count - index) }, (_, offset) =>
        target === "floor" ? this.floorClient(index + offset) : this.systemClient(index + offset, tenant, "bench-fanout"),
      );
      clients.push(...(await Promise.all(batch)));
    }
    const runner = clients[0] as TurnClient;
    let threadId: string;
    if (target === "floor") {
      threadId = `floor-fanout-${randomUUID()}`;
    } else {
      // The thread's creator is subscribed by thread/start; every other client resumes it, once
      // something is recorded about it (as in Codex, a thread with nothing recorded has no rollout).
      threadId = (await runner.call<{ thread: { id: string } }>("thread/start", { cwd: CWD })).thread.id;
      await runner.call("thread/name/set", { threadId, name: "fan-out" });
    }
    const watches = clients.map((client) => client.watch(threadId));
    const resuming = target === "floor" ? clients : clients.slice(1);
    for (let index = 0; index < resuming.length; index += 10) {
      await Promise.all(resuming.slice(index, index + 10).map((client) => client.call("thread/resume", { threadId })));
    }
    return { runner, threadId, watches, startParams: target === "floor" ? { fanout: true } : {} };
  }

  async measure(scenario: TurnScenarioName, target: TurnTargetName): Promise<TurnPass> {
    if (scenario === "turn/throughput") return target === "system" ? this.systemThroughput() : this.floorThroughput();
    const { settings } = this.context;
    const audience = await this.audience(scenario, target);
    const problems = new Problems();
    const prompt = stampedPrompt(settings.deltas, settings.deltaGapMs);
    const expected = { stamped: settings.deltas };
    const deltaLatencies: number[] = [];
    const spreads: number[] = [];
    const endToEnd: number[] = [];
    // Every delta's latency (turn/delta) or end to end (turn/fanout) with where it was, for `slowest`.
    const located: Located[] = [];
    let turn = 0;
    const { turns, windowMs } = await sequentialTurns(
      settings,
      problems,
      () => runTurn(audience, prompt, expected, settings, this.seenTurnIds, problems),
      (perWatch) => {
        turn++;
        if (scenario === "turn/delta") {
          for (const delta of perWatch[0] ?? []) {
            deltaLatencies.push(delta.arrivedAtMs - delta.sentAtMs);
            located.push({ turn, delta: delta.index, ms: delta.arrivedAtMs - delta.sentAtMs });
          }
          return;
        }
        for (let index = 0; index < settings.deltas; index++) {
          let first = Number.POSITIVE_INFINITY;
          let last = Number.NEGATIVE_INFINITY;
          for (const deltas of perWatch) {
            const arrivedAt = (deltas[index] as StampedDelta).arrivedAtMs;
            first = Math.min(first, arrivedAt);
            last = Math.max(last, arrivedAt);
          }
          spreads.push(last - first);
          const sentAt = ((perWatch[0] as StampedDelta[])[index] as StampedDelta).sentAtMs;
          endToEnd.push(last - sentAt);
          located.push({ turn, delta: index, ms: last - sentAt });
        }
      },
    );
    const metrics: Record<string, TurnMetric> =
      scenario === "turn/delta"
        ? { delta: metricOf(deltaLatencies) }
        : { spread: metricOf(spreads), endToEnd: metricOf(endToEnd) };
    const slowest = located
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10)
      .map((sample) => ({ ...sample, ms: Number(sample.ms.toFixed(3)) }));
    return { turns, windowMs, metrics, slowest, problems: problems.count, examples: problems.examples };
  }

  /** Fresh threads for a throughput pass (one per connection), so history does not grow round over round. */
  private async throughputAudiences(): Promise<Audience[]> {
    const { settings } = this.context;
    this.throughputClients ??= await Promise.all(
      Array.from({ length: settings.concurrency }, (_, index) =>
        this.systemClient(index, "bench-turn-throughput", `bench-turn-throughput-${index}`),
      ),
    );
    const clients = this.throughputClients;
    for (const [index, threadId] of this.throughputThreads.entries()) clients[index]?.unwatch(threadId);
    this.throughputThreads = await Promise.all(
      clients.map(async (client) => (await client.call<{ thread: { id: string } }>("thread/start", { cwd: CWD })).thread.id),
    );
    return clients.map((runner, index) => {
      const threadId = this.throughputThreads[index] as string;
      return { runner, threadId, watches: [runner.watch(threadId)], startParams: {} };
    });
  }

  private async throughputPass(
    target: TurnTargetName,
    slots: number,
    runOne: (slot: number, problems: Problems) => Promise<boolean>,
  ): Promise<TurnPass> {
    const problems = new Problems();
    const sources = this.context.cpuSources(target);
    let cpuAtStart: Awaited<ReturnType<typeof sampleCpu>> | undefined;
    let cpuSpent: Record<string, number> = {};
    const { latencies, windowMs } = await closedLoop(this.context.settings, slots, problems, (slot) => runOne(slot, problems), {
      onStart: async () => {
        cpuAtStart = await sampleCpu(sources);
      },
      onEnd: async () => {
        if (cpuAtStart) cpuSpent = cpuSpentMs(cpuAtStart, await sampleCpu(sources));
      },
    });
    const cpuMicrosPerTurn: Record<string, number> = {};
    for (const [name, spentMs] of Object.entries(cpuSpent)) {
      cpuMicrosPerTurn[name] = latencies.length > 0 ? (spentMs * 1000) / latencies.length : 0;
    }
    return {
      turns: latencies.length,
      windowMs,
      metrics: { turn: metricOf(latencies) },
      throughputPerSecond: (latencies.length * 1000) / windowMs,
      cpuMicrosPerTurn,
      problems: problems.count,
      examples: problems.examples,
    };
  }

  private async systemThroughput(): Promise<TurnPass> {
    const { settings } = this.context;
    const audiences = await this.throughputAudiences();
    const expected = { text: SHORT_REPLY };
    return this.throughputPass("system", audiences.length, async (slot, problems) => {
      const perWatch = await runTurn(audiences[slot] as Audience, SHORT_PROMPT, expected, settings, this.seenTurnIds, problems);
      return perWatch !== undefined;
    });
  }

  /** The provider's own cost: one POST + SSE read to response.completed per turn, from the load process. */
  private floorThroughput(): Promise<TurnPass> {
    const body = responsesRequest(SHORT_PROMPT);
    return this.throughputPass("floor", this.context.settings.concurrency, async (_slot, problems) => {
      let text = "";
      try {
        await streamResponsesOnce(this.context.providerBaseUrl, body, (event) => {
          if (event.type === "response.output_text.delta") text += String(event.delta);
        });
      } catch (error) {
        problems.add(`provider call: ${String(error)}`);
        return false;
      }
      if (text === SHORT_REPLY) return true;
      problems.add(`the provider answered ${JSON.stringify(text)}, expected ${JSON.stringify(SHORT_REPLY)}`);
      return false;
    });
  }

  /** Sockets a gateway closed during the run (a connection dropped for a full outbound queue, …). */
  closedClients(): string[] {
    return this.clients.flatMap((client, index) => (client.closeCode === undefined ? [] : [`#${index}: ${client.closeCode}`]));
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
  }
}
