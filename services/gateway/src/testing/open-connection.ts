// A client connection for the gateway's unit tests: a fake socket, no limits, silent logs, initialized
// (unless told not to), a router that answers what the test says (by default none: nothing is
// routed), no read cache unless given one, and a fanout that only records, in order, what the
// connection subscribed to and left (`subscriptions`).
import { busSubjects, type ServerRequestAnswer } from "@switchyard/protocol";
import { createLogger, LogLimiter } from "@switchyard/runtime";
import type { BusRouter } from "../bus-router.js";
import { ClientConnection } from "../connection.js";
import { TenantInFlight } from "../limits/tenant-in-flight.js";
import { localMethods } from "../local-methods.js";
import type { ReadCache } from "../read-cache.js";
import { FakeSocket } from "./fake-socket.js";

export function openConnection(
  options: {
    optOut?: string[];
    maxOutboundBytes?: number;
    initialize?: boolean;
    /** Initialize with the experimentalApi capability (default false). */
    experimentalApi?: boolean;
    router?: BusRouter;
    readCache?: ReadCache;
  } = {},
) {
  const socket = new FakeSocket();
  const answers: { token: string; answer: ServerRequestAnswer }[] = [];
  const subscriptions: string[] = [];
  const log = createLogger({ service: "gateway-test", instanceId: "t", level: "silent" });
  const connection = new ClientConnection(
    "gw1/conn1",
    socket,
    { tenant: "acme", subject: "ann", roles: [] },
    {
      maxInFlight: 8,
      maxOutboundBytes: options.maxOutboundBytes ?? 1_000_000,
      requestTimeoutMs: 1_000,
      modelRequestTimeoutMs: 1_000,
      codexHome: "/home",
      serverVersion: "0.0.0",
      installationId: "test",
    },
    {
      router: options.router ?? ({} as BusRouter),
      readCache: options.readCache,
      localMethods: localMethods({ tenantRequestsInFlight: () => 0, installationId: "switchyard-test" }),
      fanout: {
        add: (subject) => subscriptions.push(`+${subject}`),
        remove: (subject) => subscriptions.push(`-${subject}`),
      },
      subjects: busSubjects("t"),
      onClosed: () => {},
      answerServerRequest: (token, answer) => answers.push({ token, answer }),
      requestLimitBytes: () => 10_000,
      log,
      badInputLog: new LogLimiter(log),
      admitRequest: () => undefined, // no limits here
      tenantInFlight: new TenantInFlight(),
      maxTenantInFlight: () => 8,
    },
  );
  const text = (value: unknown) => {
    const frame = typeof value === "string" ? value : JSON.stringify(value);
    connection.onText(frame, Buffer.byteLength(frame));
  };
  if (options.initialize === false) return { socket, connection, answers, subscriptions, text };
  text({
    id: 1,
    method: "initialize",
    params: {
      clientInfo: { name: "test", version: "1" },
      capabilities: { experimentalApi: options.experimentalApi ?? false, optOutNotificationMethods: options.optOut ?? null },
    },
  });
  socket.take(); // the initialize result and remoteControl/status/changed
  return { socket, connection, answers, subscriptions, text };
}
