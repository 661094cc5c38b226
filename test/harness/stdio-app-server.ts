// A real `codex app-server` over stdio (JSON lines), for interop tests that use the binary as a
// server: requests with ids, replies matched by id, notifications kept in order. `spawn` runs any
// command that speaks the same protocol on stdio (e.g. `switchyard proxy`) without initializing it.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface StdioReply {
  id: number;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

export class StdioAppServer {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: StdioReply) => void>();
  readonly notifications: { method: string; params: any }[] = [];
  /** Every line written on stdout, as written. */
  readonly lines: string[] = [];
  /** Replies whose id matched no pending request. */
  readonly unmatchedReplies: StdioReply[] = [];
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = "";
  private readonly waiters: { predicate: (n: { method: string; params: any }) => boolean; resolve: () => void }[] = [];

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      this.lines.push(line);
      let message: any;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof message.id === "number" && ("result" in message || "error" in message)) {
        const pending = this.pending.get(message.id);
        if (pending) pending(message as StdioReply);
        else this.unmatchedReplies.push(message as StdioReply);
        this.pending.delete(message.id);
      } else if (typeof message.method === "string" && message.id === undefined) {
        const notification = { method: message.method, params: message.params };
        this.notifications.push(notification);
        for (const waiter of [...this.waiters]) {
          if (waiter.predicate(notification)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
  }

  /** Spawns `command args` speaking the app-server protocol on stdio; sends nothing. */
  static spawn(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): StdioAppServer {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    return new StdioAppServer(child);
  }

  /** Writes one raw line on stdin (newline added). */
  writeLine(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Ends stdin; the process sees EOF. */
  closeStdin(): void {
    this.child.stdin?.end();
  }

  /** The first notification (already received or to come) matching `predicate`. */
  async waitForNotification(
    predicate: (n: { method: string; params: any }) => boolean,
    timeoutMs = 30_000,
  ): Promise<{ method: string; params: any }> {
    const found = () => this.notifications.find(predicate);
    if (found()) return found() as { method: string; params: any };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching notification\n${this.stderr}`)), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
    return found() as { method: string; params: any };
  }

  static async start(
    binary: string,
    options: { codexHome: string; cwd: string; experimentalApi?: boolean },
  ): Promise<StdioAppServer> {
    const child = spawn(binary, ["app-server"], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", HOME: options.codexHome, CODEX_HOME: options.codexHome, RUST_LOG: "warn" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const server = new StdioAppServer(child);
    const init = await server.request("initialize", {
      clientInfo: { name: "switchyard-interop", title: null, version: "0.0.0" },
      capabilities: { experimentalApi: options.experimentalApi ?? true },
    });
    if (init.error) throw new Error(`initialize failed: ${init.error.message}\n${server.stderr}`);
    return server;
  }

  request(method: string, params: unknown, timeoutMs = 30_000): Promise<StdioReply> {
    const id = this.nextId++;
    return new Promise<StdioReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out\n${this.stderr}`)), timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.stdin?.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  get log(): string {
    return this.stderr;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
