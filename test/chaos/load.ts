// The steady mixed load the chaos run keeps up while it injects faults: keyed writes on shared
// threads (`thread/name/set`, several writers per thread, each naming its writes `writer#seq`),
// unkeyed reads (`thread/read`, `thread/list`, `switchyard/environments/list`), turns against the
// scripted provider, and config writes (`config/value/write`, one key per writer). Clients are
// spread over every gateway; a client whose connection is closed under it (its gateway killed, say)
// reconnects to another gateway and carries on with its next sequence number.
//
// Every request lands in the ledger with what became of it: a result, an error, `interrupted` (its
// connection closed before it was answered: nobody is left to answer it) or `unanswered` (still
// waiting at its deadline: the promise the suite checks).
import { CodexTestClient, type RpcReply } from "../harness/client.js";
import { writeName } from "../harness/writes.js";

export type LoadKind = "write" | "read" | "turn" | "config";

export interface LedgerEntry {
  kind: LoadKind;
  method: string;
  sentAtMs: number;
  answeredAtMs?: number;
  outcome: "result" | "error" | "interrupted" | "unanswered" | "pending";
  /** Write names (`writer#seq`) and config values, to match against what was applied. */
  name?: string;
  writer?: string;
  threadId?: string;
  errorCode?: number;
  errorMessage?: string;
}

export interface LoadOptions {
  token: string;
  /** Writer names start with it, so each phase's writes are told apart in Postgres. */
  phase: string;
  gatewayUrls: () => string[];
  /** Threads the writers share (several writers per thread). */
  sharedThreadIds: string[];
  writers: number;
  readers: number;
  turners: number;
  configWriters: number;
  /** A request not answered within this is `unanswered` (the gateway's deadline plus a margin). */
  deadlineMs: number;
  /** Pause between one worker's requests. */
  paceMs: number;
  /** A turn that has not completed within this is abandoned by its worker (the stuck check is in Postgres). */
  turnWaitMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One worker's connection: reconnects (to the next gateway) when the old one is closed. */
class ResilientClient {
  private client: CodexTestClient | undefined;
  private connecting: Promise<CodexTestClient | undefined> | undefined;
  private nextGateway: number;

  constructor(
    private readonly gatewayUrls: () => string[],
    private readonly token: string,
    start: number,
    private readonly stopped: () => boolean,
  ) {
    this.nextGateway = start;
  }

  /** A live, initialized client, or undefined once the load stops. */
  async current(): Promise<CodexTestClient | undefined> {
    if (this.client && this.client.closeCode === undefined) return this.client;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<CodexTestClient | undefined> {
    while (!this.stopped()) {
      const urls = this.gatewayUrls();
      const url = urls[this.nextGateway++ % urls.length];
      try {
        this.client = await withTimeout(CodexTestClient.open(`${url}/`, { experimentalApi: true, token: this.token }), 5_000);
        if (this.client) return this.client;
      } catch {
        // that gateway is down (or the system is): try the next after a breath
      }
      await sleep(200);
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => {});
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class MixedLoad {
  readonly ledger: LedgerEntry[] = [];
  /** Turns whose `turn/completed` reached their worker. */
  turnsCompleted = 0;
  private isStopped = false;
  private readonly workers: Promise<void>[] = [];
  private readonly clients: ResilientClient[] = [];
  private readonly outstanding = new Set<Promise<void>>();
  constructor(private readonly options: LoadOptions) {}

  start(): void {
    const { options } = this;
    let index = 0;
    const spawnWorker = (run: (client: ResilientClient, workerIndex: number) => Promise<void>, count: number) => {
      for (let workerIndex = 0; workerIndex < count; workerIndex++) {
        const client = new ResilientClient(options.gatewayUrls, options.token, index++, () => this.isStopped);
        this.clients.push(client);
        this.workers.push(run(client, workerIndex));
      }
    };
    spawnWorker((client, workerIndex) => this.writer(client, workerIndex), options.writers);
    spawnWorker((client, workerIndex) => this.reader(client, workerIndex), options.readers);
    spawnWorker((client, workerIndex) => this.turner(client, workerIndex), options.turners);
    spawnWorker((client, workerIndex) => this.configWriter(client, workerIndex), options.configWriters);
  }

  /** Stops sending, waits for every outstanding request to be answered or reach its deadline. */
  async stop(): Promise<void> {
    this.isStopped = true;
    await Promise.all(this.workers);
    await Promise.all([...this.outstanding]);
    await Promise.all(this.clients.map((client) => client.close()));
  }

  /** Sends one request and records its fate; resolves with the reply when there is one. */
  private send(
    client: CodexTestClient,
    kind: LoadKind,
    method: string,
    params: unknown,
    details: Partial<LedgerEntry> = {},
  ): Promise<RpcReply | undefined> {
    const entry: LedgerEntry = { kind, method, sentAtMs: Date.now(), outcome: "pending", ...details };
    this.ledger.push(entry);
    let reply: Promise<RpcReply>;
    try {
      reply = client.request(method, params);
    } catch {
      // the socket closed between the check and the send: nothing was sent
      entry.outcome = "interrupted";
      entry.answeredAtMs = entry.sentAtMs;
      return Promise.resolve(undefined);
    }
    const settled = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        reply.then((answer) => ({ kind: "reply" as const, answer })),
        client.closed.then(() => ({ kind: "closed" as const })),
        new Promise<{ kind: "deadline" }>((resolve) => {
          timer = setTimeout(() => resolve({ kind: "deadline" }), this.options.deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      entry.answeredAtMs = Date.now();
      if (outcome.kind === "reply") {
        entry.outcome = outcome.answer.error ? "error" : "result";
        if (outcome.answer.error) {
          entry.errorCode = outcome.answer.error.code;
          entry.errorMessage = outcome.answer.error.message;
        }
        return outcome.answer;
      }
      entry.outcome = outcome.kind === "closed" ? "interrupted" : "unanswered";
      return undefined;
    })();
    const tracked = settled.then(() => {});
    this.outstanding.add(tracked);
    void tracked.finally(() => this.outstanding.delete(tracked));
    return settled;
  }

  /** Keyed writes, pipelined up to 4 deep on one connection: per-key order must hold anyway. */
  private async writer(resilient: ResilientClient, writerIndex: number): Promise<void> {
    const threadId = this.options.sharedThreadIds[writerIndex % this.options.sharedThreadIds.length] as string;
    const writer = `${this.options.phase}-w${writerIndex}`;
    const inFlight: Promise<unknown>[] = [];
    for (let sequence = 0; !this.isStopped; sequence++) {
      const client = await resilient.current();
      if (!client) break;
      const name = writeName(writer, sequence);
      const reply = this.send(client, "write", "thread/name/set", { threadId, name }, { name, writer, threadId });
      inFlight.push(reply);
      if (inFlight.length >= 4) await inFlight.shift();
      await sleep(this.options.paceMs);
    }
    await Promise.all(inFlight);
  }

  private async reader(resilient: ResilientClient, readerIndex: number): Promise<void> {
    const methods = [
      () => ({
        method: "thread/read",
        params: {
          threadId: this.options.sharedThreadIds[readerIndex % this.options.sharedThreadIds.length],
          includeTurns: false,
        },
      }),
      () => ({ method: "thread/list", params: { limit: 10 } }),
      () => ({ method: "switchyard/environments/list", params: {} }),
    ];
    for (let round = 0; !this.isStopped; round++) {
      const client = await resilient.current();
      if (!client) break;
      const pick = methods[round % methods.length]?.() as { method: string; params: unknown };
      await this.send(client, "read", pick.method, pick.params);
      await sleep(this.options.paceMs);
    }
  }

  /** One thread per turner; each turn is started, then awaited (turn/completed) or abandoned. */
  private async turner(resilient: ResilientClient, _turnerIndex: number): Promise<void> {
    let threadId: string | undefined;
    let threadClient: CodexTestClient | undefined;
    while (!this.isStopped) {
      const client = await resilient.current();
      if (!client) break;
      if (client !== threadClient || !threadId) {
        // A new connection: start (or resume) the worker's thread there so its events reach it.
        const reply = threadId
          ? await this.send(client, "turn", "thread/resume", { threadId })
          : await this.send(client, "turn", "thread/start", {});
        const result = reply?.result as { thread?: { id: string } } | undefined;
        if (!result?.thread) {
          // As in Codex, a thread nothing is recorded about yet (its connection dropped before its
          // first turn was admitted) cannot be resumed: the worker starts another.
          if (reply?.error?.message.startsWith("no rollout found")) threadId = undefined;
          await sleep(200);
          continue;
        }
        threadId = result.thread.id;
        threadClient = client;
      }
      const startedAtNotifications = client.notifications.length;
      const reply = await this.send(
        client,
        "turn",
        "turn/start",
        { threadId, input: [{ type: "text", text: `chaos turn ${Date.now()}`, text_elements: [] }] },
        { threadId },
      );
      const turnId = (reply?.result as { turn?: { id: string } } | undefined)?.turn?.id;
      if (turnId) {
        const isDone = () =>
          client.notifications
            .slice(startedAtNotifications)
            .some((notification) => notification.method === "turn/completed" && notification.params?.turn?.id === turnId);
        const deadline = Date.now() + this.options.turnWaitMs;
        while (!isDone() && Date.now() < deadline && client.closeCode === undefined) await sleep(50);
        if (isDone()) this.turnsCompleted++;
      } else {
        await sleep(200);
      }
      await sleep(this.options.paceMs);
    }
  }

  private async configWriter(resilient: ResilientClient, writerIndex: number): Promise<void> {
    // Each writer owns one environment variable of the user's shell policy (a string map).
    const writer = `${this.options.phase.replace(/[^a-z0-9]/gi, "_")}_c${writerIndex}`;
    for (let sequence = 0; !this.isStopped; sequence++) {
      const client = await resilient.current();
      if (!client) break;
      const name = writeName(writer, sequence);
      await this.send(
        client,
        "config",
        "config/value/write",
        { keyPath: `shell_environment_policy.set.${writer}`, value: name, mergeStrategy: "replace" },
        { name, writer },
      );
      await sleep(this.options.paceMs * 4);
    }
  }
}
