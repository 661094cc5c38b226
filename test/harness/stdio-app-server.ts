// A real `codex app-server` over stdio (JSON lines), for interop tests that use the binary as a
// server: requests with ids, replies matched by id, notifications kept in order.
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
  private stderr = "";

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      let message: any;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof message.id === "number" && ("result" in message || "error" in message)) {
        this.pending.get(message.id)?.(message as StdioReply);
        this.pending.delete(message.id);
      } else if (typeof message.method === "string" && message.id === undefined) {
        this.notifications.push({ method: message.method, params: message.params });
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
  }

  static async start(binary: string, options: { codexHome: string; cwd: string }): Promise<StdioAppServer> {
    const child = spawn(binary, ["app-server"], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", HOME: options.codexHome, CODEX_HOME: options.codexHome, RUST_LOG: "warn" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const server = new StdioAppServer(child);
    const init = await server.request("initialize", {
      clientInfo: { name: "switchyard-interop", title: null, version: "0.0.0" },
      capabilities: { experimentalApi: true },
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
