import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { egressPolicy } from "@switchyard/runtime";
import { closeUpstreamClients, loadUpstreamThreadConfig } from "./client.js";
import {
  type LoadThreadConfigRequestMessage,
  type LoadThreadConfigResponseMessage,
  loadMethodPath,
  threadConfigLoaderService,
} from "./proto.js";
import { loadResponseFor, type SessionConfigLookup, ThreadConfigServer } from "./server.js";
import { type SessionConfigToml, sessionConfigFromSources } from "./session-config-codec.js";

/** The tests' upstream endpoints listen on loopback, which a deployment's policy refuses unless allowed. */
const LOOPBACK_ALLOWED = egressPolicy(["private"], ["loopback"]);

const load = threadConfigLoaderService.Load;
const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

/** A raw grpc-js call, as Codex makes it: plaintext HTTP/2, no metadata. */
function callLoad(
  port: number,
  request: LoadThreadConfigRequestMessage,
): Promise<{ error: ServiceError | null; response: LoadThreadConfigResponseMessage | undefined }> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      loadMethodPath,
      load.requestSerialize,
      load.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + 5_000 },
      (error, response) => {
        client.close();
        resolve({ error, response });
      },
    );
  });
}

function providerConfig(providerId: string, baseUrl: string): SessionConfigToml {
  return {
    model_provider: providerId,
    model_providers: { [providerId]: { name: providerId, base_url: baseUrl, wire_api: "responses" } },
    features: { plugins: false },
  };
}

const configs: Record<string, Record<string, SessionConfigToml>> = {
  acme: { "/work/acme": providerConfig("acme-gw", "http://acme.internal/v1") },
  globex: { "/work/globex": providerConfig("globex-gw", "http://globex.internal/v1") },
};

const lookups: { tenant: string; threadId: string | null; cwd: string | null }[] = [];
const lookup: SessionConfigLookup = async (tenant, request) => {
  lookups.push({ tenant, ...request });
  if (request.cwd === "/broken") throw new Error("connection terminated unexpectedly");
  if (request.cwd === "/invalid") return { model_providers: { bad: { wire_api: "chat" as "responses" } } };
  const byThread = request.threadId === null ? undefined : configs[tenant]?.[`thread:${request.threadId}`];
  return byThread ?? (request.cwd === null ? null : (configs[tenant]?.[request.cwd] ?? null));
};

const server = new ThreadConfigServer({ lookup, log: silentLog, shutdownGraceMs: 1_000 });
after(async () => {
  closeUpstreamClients();
  await server.close();
});

test("each tenant's listener answers only that tenant's config", async () => {
  const acmePort = await server.listenTenant("acme", "127.0.0.1", 0);
  const globexPort = await server.listenTenant("globex", "127.0.0.1", 0);
  assert.notEqual(acmePort, globexPort);
  assert.deepEqual(
    server.tenants().sort((a, b) => a.tenant.localeCompare(b.tenant)),
    [
      { tenant: "acme", port: acmePort },
      { tenant: "globex", port: globexPort },
    ],
  );

  lookups.length = 0;
  const acme = await callLoad(acmePort, { cwd: "/work/acme" });
  assert.equal(acme.error, null);
  assert.deepEqual(sessionConfigFromSources(acme.response?.sources ?? []), {
    session: {
      model_provider: "acme-gw",
      model_providers: {
        "acme-gw": {
          name: "acme-gw",
          base_url: "http://acme.internal/v1",
          wire_api: "responses",
          requires_openai_auth: false,
          supports_websockets: false,
        },
      },
      features: { plugins: false },
    },
    user: false,
  });
  assert.equal(acme.response?.sources?.length, 1, "exactly one source");
  assert.equal(acme.response?.sources?.[0]?.source, "session");

  // The other tenant's workspace path, asked on acme's listener, finds nothing.
  const crossed = await callLoad(acmePort, { cwd: "/work/globex" });
  assert.equal(crossed.error, null);
  assert.deepEqual(crossed.response?.sources ?? [], []);

  const globex = await callLoad(globexPort, { cwd: "/work/globex", thread_id: "thr_1" });
  assert.equal(globex.error, null);
  assert.equal(sessionConfigFromSources(globex.response?.sources ?? []).session?.model_provider, "globex-gw");

  assert.deepEqual(lookups, [
    { tenant: "acme", threadId: null, cwd: "/work/acme" },
    { tenant: "acme", threadId: null, cwd: "/work/globex" },
    { tenant: "globex", threadId: "thr_1", cwd: "/work/globex" },
  ]);
});

test("listening again for a tenant keeps its listener; moving it needs a stop first", async () => {
  const port = await server.listenTenant("acme", "127.0.0.1", 0);
  assert.equal(await server.listenTenant("acme", "127.0.0.1", 0), port);
  assert.equal(await server.listenTenant("acme", "127.0.0.1", port), port);
  await assert.rejects(server.listenTenant("acme", "127.0.0.1", port === 65_535 ? 65_534 : port + 1), /stop it/);
});

test("a port already taken is refused, and the tenant is left without a listener", async () => {
  const acmePort = await server.listenTenant("acme", "127.0.0.1", 0);
  await assert.rejects(server.listenTenant("initech", "127.0.0.1", acmePort), /cannot open the thread-config listener/);
  assert.equal(
    server.tenants().some((entry) => entry.tenant === "initech"),
    false,
  );
});

test("no matching config answers no sources", async () => {
  const port = await server.listenTenant("acme", "127.0.0.1", 0);
  const { error, response } = await callLoad(port, { cwd: "/somewhere/else" });
  assert.equal(error, null);
  assert.deepEqual(response?.sources ?? [], []);
  const bare = await callLoad(port, {});
  assert.equal(bare.error, null);
  assert.deepEqual(bare.response?.sources ?? [], []);
});

test("a failing lookup answers UNAVAILABLE without leaking the cause", async () => {
  const port = await server.listenTenant("acme", "127.0.0.1", 0);
  const { error } = await callLoad(port, { cwd: "/broken" });
  assert.equal(error?.code, status.UNAVAILABLE);
  assert.match(error?.details ?? "", /temporarily unavailable/);
  assert.doesNotMatch(error?.details ?? "", /connection terminated/);
});

test("a stored config Codex would refuse answers FAILED_PRECONDITION naming the field", async () => {
  const port = await server.listenTenant("acme", "127.0.0.1", 0);
  const { error } = await callLoad(port, { cwd: "/invalid" });
  assert.equal(error?.code, status.FAILED_PRECONDITION);
  assert.match(error?.details ?? "", /model_providers\.bad\.wire_api/);
});

test("stopTenant closes the tenant's port and leaves the others open", async () => {
  const port = await server.listenTenant("umbrella", "127.0.0.1", 0);
  const globexPort = await server.listenTenant("globex", "127.0.0.1", 0);
  assert.equal((await callLoad(port, { cwd: "/x" })).error, null);

  await server.stopTenant("umbrella");
  assert.equal(
    server.tenants().some((entry) => entry.tenant === "umbrella"),
    false,
  );
  const refused = await callLoad(port, { cwd: "/x" });
  assert.equal(refused.error?.code, status.UNAVAILABLE);
  // The port is really released: a plain TCP server can take it.
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(port, "127.0.0.1", resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  assert.equal((await callLoad(globexPort, { cwd: "/work/globex" })).error, null);
  await server.stopTenant("umbrella"); // stopping twice is harmless
});

test("loadResponseFor: one session source, or none", () => {
  assert.deepEqual(loadResponseFor(null), { sources: [] });
  const response = loadResponseFor({ model_provider: "p" });
  assert.deepEqual(response, { sources: [{ session: { model_provider: "p" } }] });
});

test("close stops every listener and refuses new ones", async () => {
  const closing = new ThreadConfigServer({ lookup, log: silentLog, shutdownGraceMs: 500 });
  const first = await closing.listenTenant("a", "127.0.0.1", 0);
  await closing.listenTenant("b", "127.0.0.1", 0);
  await closing.close();
  assert.deepEqual(closing.tenants(), []);
  assert.equal((await callLoad(first, { cwd: "/x" })).error?.code, status.UNAVAILABLE);
  await assert.rejects(closing.listenTenant("a", "127.0.0.1", 0), /closed/);
});

test("our own client reads what our server serves, through a tenant's listener", async () => {
  const port = await server.listenTenant("globex", "127.0.0.1", 0);
  const endpoint = `http://127.0.0.1:${port}/ignored/path`;
  const loaded = await loadUpstreamThreadConfig(
    endpoint,
    { threadId: null, cwd: "/work/globex" },
    { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED },
  );
  assert.equal(loaded.session?.model_providers?.["globex-gw"]?.base_url, "http://globex.internal/v1");
  assert.equal(loaded.user, false);
  await assert.rejects(
    loadUpstreamThreadConfig(endpoint, { threadId: null, cwd: "/broken" }, { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED }),
    (error: unknown) => error instanceof Error && "kind" in error && error.kind === "requestFailed",
  );
});
