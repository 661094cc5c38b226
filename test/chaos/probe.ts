// Is the system serving? A probe asks every live gateway, every `intervalMs`, for a keyed write on
// one thread in each keyed-lane partition (so an instance holding any partition is noticed), an
// unkeyed read and a config read. A round is good when every answer is a result within
// `slowMs`. Recovery is the first good round after which every round stayed good.
import { KEYED_PARTITIONS, partitionOf, scopeKey } from "@switchyard/protocol";
import { CodexTestClient } from "../harness/client.js";

export interface ProbeRound {
  startedAtMs: number;
  isGood: boolean;
  /** What went wrong in a bad round (the first failure). */
  failure?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class ChaosProbe {
  readonly rounds: ProbeRound[] = [];
  private readonly clients = new Map<string, CodexTestClient>();
  private isStopped = true;
  private loop: Promise<void> | undefined;
  private sequence = 0;

  private constructor(
    private readonly gatewayUrls: () => string[],
    private readonly token: string,
    /** One thread per keyed partition. */
    readonly partitionThreadIds: string[],
    private readonly intervalMs: number,
    private readonly slowMs: number,
  ) {}

  /** Creates a thread in every partition of the tenant's keyed lane (through the first gateway). */
  static async create(options: {
    gatewayUrls: () => string[];
    tenant: string;
    token: string;
    intervalMs: number;
    slowMs: number;
  }): Promise<ChaosProbe> {
    const url = options.gatewayUrls()[0];
    const client = await CodexTestClient.open(`${url}/`, { token: options.token });
    const byPartition = new Map<number, string>();
    for (let attempt = 0; byPartition.size < KEYED_PARTITIONS && attempt < 400; attempt++) {
      const threadId = (await client.call<{ thread: { id: string } }>("thread/start", {})).thread.id;
      const partition = partitionOf(scopeKey("thread", options.tenant, threadId));
      if (!byPartition.has(partition)) byPartition.set(partition, threadId);
    }
    await client.close();
    return new ChaosProbe(options.gatewayUrls, options.token, [...byPartition.values()], options.intervalMs, options.slowMs);
  }

  start(): void {
    this.isStopped = false;
    this.loop = (async () => {
      while (!this.isStopped) {
        const startedAtMs = Date.now();
        const failure = await this.round();
        this.rounds.push({ startedAtMs, isGood: failure === undefined, ...(failure ? { failure } : {}) });
        await sleep(Math.max(0, this.intervalMs - (Date.now() - startedAtMs)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    await this.loop;
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => 0)));
    this.clients.clear();
  }

  /** Seconds from `fromMs` to the first good round after which every round (to `untilMs`) was good. */
  recoverySeconds(fromMs: number, untilMs: number): number | undefined {
    const window = this.rounds.filter((round) => round.startedAtMs >= fromMs && round.startedAtMs <= untilMs);
    const lastBad = window.findLastIndex((round) => !round.isGood);
    const firstGoodAfter = window[lastBad + 1];
    if (!firstGoodAfter) return undefined;
    return lastBad < 0 ? 0 : Math.max(0, (firstGoodAfter.startedAtMs - fromMs) / 1000);
  }

  /** The failures seen in a window, for the report. */
  failures(fromMs: number, untilMs: number): string[] {
    return this.rounds
      .filter((round) => round.startedAtMs >= fromMs && round.startedAtMs <= untilMs && round.failure)
      .map((round) => round.failure as string);
  }

  /** Undefined when every live gateway answered everything in time; otherwise what failed. */
  private async round(): Promise<string | undefined> {
    const urls = this.gatewayUrls();
    if (urls.length === 0) return "no gateway is running";
    const failures = await Promise.all(urls.map((url) => this.roundOn(url)));
    return failures.find((failure) => failure !== undefined);
  }

  private async roundOn(url: string): Promise<string | undefined> {
    let client = this.clients.get(url);
    if (!client || client.closeCode !== undefined) {
      const opened = await within(
        CodexTestClient.open(`${url}/`, { token: this.token }).catch((error: Error) => error),
        this.slowMs,
      );
      if (opened === "timeout" || opened instanceof Error)
        return `${url}: connect ${opened === "timeout" ? "timed out" : opened.message}`;
      client = opened;
      this.clients.set(url, client);
    }
    const name = `probe#${this.sequence++}`;
    const calls = [
      ...this.partitionThreadIds.map((threadId) => ({ method: "thread/name/set", params: { threadId, name } })),
      { method: "thread/read", params: { threadId: this.partitionThreadIds[0] } },
      { method: "config/read", params: {} },
    ];
    const live = client;
    const answers = await Promise.all(
      calls.map(async (call) => ({ call, answer: await within(live.request(call.method, call.params), this.slowMs) })),
    );
    for (const { call, answer } of answers) {
      if (answer === "timeout") return `${url}: ${call.method} not answered within ${this.slowMs} ms`;
      if (answer.error) return `${url}: ${call.method} → ${answer.error.code} ${answer.error.message}`;
    }
    return undefined;
  }
}
