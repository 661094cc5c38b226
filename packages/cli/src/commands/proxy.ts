// `switchyard proxy`: like `codex app-server proxy`, bridges a client that speaks the Codex app-server
// over stdio (JSON lines) to Switchyard's gateway over WebSocket. Every complete JSON line on stdin
// becomes one text frame; every frame from the gateway becomes one line on stdout, unchanged. Only
// server messages go to stdout; everything else goes to stderr.
import { createInterface } from "node:readline";
import WebSocket from "ws";
import type { Command, CommandContext } from "./command.js";

export const DEFAULT_PROXY_URL = "ws://127.0.0.1:4545";
/** Lines read before the socket opens are queued up to this many; past it stdin is paused until it opens. */
export const PROXY_QUEUE_LIMIT = 1024;
/** After stdin ends, how long to wait for replies to requests still outstanding before closing. */
const FLUSH_TIMEOUT_MS = 5_000;
/** While the socket's send buffer holds more than this, stdin is paused. */
const SEND_HIGH_WATER = 4 * 1024 * 1024;

export interface ProxyOptions {
  url: string;
  token?: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  flushTimeoutMs?: number;
}

function idKey(id: unknown): string | undefined {
  return typeof id === "string" || typeof id === "number" ? JSON.stringify(id) : undefined;
}

/** Runs the bridge until stdin ends or the socket closes; resolves with the process exit code. */
export function runProxy(options: ProxyOptions, context: Pick<CommandContext, "printError">): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const flushTimeoutMs = options.flushTimeoutMs ?? FLUSH_TIMEOUT_MS;
  const diag = (text: string) => context.printError(`switchyard proxy: ${text}`);

  return new Promise<number>((resolve) => {
    let finished = false;
    let open = false;
    let stdinEnded = false;
    let closingAfterStdin = false;
    let stdinPaused = false;
    let socketPaused = false;
    let flushTimer: NodeJS.Timeout | undefined;
    const queue: string[] = [];
    /** Ids of client requests not yet answered. */
    const outstanding = new Set<string>();

    const headers: Record<string, string> = {};
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    // No `origin` option: ws sends no Origin header, as a non-browser client should.
    const socket = new WebSocket(options.url, { headers, perMessageDeflate: false });
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });

    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      if (flushTimer) clearTimeout(flushTimer);
      lines.close();
      // Let stdout drain before the caller exits.
      const done = () => resolve(code);
      if ((output as NodeJS.WritableStream & { writableNeedDrain?: boolean }).writableNeedDrain) output.once("drain", done);
      else done();
    };

    const pauseStdin = () => {
      if (stdinPaused || stdinEnded) return;
      stdinPaused = true;
      lines.pause();
    };
    const resumeStdin = () => {
      if (!stdinPaused) return;
      stdinPaused = false;
      lines.resume();
    };

    const closeIfFlushed = () => {
      if (!stdinEnded || !open || closingAfterStdin) return;
      if (queue.length > 0 || outstanding.size > 0) return;
      closingAfterStdin = true;
      socket.close(1000, "stdin closed");
      setTimeout(() => socket.terminate(), 2_000).unref();
    };

    const send = (text: string) => {
      socket.send(text, { binary: false });
      if (socket.bufferedAmount > SEND_HIGH_WATER) {
        pauseStdin();
        const check = () => {
          if (finished) return;
          if (socket.bufferedAmount <= SEND_HIGH_WATER / 2) resumeStdin();
          else setTimeout(check, 20);
        };
        setTimeout(check, 20);
      }
    };

    lines.on("line", (raw) => {
      const line = raw.trim();
      if (line === "") return;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        // As Codex does: no reply, the session stays open.
        diag(`ignoring a line that is not JSON (${line.length} characters)`);
        return;
      }
      if (message && typeof message === "object" && !Array.isArray(message)) {
        const record = message as Record<string, unknown>;
        const key = idKey(record.id);
        if (typeof record.method === "string" && key !== undefined) outstanding.add(key);
      }
      if (open) {
        send(line);
        return;
      }
      queue.push(line);
      if (queue.length >= PROXY_QUEUE_LIMIT) pauseStdin();
    });

    const afterStdinEnded = () => {
      if (finished || !open || flushTimer) return;
      flushTimer = setTimeout(() => {
        if (outstanding.size > 0)
          diag(`stdin closed; ${outstanding.size} request(s) still unanswered after ${flushTimeoutMs} ms`);
        outstanding.clear();
        queue.length = 0;
        closeIfFlushed();
      }, flushTimeoutMs);
      closeIfFlushed();
    };

    lines.on("close", () => {
      if (finished) return;
      stdinEnded = true;
      // Without a socket yet, the flush starts once it opens (or the failure to connect is reported).
      afterStdinEnded();
    });

    socket.on("open", () => {
      open = true;
      for (const line of queue.splice(0)) send(line);
      if (stdinEnded) afterStdinEnded();
      else resumeStdin();
    });

    socket.on("message", (data, isBinary) => {
      let text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
      if (isBinary) diag("received a binary frame; writing it as text");
      if (text.includes("\n")) {
        // One message per line: re-serialize a pretty-printed value (whitespace only).
        try {
          text = JSON.stringify(JSON.parse(text));
        } catch {
          text = text.replace(/\r?\n/g, " ");
        }
      }
      try {
        const message = JSON.parse(text) as Record<string, unknown>;
        const key = idKey(message?.id);
        if (key !== undefined && message.method === undefined && outstanding.delete(key)) closeIfFlushed();
      } catch {
        // not JSON: passed through as is
      }
      if (!output.write(`${text}\n`) && !socketPaused) {
        // stdout is not draining: stop reading the socket (TCP backpressure reaches the gateway).
        socketPaused = true;
        socket.pause();
        output.once("drain", () => {
          socketPaused = false;
          socket.resume();
        });
      }
    });

    socket.on("unexpected-response", (_request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8").trim();
        diag(
          `the gateway refused the connection: HTTP ${response.statusCode} ${response.statusMessage ?? ""}`.trimEnd() +
            (body ? `: ${body}` : ""),
        );
        socket.terminate();
        finish(1);
      });
      response.on("error", () => finish(1));
    });

    socket.on("error", (error) => {
      if (finished) return;
      diag(`${open ? "connection error" : `cannot connect to ${options.url}`}: ${error.message}`);
      if (!open) finish(1);
    });

    socket.on("close", (code, reason) => {
      if (finished) return;
      const why = reason.toString("utf8");
      // Normal after stdin ended: our close (even if the handshake had to be cut) or the gateway's 1000.
      if (stdinEnded && (closingAfterStdin || code === 1000 || code === 1005)) {
        finish(0);
        return;
      }
      diag(`the gateway closed the connection (code ${code}${why ? `, reason: ${why}` : ""})`);
      finish(1);
    });
  });
}

export const proxyCommand: Command = {
  name: "proxy",
  summary: "bridge a stdio app-server client (JSON lines on stdin/stdout) to the gateway",
  options: {
    url: { type: "string", description: `gateway WebSocket URL (default: SWITCHYARD_URL, ${DEFAULT_PROXY_URL})` },
    token: { type: "string", description: "bearer token (default: SWITCHYARD_TOKEN)" },
  },
  details: [
    "Like `codex app-server proxy`: each JSON line on stdin is sent as one text frame; each message from",
    "the gateway (responses, notifications, server requests) is written unchanged as one line on stdout.",
    "Lines that are not JSON get no reply; blank lines are ignored; diagnostics go to stderr.",
    `Up to ${PROXY_QUEUE_LIMIT} lines are queued before the connection opens; past that, stdin is paused.`,
    `When stdin ends, outstanding requests get up to ${FLUSH_TIMEOUT_MS / 1000} s to be answered, then the`,
    "socket is closed (1000) and the exit code is 0. A refused upgrade (401/403) or a socket the gateway",
    "closes exits 1 with the reason on stderr.",
  ].join("\n"),
  async run(options, context) {
    const url = (options.url as string | undefined) || process.env.SWITCHYARD_URL || DEFAULT_PROXY_URL;
    const token = (options.token as string | undefined) || process.env.SWITCHYARD_TOKEN;
    return runProxy({ url, token: token || undefined }, context);
  },
};
