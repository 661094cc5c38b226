// Raw TCP against the gateway: upgrade requests with arbitrary Authorization bytes (node's HTTP
// client refuses to send most of them), half-open sockets that stall mid-upgrade or mid-frame, and
// a websocket that stops reading. Loopback only.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { CodexTestClient } from "../harness/client.js";
import { openClient } from "./connection.js";

function hostAndPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (host !== "127.0.0.1" && host !== "::1" && host !== "localhost") throw new Error(`fuzzing only loopback, not ${host}`);
  return { host, port: Number(parsed.port) };
}

function upgradeHead(url: string): string {
  const { host, port } = hostAndPort(url);
  return [
    "GET / HTTP/1.1",
    `Host: ${host}:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    "Sec-WebSocket-Version: 13",
  ].join("\r\n");
}

export type UpgradeAnswer = { status: number; body: string } | { status: "closed" | "timeout" | "error"; body: string };

/** Sends one upgrade request with these raw Authorization values and reads the status and body. */
export function rawUpgrade(url: string, authorization: Buffer[], timeoutMs = 5_000): Promise<UpgradeAnswer> {
  const { host, port } = hostAndPort(url);
  const head = Buffer.concat([
    Buffer.from(upgradeHead(url)),
    ...authorization.flatMap((value) => [Buffer.from("\r\nAuthorization: "), value]),
    Buffer.from("\r\n\r\n"),
  ]);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (answer: UpgradeAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ status: "timeout", body: "" }), timeoutMs);
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headerEnd = received.indexOf("\r\n\r\n");
      if (headerEnd === -1) return;
      const headerText = received.subarray(0, headerEnd).toString("latin1");
      const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(headerText)?.[1] ?? 0);
      if (status === 101) return finish({ status, body: "" });
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headerText)?.[1] ?? Number.NaN);
      const body = received.subarray(headerEnd + 4);
      if (Number.isNaN(length) || body.length >= length) finish({ status, body: body.toString("utf8") });
    });
    socket.on("end", () => {
      const headerEnd = received.indexOf("\r\n\r\n");
      if (headerEnd === -1) return finish({ status: "closed", body: received.toString("latin1").slice(0, 200) });
      const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(received.toString("latin1"))?.[1] ?? 0);
      finish({ status, body: received.subarray(headerEnd + 4).toString("utf8") });
    });
    socket.on("error", (error) => finish({ status: received.length > 0 ? "closed" : "error", body: String(error) }));
    socket.on("close", () => finish({ status: "closed", body: received.toString("latin1").slice(0, 200) }));
  });
}

export type HalfOpenKind = "connect-only" | "partial-upgrade-head" | "stalled-after-upgrade";

/** Sockets that never finish what they start, held open while the flood runs. */
export class HalfOpenSockets {
  private readonly sockets: { kind: HalfOpenKind; socket: Socket; closedByServer: boolean }[] = [];

  static async open(url: string, token: string, count: number): Promise<HalfOpenSockets> {
    const set = new HalfOpenSockets();
    const { host, port } = hostAndPort(url);
    const kinds: HalfOpenKind[] = ["connect-only", "partial-upgrade-head", "stalled-after-upgrade"];
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const kind = kinds[index % kinds.length] as HalfOpenKind;
        const socket = connect({ host, port });
        const entry = { kind, socket, closedByServer: false };
        set.sockets.push(entry);
        socket.on("error", () => {});
        socket.on("close", () => {
          entry.closedByServer = true;
        });
        await new Promise<void>((resolve) => {
          socket.once("connect", () => resolve());
          socket.once("close", () => resolve());
        });
        if (kind === "partial-upgrade-head") socket.write(`${upgradeHead(url)}\r\nAuthorization: Bearer ${token.slice(0, 8)}`);
        if (kind === "stalled-after-upgrade") {
          socket.write(`${upgradeHead(url)}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
          await Promise.race([new Promise((resolve) => socket.once("data", resolve)), sleep(2_000)]);
          socket.write(Buffer.from([0x81, 0xfe, 0x10])); // a masked text frame announcing a 16-bit length, then nothing
        }
      }),
    );
    return set;
  }

  get count(): number {
    return this.sockets.length;
  }

  /** How many the server closed by itself, per kind. */
  closedByServer(): Record<HalfOpenKind, number> {
    const counts: Record<HalfOpenKind, number> = { "connect-only": 0, "partial-upgrade-head": 0, "stalled-after-upgrade": 0 };
    for (const entry of this.sockets) if (entry.closedByServer) counts[entry.kind]++;
    return counts;
  }

  close(): void {
    for (const entry of this.sockets) {
      entry.socket.removeAllListeners("close");
      entry.socket.destroy();
    }
  }
}

/** A websocket that asks for a lot and then stops reading; the gateway may drop it (1013). */
export class NonReadingWebSocket {
  private constructor(
    readonly client: CodexTestClient,
    readonly requested: number,
  ) {}

  static async open(url: string, token: string, requests: number): Promise<NonReadingWebSocket> {
    const client = await openClient(url, { token, name: "fuzz-non-reading" });
    const raw = (client.socket as unknown as { _socket: { pause(): void } })._socket;
    raw.pause();
    for (let index = 0; index < requests; index++) {
      void client.request(
        index % 2 === 0 ? "config/read" : "thread/list",
        index % 2 === 0 ? { includeLayers: true } : { limit: 50 },
      );
    }
    return new NonReadingWebSocket(client, requests);
  }

  get closeCode(): number | undefined {
    return this.client.closeCode;
  }

  close(): void {
    this.client.socket.terminate();
  }
}
