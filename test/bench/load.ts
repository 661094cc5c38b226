// The load generator: a closed loop of N request slots spread round-robin over websocket
// connections (slot i uses connection i mod C); each slot sends its next request as soon as the
// previous one is answered. Only completions inside the measured window count; the warm-up before
// it is sent the same way and discarded. The same generator drives Switchyard and its floors.
import { performance } from "node:perf_hooks";
import type { CodexTestClient, RpcReply } from "../harness/client.js";

export interface PlannedRequest {
  method: string;
  params: unknown;
  /** Called with every answer (in or out of the window); returns a text when the answer is wrong. */
  onReply?(reply: RpcReply): string | undefined;
}

export interface LoadPass {
  clients: CodexTestClient[];
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  requestTimeoutMs: number;
  /** The next request a slot on connection `connectionIndex` sends. */
  nextRequest(connectionIndex: number): PlannedRequest;
  /** Called when the measured window opens and closes (CPU sampling). */
  onWindowStart?(): Promise<void> | void;
  onWindowEnd?(): Promise<void> | void;
}

export interface LoadResult {
  concurrency: number;
  connections: number;
  windowMs: number;
  completed: number;
  throughputPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Error replies and timeouts, in or out of the window. */
  errors: number;
  /** Answers the scenario found wrong (a correctness failure), with a few examples. */
  wrongAnswers: number;
  examples: string[];
}

const TIMED_OUT: RpcReply = { id: -1, error: { code: -1, message: "no reply within the bench's request timeout" } };

/** A slot's request in flight: when it was sent and how to end it early (a timeout). */
interface InFlight {
  sentAt: number;
  settle(reply: RpcReply): void;
}

export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] as number;
}

export async function runLoad(pass: LoadPass): Promise<LoadResult> {
  const { clients, concurrency } = pass;
  const latencies: number[] = [];
  let errors = 0;
  let wrongAnswers = 0;
  const examples: string[] = [];
  const startedAt = performance.now();
  const windowStart = startedAt + pass.warmupMs;
  const windowEnd = windowStart + pass.measureMs;
  const windowOpened = new Promise<void>((resolve) =>
    setTimeout(async () => {
      await pass.onWindowStart?.();
      resolve();
    }, pass.warmupMs),
  );
  const windowClosed = new Promise<void>((resolve) =>
    setTimeout(async () => {
      await windowOpened;
      await pass.onWindowEnd?.();
      resolve();
    }, pass.warmupMs + pass.measureMs),
  );

  // The generator's own cost per request caps what a cheap request can show (a cached read costs
  // the system about as much CPU as the generator spends sending it), so it stays lean: the harness
  // client neither keeps nor schema-checks frames during a pass (each answer is still checked by
  // `onReply`), and one sweep a quarter second ends overdue requests instead of a timer per request.
  const recorded = clients.map((client) => client.recordFrames);
  for (const client of clients) client.recordFrames = false;
  const inFlight: (InFlight | undefined)[] = new Array(concurrency);
  const timeoutSweep = setInterval(
    () => {
      const overdueBefore = performance.now() - pass.requestTimeoutMs;
      for (const request of inFlight) if (request && request.sentAt < overdueBefore) request.settle(TIMED_OUT);
    },
    Math.min(250, pass.requestTimeoutMs),
  );

  const runSlot = async (slot: number) => {
    const connectionIndex = slot % clients.length;
    const client = clients[connectionIndex] as CodexTestClient;
    while (performance.now() < windowEnd) {
      const request = pass.nextRequest(connectionIndex);
      const sentAt = performance.now();
      const reply = await new Promise<RpcReply>((settle) => {
        inFlight[slot] = { sentAt, settle };
        client.request(request.method, request.params).then(settle);
      });
      inFlight[slot] = undefined;
      const answeredAt = performance.now();
      const problem = reply.error ? undefined : request.onReply?.(reply);
      if (reply.error) {
        errors++;
        if (examples.length < 5) examples.push(`${request.method}: error ${reply.error.code} ${reply.error.message}`);
      } else if (problem) {
        wrongAnswers++;
        if (examples.length < 5) examples.push(`${request.method}: ${problem}`);
      }
      if (answeredAt >= windowStart && answeredAt <= windowEnd) latencies.push(answeredAt - sentAt);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, slot) => runSlot(slot)));
  } finally {
    clearInterval(timeoutSweep);
    clients.forEach((client, index) => {
      client.recordFrames = recorded[index] as boolean;
    });
  }
  await windowClosed;

  return loadResultOf(latencies, {
    concurrency,
    connections: Math.min(clients.length, concurrency),
    windowMs: pass.measureMs,
    errors,
    wrongAnswers,
    examples,
  });
}

/** A window's figures from the latencies (ms) of the requests completed in it. */
export function loadResultOf(
  latencies: number[],
  window: Pick<LoadResult, "concurrency" | "connections" | "windowMs" | "errors" | "wrongAnswers" | "examples">,
): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  return {
    ...window,
    completed: sorted.length,
    throughputPerSecond: (sorted.length * 1000) / window.windowMs,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
  };
}

/** One line for a read pass: reads, p50, p99, and what went wrong if anything did. */
export const summarizeReads = (result: LoadResult) =>
  `${result.completed} reads, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms` +
  (result.errors + result.wrongAnswers > 0
    ? ` (${result.errors} errors, ${result.wrongAnswers} wrong: ${result.examples[0]})`
    : "");

/**
 * A reader of `threadIds` in turn, one request at a time on `client`; each answer must be the thread
 * asked for. Returns a pass to run (and log) as often as wanted: the rotation carries on across passes.
 */
export function sequentialThreadReads(options: {
  client: CodexTestClient;
  threadIds: string[];
  warmupMs: number;
  measureMs: number;
  log: (line: string) => void;
}): (name: string) => Promise<LoadResult> {
  let nextRead = 0;
  return (name) =>
    runLoad({
      clients: [options.client],
      concurrency: 1,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      requestTimeoutMs: 15_000,
      nextRequest: () => {
        const threadId = options.threadIds[nextRead++ % options.threadIds.length] as string;
        return {
          method: "thread/read",
          params: { threadId },
          onReply: (reply) => {
            const answered = (reply.result as { thread?: { id?: string } } | undefined)?.thread?.id;
            return answered === threadId ? undefined : `asked for ${threadId}, got ${String(answered)}`;
          },
        };
      },
    }).then((result) => {
      options.log(`${name}: ${summarizeReads(result)}`);
      return result;
    });
}
