import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import {
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { type EgressPolicy, egressPolicy, type HostResolver } from "@switchyard/runtime";
import { channelFor, closeUpstreamClients, loadUpstreamThreadConfig, parseEndpoint, ThreadConfigLoadError } from "./client.js";
import { type LoadThreadConfigRequestMessage, type LoadThreadConfigResponseMessage, threadConfigLoaderService } from "./proto.js";
import { sessionConfigToProto } from "./session-config-codec.js";

/** The tests' upstream endpoints listen on loopback, which a deployment's policy refuses unless allowed. */
const LOOPBACK_ALLOWED = egressPolicy(["private"], ["loopback"]);

// A scripted upstream: the request's cwd picks the behaviour.
const seen: { path: string; threadId: string | undefined; cwd: string | undefined }[] = [];
const hanging: (() => void)[] = [];
/** The `:authority` of each call, in order. */
const hosts: string[] = [];
const upstream = new Server();
let port = 0;

function failure(code: status, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

const scripted: Record<string, () => LoadThreadConfigResponseMessage | ServerErrorResponse | "hang"> = {
  "/ok": () => ({
    sources: [
      {
        session: sessionConfigToProto({
          model_provider: "orchestrator",
          model_providers: {
            orchestrator: { name: "Orchestrator", base_url: "http://gw.internal/v1", supports_websockets: true },
          },
          features: { tools: true },
        }),
      },
      { user: {} },
    ],
  }),
  "/empty": () => ({}),
  "/unauthenticated": () => failure(status.UNAUTHENTICATED, "missing token"),
  "/permission-denied": () => failure(status.PERMISSION_DENIED, "not your workspace"),
  "/internal": () => failure(status.INTERNAL, "boom"),
  "/unavailable": () => failure(status.UNAVAILABLE, "draining"),
  "/hang": () => "hang",
  "/malformed": () => ({
    sources: [{ session: { model_providers: [{ id: "", name: "No id", wire_api: "WIRE_API_RESPONSES" }] } }],
  }),
  "/unknown-wire-api": () => ({ sources: [{ session: { model_providers: [{ id: "x", wire_api: 9 }] } }] }),
};

before(async () => {
  upstream.addService(threadConfigLoaderService, {
    Load: (
      call: ServerUnaryCall<LoadThreadConfigRequestMessage, LoadThreadConfigResponseMessage>,
      callback: sendUnaryData<LoadThreadConfigResponseMessage>,
    ) => {
      const request = call.request;
      seen.push({ path: call.getPath(), threadId: request.thread_id ?? undefined, cwd: request.cwd ?? undefined });
      hosts.push(call.getHost());
      const behaviour = scripted[request.cwd ?? ""];
      const outcome = behaviour ? behaviour() : failure(status.NOT_FOUND, "no script");
      if (outcome === "hang") {
        hanging.push(() => callback(null, {}));
        return;
      }
      if (outcome instanceof Error) callback(outcome);
      else callback(null, outcome);
    },
  });
  port = await new Promise<number>((resolve, reject) =>
    upstream.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
});

after(() => {
  closeUpstreamClients();
  upstream.forceShutdown();
});

const endpoint = () => `http://127.0.0.1:${port}`;

async function loadError(
  cwd: string,
  options: { endpoint?: string; timeoutMs?: number; egress?: EgressPolicy } = {},
): Promise<ThreadConfigLoadError> {
  try {
    await loadUpstreamThreadConfig(
      options.endpoint ?? endpoint(),
      { threadId: null, cwd },
      { timeoutMs: options.timeoutMs ?? 2_000, egress: options.egress ?? LOOPBACK_ALLOWED },
    );
  } catch (error) {
    assert.ok(error instanceof ThreadConfigLoadError, `expected ThreadConfigLoadError, got ${String(error)}`);
    return error;
  }
  assert.fail(`loading ${cwd} should have failed`);
}

test("success: the session source comes back TOML-shaped, with the user source noted", async () => {
  const result = await loadUpstreamThreadConfig(
    endpoint(),
    { threadId: "thr_9", cwd: "/ok" },
    { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED },
  );
  assert.deepEqual(result, {
    session: {
      model_provider: "orchestrator",
      model_providers: {
        orchestrator: {
          name: "Orchestrator",
          base_url: "http://gw.internal/v1",
          wire_api: "responses",
          requires_openai_auth: false,
          supports_websockets: true,
        },
      },
      features: { tools: true },
    },
    user: true,
  });
  assert.deepEqual(seen.at(-1), {
    path: "/codex.thread_config.v1.ThreadConfigLoader/Load",
    threadId: "thr_9",
    cwd: "/ok",
  });
});

test("a null thread id or cwd is not sent at all", async () => {
  await loadUpstreamThreadConfig(endpoint(), { threadId: null, cwd: "/empty" }, { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED });
  assert.deepEqual(seen.at(-1), { path: "/codex.thread_config.v1.ThreadConfigLoader/Load", threadId: undefined, cwd: "/empty" });
});

test("an empty response means no session config", async () => {
  assert.deepEqual(
    await loadUpstreamThreadConfig(endpoint(), { threadId: null, cwd: "/empty" }, { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED }),
    {
      session: null,
      user: false,
    },
  );
});

test("an endpoint the egress policy refuses is never called: requestFailed, saying why", async () => {
  const calls = seen.length;
  const refused = await loadError("/ok", { egress: egressPolicy(["private"], []) });
  assert.equal(refused.kind, "requestFailed");
  assert.equal(
    refused.message,
    "failed to connect to remote thread config loader: the address 127.0.0.1 is not allowed by this deployment's egress policy",
  );
  const byName = await loadError("/ok", { endpoint: `http://localhost:${port}`, egress: egressPolicy(["private"], []) });
  assert.match(
    byName.message,
    /: localhost resolves to (127\.0\.0\.1|::1), which this deployment's egress policy does not allow$/,
  );
  assert.equal(seen.length, calls, "the upstream saw no call");
});

test("the channel dials the address that was checked, never the name: grpc-js does not resolve it again", async () => {
  // A name only the checking resolver knows: had grpc-js been given the name, it could not have
  // resolved it, and a name that answered differently the second time (DNS rebinding) would get past.
  const answers: Record<string, string> = { "config.tenant.test": "127.0.0.1", "rebound.tenant.test": "169.254.169.254" };
  const resolve: HostResolver = async (name) => (answers[name] ? [{ address: answers[name] as string, family: 4 }] : []);
  const calls = seen.length;
  const result = await loadUpstreamThreadConfig(
    `http://config.tenant.test:${port}`,
    { threadId: "thr_pinned", cwd: "/ok" },
    { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED, resolve },
  );
  assert.equal(result.user, true);
  assert.equal(seen.length, calls + 1);
  assert.equal(hosts.at(-1), `config.tenant.test:${port}`, "the name still goes in :authority");
  let refused: unknown;
  try {
    await loadUpstreamThreadConfig(
      `http://rebound.tenant.test:${port}`,
      { threadId: null, cwd: "/ok" },
      { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED, resolve },
    );
  } catch (error) {
    refused = error;
  }
  assert.ok(refused instanceof ThreadConfigLoadError);
  assert.equal(
    refused.message,
    "failed to connect to remote thread config loader: rebound.tenant.test resolves to 169.254.169.254, which this deployment's egress policy does not allow",
  );
  assert.equal(seen.length, calls + 1, "the refused endpoint saw no call");
});

test("a channel's target and options: the address (IPv4 or IPv6), the name as authority and, over TLS, as the server name", () => {
  assert.deepEqual(channelFor(parseEndpoint("https://config.example.com/any/path"), { address: "203.0.113.9", family: 4 }), {
    target: "ipv4:203.0.113.9:443",
    options: { "grpc.default_authority": "config.example.com:443", "grpc.ssl_target_name_override": "config.example.com" },
  });
  assert.deepEqual(channelFor(parseEndpoint("http://config.example.com:8443"), { address: "2001:db8::7", family: 6 }), {
    target: "ipv6:[2001:db8::7]:8443",
    options: { "grpc.default_authority": "config.example.com:8443" },
  });
  // An endpoint that is an address is dialled as it is; so is a name that did not resolve.
  assert.deepEqual(channelFor(parseEndpoint("https://[2001:db8::7]"), { address: "2001:db8::7", family: 6 }), {
    target: "[2001:db8::7]:443",
    options: {},
  });
  assert.deepEqual(channelFor(parseEndpoint("http://nowhere.invalid:80"), undefined), {
    target: "nowhere.invalid:80",
    options: {},
  });
});

test("UNAUTHENTICATED and PERMISSION_DENIED are auth errors", async () => {
  const unauthenticated = await loadError("/unauthenticated");
  assert.equal(unauthenticated.kind, "auth");
  assert.equal(unauthenticated.message, 'remote thread config request failed: status: Unauthenticated, message: "missing token"');
  const denied = await loadError("/permission-denied");
  assert.equal(denied.kind, "auth");
  assert.match(denied.message, /status: PermissionDenied, message: "not your workspace"/);
});

test("a handler that never answers is a timeout, within the deadline", async () => {
  const startedAt = Date.now();
  const error = await loadError("/hang", { timeoutMs: 300 });
  const elapsed = Date.now() - startedAt;
  assert.equal(error.kind, "timeout");
  assert.match(error.message, /^remote thread config request failed: status: DeadlineExceeded/);
  assert.ok(elapsed >= 250 && elapsed < 1_500, `gave up after ${elapsed} ms`);
  for (const release of hanging.splice(0)) release();
});

test("INTERNAL (and any other status) is requestFailed", async () => {
  const internal = await loadError("/internal");
  assert.equal(internal.kind, "requestFailed");
  assert.equal(internal.message, 'remote thread config request failed: status: Internal, message: "boom"');
  assert.equal((await loadError("/unavailable")).kind, "requestFailed");
  assert.equal((await loadError("/not-scripted")).kind, "requestFailed");
});

test("a malformed provider is a parse error", async () => {
  const noId = await loadError("/malformed");
  assert.equal(noId.kind, "parse");
  assert.match(noId.message, /model provider without an id/);
  const wireApi = await loadError("/unknown-wire-api");
  assert.equal(wireApi.kind, "parse");
  assert.match(wireApi.message, /unknown wire_api: 9/);
});

test("a path in the endpoint is ignored, as Codex ignores it", async () => {
  const result = await loadUpstreamThreadConfig(
    `${endpoint()}/tenants/acme/thread-config?x=1`,
    { threadId: null, cwd: "/ok" },
    { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED },
  );
  assert.equal(result.session?.model_provider, "orchestrator");
  assert.equal(seen.at(-1)?.path, "/codex.thread_config.v1.ThreadConfigLoader/Load");
});

test("nothing listening, or an unusable endpoint, is requestFailed (never a silent empty config)", async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
  const refused = await loadError("/ok", { endpoint: `http://127.0.0.1:${closedPort}` });
  assert.equal(refused.kind, "requestFailed");
  assert.match(refused.message, /status: Unavailable/);

  const notUrl = await loadError("/ok", { endpoint: "127.0.0.1 port 50051" });
  assert.equal(notUrl.kind, "requestFailed");
  assert.match(notUrl.message, /^failed to connect to remote thread config loader: invalid endpoint/);
  assert.equal((await loadError("/ok", { endpoint: "ftp://127.0.0.1:21" })).kind, "requestFailed");
});
