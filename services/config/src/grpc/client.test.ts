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
import { type EgressPolicy, egressPolicy } from "@switchyard/runtime";
import { closeUpstreamClients, loadUpstreamThreadConfig, ThreadConfigLoadError } from "./client.js";
import { type LoadThreadConfigRequestMessage, type LoadThreadConfigResponseMessage, threadConfigLoaderService } from "./proto.js";
import { sessionConfigToProto } from "./session-config-codec.js";

/** The tests' upstream endpoints listen on loopback, which a deployment's policy refuses unless allowed. */
const LOOPBACK_ALLOWED = egressPolicy(["private"], ["loopback"]);

// A scripted upstream: the request's cwd picks the behaviour.
const seen: { path: string; threadId: string | undefined; cwd: string | undefined }[] = [];
const hanging: (() => void)[] = [];
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
