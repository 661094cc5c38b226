// Remote control end to end, with the real Codex 0.171.0 app-server as the machine:
//   - it enrolls with the remote-control service (its CODEX_HOME written by connect-machine's code),
//     holds its websocket, and shows up `connected` in its tenant's environment list;
//   - a gateway client relayed to it runs initialize, thread/start (the thread's cwd is the
//     machine's) and thread/list on the machine itself;
//   - another tenant can neither list it, nor relay to it, nor claim its pairing codes;
//   - the backend answers stale enrollments and bad tokens the way that makes Codex recover;
//   - several app-servers of one host enroll apart; statuses errored / connected / connecting /
//     disabled; the machine's clients list and revoke; a revoked user is refused; a `pong` of
//     `unknown` ends a relayed session; row-level security on the `remote_control` tables.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { clientRecordId } from "../services/remote-control/src/auth/secrets.js";
import { attemptUpgrade, CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary } from "./harness/codex-binary.js";
import { type CodexMachine, startCodexMachine } from "./harness/machine.js";
import { askedUnkeyed } from "./harness/redelivery.js";
import { serviceSession } from "./harness/service-session.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const TENANT = "rc-acme";
const OTHER_TENANT = "rc-globex";
/** Short here, so that `connecting` turns `disabled` within a test. */
const RECONNECT_GRACE_MS = 3_000;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The machine-facing HTTP API, called as a Codex app-server calls it: the user's ChatGPT bearer. */
async function machineApi(baseUrl: string, tenant: string, subject: string) {
  const accessToken = await hs256Token({
    sub: subject,
    "https://api.openai.com/auth": { chatgpt_account_id: tenant, chatgpt_user_id: subject },
  });
  const headers = { authorization: `Bearer ${accessToken}`, "chatgpt-account-id": tenant, "content-type": "application/json" };
  const url = (path: string) => `${baseUrl}wham/remote/control/${path}`;
  return {
    post: (path: string, body: unknown) => fetch(url(path), { method: "POST", headers, body: JSON.stringify(body) }),
    get: (path: string) => fetch(url(path), { headers }),
    delete: (path: string) => fetch(url(path), { method: "DELETE", headers }),
    /** A call authenticated by a server token instead (pair, pair/status). */
    withServerToken: (path: string, body: unknown, token: string) =>
      fetch(url(path), {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
  };
}

interface EnrollAnswer {
  server_id: string;
  environment_id: string;
  remote_control_token: string;
  expires_at: string;
}

describe("remote control with a real codex app-server", () => {
  let stack: Stack;
  let machine: CodexMachine;
  let environmentId: string;
  let tokenA: string;
  let tokenB: string;
  /** Two app-servers of one host (one installation id), enrolled over HTTP by the tests below. */
  const HOST_INSTALLATION_ID = "7f1e9a52-5d2c-4c59-9a51-0d9c2f3b1e01";
  let hostEnrollments: { first: EnrollAnswer; second: EnrollAnswer } | undefined;
  const baseUrl = () => stack.remoteControls[0]?.baseUrl as string;
  const machineSocketUrl = () => `${baseUrl().replace(/^http/, "ws")}wham/remote/control/server`;
  const relayUrl = (id: string) => `${stack.url.replace(/\/$/, "")}/environments/${encodeURIComponent(id)}`;

  before(async () => {
    // No thread service: the relayed session runs on the machine, not on Switchyard's threads.
    stack = await startStack("remote_control", {
      threads: 0,
      remoteControls: 1,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      remoteControlEnv: {
        REMOTE_CONTROL_JWT_HS256_SECRET: TEST_HS256_SECRET,
        REMOTE_CONTROL_PAIRING_CLAIMS_PER_MINUTE: "5",
        REMOTE_CONTROL_RECONNECT_GRACE_MS: String(RECONNECT_GRACE_MS),
        // Relayed clients are pinged through the machine twice a second (the `pong`-unknown test).
        REMOTE_CONTROL_CLIENT_PING_INTERVAL_MS: "500",
      },
    });
    tokenA = await hs256Token({ tenant: TENANT, sub: "alice" });
    tokenB = await hs256Token({ tenant: OTHER_TENANT, sub: "mallory" });
    machine = await startCodexMachine({
      binary: ensureCodexBinary("0.171.0"),
      baseUrl: stack.remoteControls[0]?.baseUrl as string,
      tenant: TENANT,
      subject: "alice",
      secret: TEST_HS256_SECRET,
    });
  });
  after(async () => {
    await machine?.stop();
    if (process.env.SWITCHYARD_TEST_SHOW_LOGS && machine) console.log(`--- codex\n${machine.output()}`);
    await stack?.stop();
  });

  test("the machine enrolls and is listed as connected for its tenant only", async () => {
    const client = await CodexTestClient.open(stack.url, { token: tokenA });
    const environment = await waitFor("the environment to be connected", async () => {
      const { data } = await client.call("switchyard/environments/list", {});
      return data.find((entry: { status: string }) => entry.status === "connected");
    });
    environmentId = environment.environmentId;
    assert.match(environmentId, /^env_/);
    assert.equal(environment.os, "linux");
    assert.equal(environment.appServerVersion, "0.171.0");
    await client.close();

    const other = await CodexTestClient.open(stack.url, { token: tokenB });
    assert.deepEqual((await other.call("switchyard/environments/list", {})).data, [], "another tenant sees nothing");
    await other.close();

    const rows = await stack.infra.pool.query("SELECT tenant, token_sha256 FROM remote_control.servers");
    assert.equal(rows.rows.length, 1);
    assert.equal(rows.rows[0].tenant, TENANT, "the tenant is the access token's ChatGPT account");
    assert.equal(rows.rows[0].token_sha256.length, 32, "only the server token's SHA-256 is stored");
  });

  test("a relayed client runs initialize, thread/start and thread/list on the machine itself", async () => {
    const relayed = await CodexTestClient.connect(relayUrl(environmentId), { token: tokenA });
    const init = await relayed.call("initialize", {
      clientInfo: { name: "switchyard-relay-test", title: null, version: "0.171.0" },
      capabilities: { experimentalApi: true },
    });
    assert.equal(init.codexHome, machine.codexHome, "initialize was answered by the machine's app-server");
    const status = await relayed.waitForNotification((n) => n.method === "remoteControl/status/changed");
    assert.equal(status.params.environmentId, environmentId);

    const started = await relayed.call("thread/start", {});
    assert.equal(started.thread.cwd, machine.cwd, "the thread runs in the machine's working directory");
    assert.equal(started.cwd, machine.cwd);
    const listed = await relayed.call("thread/list", {});
    assert.ok(Array.isArray(listed.data));

    // An error from the machine comes back as the machine wrote it.
    const unknown = await relayed.request("thread/read", { threadId: "00000000-0000-0000-0000-000000000000" });
    assert.equal(unknown.error?.code, -32600);
    await relayed.close();
  });

  test("a large request travels in chunks and its answer comes back", async () => {
    const relayed = await CodexTestClient.connect(relayUrl(environmentId), { token: tokenA });
    await relayed.call("initialize", { clientInfo: { name: "chunks", title: null, version: "1" }, capabilities: null });
    // ~300 KiB of params: more than the machine takes in one envelope.
    const listed = await relayed.call("thread/list", { cwd: `/nonexistent/${"x".repeat(300_000)}`, limit: 1 });
    assert.deepEqual(listed.data, []);
    await relayed.close();
  });

  test("another tenant cannot relay to the environment: the same answer as for one that does not exist", async () => {
    const foreign = await attemptUpgrade(relayUrl(environmentId), { authorization: `Bearer ${tokenB}` });
    const missing = await attemptUpgrade(relayUrl("env_doesnotexist"), { authorization: `Bearer ${tokenB}` });
    assert.equal(foreign.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(
      (foreign as { body: string }).body.replace(environmentId, "<id>"),
      (missing as { body: string }).body.replace("env_doesnotexist", "<id>"),
    );
    const unauthenticated = await attemptUpgrade(relayUrl(environmentId), {});
    assert.equal(unauthenticated.status, 401);
  });

  test("pairing codes: single use, invisible to another tenant, claims rate-limited per tenant", async () => {
    const relayed = await CodexTestClient.connect(relayUrl(environmentId), { token: tokenA });
    await relayed.call("initialize", {
      clientInfo: { name: "pairing", title: null, version: "1" },
      capabilities: { experimentalApi: true },
    });
    const pairing = await relayed.call("remoteControl/pairing/start", { manualCode: true });
    assert.equal(pairing.environmentId, environmentId);
    assert.ok(pairing.pairingCode && pairing.manualPairingCode);
    assert.equal((await relayed.call("remoteControl/pairing/status", { pairingCode: pairing.pairingCode })).claimed, false);

    const other = await CodexTestClient.open(stack.url, { token: tokenB });
    const stolen = await other.request("switchyard/environments/pairing/claim", { pairingCode: pairing.pairingCode });
    assert.equal(
      (stolen.error?.data as { reason?: string })?.reason,
      "pairingCodeInvalid",
      "another tenant's code is unknown to it",
    );

    const owner = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: TENANT, sub: "bob" }) });
    // The claim is asked twice under one command id, as the gateway asks it again when its answer
    // is late: the second ask finds its own claim and answers the same (and is no new attempt).
    const askClaim = () =>
      askedUnkeyed(stack, {
        commandId: `claim-${pairing.pairingCode.slice(0, 8)}`,
        method: "switchyard/environments/pairing/claim",
        params: { manualPairingCode: pairing.manualPairingCode.toLowerCase(), displayName: "Bob's phone" },
        caller: { tenant: TENANT, subject: "bob" },
      });
    const claimedOutcome = await askClaim();
    assert.ok(claimedOutcome.ok, JSON.stringify(claimedOutcome));
    const claimed = claimedOutcome.result as { environmentId: string; clientId: string };
    assert.equal(claimed.environmentId, environmentId);
    assert.deepEqual(await askClaim(), claimedOutcome, "a second ask of the same claim answers as the first");
    const again = await owner.request("switchyard/environments/pairing/claim", { pairingCode: pairing.pairingCode });
    assert.equal((again.error?.data as { reason?: string })?.reason, "pairingCodeInvalid", "a code is single use");
    assert.equal((await relayed.call("remoteControl/pairing/status", { pairingCode: pairing.pairingCode })).claimed, true);

    const stored = await stack.infra.pool.query("SELECT code_sha256 FROM remote_control.pairing_codes");
    assert.ok(
      stored.rows.every((row) => row.code_sha256.length === 32),
      "codes are stored hashed",
    );

    // The limit is 5 claims per minute per tenant here; the other tenant used 1 of its own.
    const attempts = [];
    for (let index = 0; index < 5; index++)
      attempts.push(await owner.request("switchyard/environments/pairing/claim", { pairingCode: `nope-${index}` }));
    const reasons = attempts.map((reply) => (reply.error?.data as { reason?: string })?.reason);
    assert.deepEqual(reasons.slice(0, 3), ["pairingCodeInvalid", "pairingCodeInvalid", "pairingCodeInvalid"]);
    assert.deepEqual(reasons.slice(3), ["rateLimited", "rateLimited"]);
    assert.equal((await other.request("switchyard/environments/pairing/claim", { pairingCode: "x" })).error?.data && "ok", "ok");
    await Promise.all([relayed.close(), other.close(), owner.close()]);
  });

  test("machine-facing HTTP: stale enrollments get Codex's 404 body, bad tokens 401", async () => {
    const base = stack.remoteControls[0]?.baseUrl as string;
    const accessToken = await hs256Token({
      sub: "alice",
      "https://api.openai.com/auth": { chatgpt_account_id: TENANT, chatgpt_user_id: "alice" },
    });
    const post = (path: string, body: unknown, token: string) =>
      fetch(`${base}wham/remote/control/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "chatgpt-account-id": TENANT },
        body: JSON.stringify(body),
      });
    const stale = await post("server/refresh", { server_id: "srv_gone", installation_id: "i" }, accessToken);
    assert.equal(stale.status, 404);
    assert.equal(await stale.text(), '{"detail":"Remote app server not found"}');
    assert.equal((await post("server/enroll", { name: "x", installation_id: "i" }, "not-a-jwt")).status, 401);
    const forged = await hs256Token(
      { "https://api.openai.com/auth": { chatgpt_account_id: TENANT } },
      { secret: "another-secret-another-secret-another-secret" },
    );
    assert.equal((await post("server/enroll", { name: "x", installation_id: "i" }, forged)).status, 401);
    assert.equal((await post("server/pair", {}, "rcs_not-a-token")).status, 401);

    const socketUrl = `${base.replace(/^http/, "ws")}wham/remote/control/server`;
    const unknownServer = await attemptUpgrade(socketUrl, { authorization: "Bearer x", "x-codex-server-id": "srv_gone" });
    assert.deepEqual(unknownServer, { status: 404, body: '{"detail":"Remote app server not found"}' });
    const server = await stack.infra.pool.query("SELECT server_id FROM remote_control.servers");
    const badToken = await attemptUpgrade(socketUrl, {
      authorization: "Bearer rcs_wrong",
      "x-codex-server-id": server.rows[0].server_id,
    });
    assert.equal(badToken.status, 401);
  });

  test("two app-servers on one host with different instance names get separate environments", async () => {
    const api = await machineApi(baseUrl(), TENANT, "alice");
    const enroll = async (name: string): Promise<EnrollAnswer> => {
      const reply = await api.post("server/enroll", {
        name,
        os: "linux",
        arch: "x86_64",
        app_server_version: "0.171.0",
        installation_id: HOST_INSTALLATION_ID,
      });
      assert.equal(reply.status, 200, `enroll ${name}`);
      return (await reply.json()) as EnrollAnswer;
    };
    const first = await enroll("devbox");
    const second = await enroll("devbox-review");
    assert.notEqual(first.server_id, second.server_id);
    assert.notEqual(first.environment_id, second.environment_id);

    // The same instance enrolling again (its enrollment file lost) gets its environment back, with a
    // new token that replaces the old one.
    const again = await enroll("devbox");
    assert.equal(again.server_id, first.server_id);
    assert.equal(again.environment_id, first.environment_id);
    assert.notEqual(again.remote_control_token, first.remote_control_token);
    assert.equal((await api.withServerToken("server/pair", {}, first.remote_control_token)).status, 401, "old token");
    assert.equal((await api.withServerToken("server/pair", {}, again.remote_control_token)).status, 200);
    assert.equal((await api.withServerToken("server/pair", {}, second.remote_control_token)).status, 200);
    hostEnrollments = { first: again, second };

    const client = await CodexTestClient.open(stack.url, { token: tokenA });
    const { data } = await client.call("switchyard/environments/list", {});
    const byId = new Map(data.map((entry: { environmentId: string }) => [entry.environmentId, entry]));
    assert.equal(byId.size, 3, "the real machine and the host's two app-servers");
    assert.deepEqual(
      [first.environment_id, second.environment_id].map((id) => {
        const entry = byId.get(id) as { serverName: string; installationId: string; status: string };
        return [entry.serverName, entry.installationId, entry.status];
      }),
      [
        ["devbox", HOST_INSTALLATION_ID, "disabled"],
        ["devbox-review", HOST_INSTALLATION_ID, "disabled"],
      ],
      "enrolled, never connected",
    );
    await client.close();
  });

  test("statuses: errored after a refused upgrade, connected, connecting after a drop, disabled after the grace", async () => {
    assert.ok(hostEnrollments, "the host's app-servers enrolled");
    const { first, second } = hostEnrollments;
    const client = await CodexTestClient.open(stack.url, { token: tokenA });
    const otherTenantClient = await CodexTestClient.open(stack.url, { token: tokenB });
    const statusOf = async (): Promise<string> => {
      const { data } = await client.call("switchyard/environments/list", {});
      return data.find((entry: { environmentId: string }) => entry.environmentId === first.environment_id).status;
    };
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      "x-codex-server-id": first.server_id,
      "x-codex-protocol-version": "3",
      "x-codex-name": Buffer.from("devbox").toString("base64"),
      "x-codex-installation-id": HOST_INSTALLATION_ID,
    });
    assert.equal(await statusOf(), "disabled");

    assert.equal((await attemptUpgrade(machineSocketUrl(), headers("rcs_wrong"))).status, 401);
    assert.equal(await statusOf(), "errored", "a refused attempt since the last success");
    const foreign = await attemptUpgrade(machineSocketUrl(), headers(second.remote_control_token));
    assert.deepEqual(foreign, { status: 403, body: '{"detail":"server token belongs to another server"}' });
    assert.equal(await statusOf(), "errored");

    // The backend's side of the protocol, as the machine speaks it (the real binary is the other machine).
    const socket = new WebSocket(machineSocketUrl(), { headers: headers(first.remote_control_token), perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => socket.once("open", () => resolve()).once("error", reject));
    await waitFor("connected", async () => ((await statusOf()) === "connected" ? true : undefined));
    const closedAt = Date.now();
    socket.close();
    await waitFor("connecting", async () => ((await statusOf()) === "connecting" ? true : undefined), 2_000);
    await waitFor("disabled", async () => ((await statusOf()) === "disabled" ? true : undefined), RECONNECT_GRACE_MS + 5_000);
    assert.ok(Date.now() - closedAt >= RECONNECT_GRACE_MS - 500, "connecting lasts the reconnect grace");
    // The tenant's clients were told of each change as it happened, without asking.
    const pushed = client.notifications
      .filter((n) => n.method === "switchyard/environment/status/changed" && n.params.environmentId === first.environment_id)
      .map((n) => n.params.status);
    assert.deepEqual(pushed, ["errored", "errored", "connected", "connecting"]);
    assert.ok(
      !otherTenantClient.notifications.some((n) => n.method === "switchyard/environment/status/changed"),
      "another tenant hears nothing",
    );
    await otherTenantClient.close();
    await client.close();
  });

  test("the machine's clients: listed and revoked with its ChatGPT bearer; a revoked user is refused", async () => {
    // By now alice has opened relayed sessions and bob has claimed a pairing code (tests above).
    const alice = clientRecordId(TENANT, "alice");
    const bob = clientRecordId(TENANT, "bob");
    const api = await machineApi(baseUrl(), TENANT, "alice");
    const page = async (query: string) => {
      const reply = await api.get(`environments/${environmentId}/clients?${query}`);
      assert.equal(reply.status, 200);
      return (await reply.json()) as { items: { client_id: string; display_name: string | null }[]; cursor: string | null };
    };
    const first = await page("limit=1&order=asc");
    assert.equal(first.items.length, 1);
    assert.ok(first.cursor);
    const second = await page(`limit=1&order=asc&cursor=${first.cursor}`);
    assert.equal(second.items.length, 1);
    const third = await page(`limit=1&order=asc&cursor=${second.cursor}`);
    assert.deepEqual(third, { items: [], cursor: null }, "two clients, two pages");
    assert.deepEqual([first.items[0]?.client_id, second.items[0]?.client_id].sort(), [alice, bob].sort());
    assert.equal([...first.items, ...second.items].find((item) => item.client_id === bob)?.display_name, "Bob's phone");

    // The real machine reaches the same list through `remoteControl/client/list` (its own HTTP call).
    const relayed = await CodexTestClient.connect(relayUrl(environmentId), { token: tokenA });
    await relayed.call("initialize", {
      clientInfo: { name: "clients", title: null, version: "1" },
      capabilities: { experimentalApi: true },
    });
    const listed = await relayed.call("remoteControl/client/list", { environmentId });
    assert.deepEqual(listed.data.map((item: { clientId: string }) => item.clientId).sort(), [alice, bob].sort());

    const foreignApi = await machineApi(baseUrl(), OTHER_TENANT, "mallory");
    assert.equal((await foreignApi.get(`environments/${environmentId}/clients`)).status, 404, "another tenant's bearer");
    assert.equal((await foreignApi.delete(`environments/${environmentId}/clients/${bob}`)).status, 404);

    const bobToken = await hs256Token({ tenant: TENANT, sub: "bob" });
    assert.equal((await attemptUpgrade(relayUrl(environmentId), { authorization: `Bearer ${bobToken}` })).status, 101);
    const revoked = await api.delete(`environments/${environmentId}/clients/${bob}`);
    assert.equal(revoked.status, 204);
    assert.equal((await api.delete(`environments/${environmentId}/clients/${bob}`)).status, 404, "revoked once");
    assert.deepEqual(
      (await page("limit=10")).items.map((item) => item.client_id),
      [alice],
      "a revoked client is no longer listed",
    );
    const refused = await attemptUpgrade(relayUrl(environmentId), { authorization: `Bearer ${bobToken}` });
    assert.equal(refused.status, 403);
    assert.match((refused as { body: string }).body, /revoked/);
    assert.equal((await attemptUpgrade(relayUrl(environmentId), { authorization: `Bearer ${tokenA}` })).status, 101);

    await relayed.close();
  });

  test("a pong of `unknown` ends the relayed session; an initialized one survives the pings", async () => {
    const initialized = await CodexTestClient.connect(relayUrl(environmentId), { token: tokenA });
    await initialized.call("initialize", { clientInfo: { name: "pinged", title: null, version: "1" }, capabilities: null });
    // Without initialize the machine's app-server drops the message and never opens this client, so
    // the next ping for it (every 500 ms here) comes back `unknown`: the gateway closes the session.
    const stranger = await CodexTestClient.connect(relayUrl(environmentId), { token: tokenA });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      stranger.socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    stranger.sendRaw(JSON.stringify({ id: 1, method: "thread/list", params: {} }));
    const outcome = await Promise.race([
      closed,
      new Promise<string>((resolve) => setTimeout(() => resolve("still open"), 10_000)),
    ]);
    assert.deepEqual(outcome, { code: 1001, reason: "the machine's app-server no longer has this session" });
    const listed = await initialized.call("thread/list", {});
    assert.ok(Array.isArray(listed.data), "the initialized session answered every ping `active` and goes on");
    await initialized.close();
  });

  test("row-level security: as switchyard_service a query without a tenant predicate sees only its tenant's rows", async () => {
    const foreignApi = await machineApi(baseUrl(), OTHER_TENANT, "mallory");
    const foreignEnrollment = await foreignApi.post("server/enroll", { name: "globex-box", installation_id: "globex-1" });
    assert.equal(foreignEnrollment.status, 200);
    const foreign = (await foreignEnrollment.json()) as EnrollAnswer;

    const all = await stack.infra.pool.query<{ tenant: string }>("SELECT DISTINCT tenant FROM remote_control.servers");
    assert.deepEqual(all.rows.map((row) => row.tenant).sort(), [TENANT, OTHER_TENANT], "the login role sees both tenants");

    const asService = (tenant: string | undefined) => serviceSession(stack.infra.databaseUrl, tenant);
    const acme = await asService(TENANT);
    const noTenant = await asService(undefined);
    try {
      for (const table of ["servers", "pairing_codes", "clients"]) {
        const visible = await acme.query<{ tenant: string }>(`SELECT tenant FROM remote_control.${table}`);
        assert.ok(visible.rows.length > 0, `${table}: the tenant's own rows`);
        assert.ok(
          visible.rows.every((row) => row.tenant === TENANT),
          `${table}: only the session tenant's rows`,
        );
        assert.equal((await noTenant.query(`SELECT 1 FROM remote_control.${table}`)).rowCount, 0, `${table}: no tenant, no rows`);
      }
      const bypass = await acme.query("SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)");
      assert.equal(bypass.rowCount, 0, "switchyard_service cannot bypass row-level security");
      await assert.rejects(
        acme.query(
          `INSERT INTO remote_control.servers (tenant, server_id, environment_id, installation_id, name, os, arch,
             app_server_version, enrolled_by, token_sha256, token_expires_at)
           VALUES ($1, 'srv_x', 'env_x', 'i', 'n', 'linux', 'x', '0', 'x', $2, now())`,
          [OTHER_TENANT, Buffer.alloc(32)],
        ),
        /row-level security/,
        "cannot write another tenant's row",
      );
      const updated = await acme.query("UPDATE remote_control.servers SET name = 'hijacked' WHERE tenant = $1", [OTHER_TENANT]);
      assert.equal(updated.rowCount, 0, "cannot touch another tenant's rows");

      // The one way past the wall before a tenant is known: a tenant name for one exact key.
      const lookedUp = await noTenant.query("SELECT remote_control.tenant_of_server($1) AS tenant", [foreign.server_id]);
      assert.equal(lookedUp.rows[0].tenant, OTHER_TENANT);
      const missing = await noTenant.query("SELECT remote_control.tenant_of_server_token($1) AS tenant", [Buffer.alloc(32)]);
      assert.equal(missing.rows[0].tenant, null);
      const functions = await stack.infra.pool.query(
        `SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'remote_control' ORDER BY p.proname`,
      );
      assert.deepEqual(functions.rows, [
        { proname: "tenant_of_server", public_may_call: false },
        { proname: "tenant_of_server_token", public_may_call: false },
      ]);
    } finally {
      await acme.end();
      await noTenant.end();
    }
  });

  test("every frame the relayed and direct clients received matched the official schema", () => {
    assertConformant();
  });
});
