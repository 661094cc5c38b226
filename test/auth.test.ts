// Authentication at the upgrade: every 401/403 case of specs/codex-wire.md, the three verifiers
// (capability token, HS256, JWKS), health endpoints, and the start-up refusals.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { attemptUpgrade, CodexTestClient } from "./harness/client.js";
import { runGatewayExpectingExit, startGatewayProcess } from "./harness/processes.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const CAPABILITY_TOKEN = "cap-token-0123456789abcdef";
const ISSUER = "https://issuer.switchyard.test";
const AUDIENCE = "switchyard";

function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "GET", headers }, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("websocket authentication", () => {
  let stack: Stack;
  let httpUrl: string;
  let jwksGatewayUrl: string;
  let signEs256: (claims: Record<string, unknown>, expiresInS?: number) => Promise<string>;
  let stopJwksGateway: () => Promise<unknown>;

  before(async () => {
    stack = await startStack("auth", {
      gatewayEnv: {
        GATEWAY_AUTH_CAPABILITY_TOKEN: CAPABILITY_TOKEN,
        GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
        GATEWAY_AUTH_JWT_ISSUER: ISSUER,
        GATEWAY_AUTH_JWT_AUDIENCE: AUDIENCE,
        GATEWAY_ALLOWED_ORIGINS: "https://console.switchyard.test",
      },
    });
    httpUrl = stack.url.replace("ws://", "http://");
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "ES256", use: "sig" };
    const jwksFile = join(mkdtempSync(join(tmpdir(), "sy-jwks-")), "jwks.json");
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    signEs256 = (claims, expiresInS = 600) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "test-key" })
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
        .sign(privateKey);
    const jwksGateway = await startGatewayProcess({ ...stack.infra.env, GATEWAY_AUTH_JWKS_FILE: jwksFile }, "gateway-jwks");
    jwksGatewayUrl = `${jwksGateway.url}/`;
    stopJwksGateway = () => jwksGateway.stop();
  });

  after(async () => {
    await stopJwksGateway?.();
    await stack?.stop();
  });

  const upgrade = (headers: Record<string, string>, url = stack.url) => attemptUpgrade(url, headers);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const validClaims = { sub: "alice", tenant: "acme", iss: ISSUER, aud: AUDIENCE };

  test("a missing Authorization header is 401 missing websocket bearer token", async () => {
    assert.deepEqual(await upgrade({}), { status: 401, body: "missing websocket bearer token" });
  });

  test("a token in the query string is not accepted", async () => {
    assert.deepEqual(await upgrade({}, `${stack.url}?token=${CAPABILITY_TOKEN}`), {
      status: 401,
      body: "missing websocket bearer token",
    });
  });

  test("a non-Bearer or empty authorization header is 401 invalid authorization header", async () => {
    assert.deepEqual(await upgrade({ authorization: `Basic ${CAPABILITY_TOKEN}` }), {
      status: 401,
      body: "invalid authorization header",
    });
    assert.deepEqual(await upgrade({ authorization: "Bearer   " }), { status: 401, body: "invalid authorization header" });
  });

  test("a wrong capability token is 401 invalid websocket bearer token", async () => {
    assert.deepEqual(await upgrade(bearer("not-the-token")), { status: 401, body: "invalid websocket bearer token" });
  });

  test("the capability token is accepted with any scheme case and surrounding spaces", async () => {
    assert.deepEqual(await upgrade({ authorization: `bEaReR   ${CAPABILITY_TOKEN}  ` }), { status: 101 });
  });

  test("a valid HS256 token is accepted; an audience array containing ours is accepted", async () => {
    assert.deepEqual(await upgrade(bearer(await hs256Token(validClaims))), { status: 101 });
    assert.deepEqual(await upgrade(bearer(await hs256Token({ ...validClaims, aud: ["other", AUDIENCE] }))), { status: 101 });
  });

  test("a token signed with another secret is 401 invalid websocket jwt", async () => {
    const token = await hs256Token(validClaims, { secret: "another-secret-that-is-long-enough-0123456789" });
    assert.deepEqual(await upgrade(bearer(token)), { status: 401, body: "invalid websocket jwt" });
  });

  test("a token without exp is 401 invalid websocket jwt", async () => {
    assert.deepEqual(await upgrade(bearer(await hs256Token(validClaims, { expiresInS: null }))), {
      status: 401,
      body: "invalid websocket jwt",
    });
  });

  test("an expired token is 401 expired websocket jwt, but 30 s of skew is tolerated", async () => {
    assert.deepEqual(await upgrade(bearer(await hs256Token(validClaims, { expiresInS: -120 }))), {
      status: 401,
      body: "expired websocket jwt",
    });
    assert.deepEqual(await upgrade(bearer(await hs256Token(validClaims, { expiresInS: -10 }))), { status: 101 });
  });

  test("a token not valid yet is 401 websocket jwt is not valid yet", async () => {
    assert.deepEqual(await upgrade(bearer(await hs256Token(validClaims, { notBeforeS: 300 }))), {
      status: 401,
      body: "websocket jwt is not valid yet",
    });
  });

  test("issuer and audience mismatches are reported as such", async () => {
    assert.deepEqual(await upgrade(bearer(await hs256Token({ ...validClaims, iss: "https://evil.test" }))), {
      status: 401,
      body: "websocket jwt issuer mismatch",
    });
    assert.deepEqual(await upgrade(bearer(await hs256Token({ ...validClaims, aud: "someone-else" }))), {
      status: 401,
      body: "websocket jwt audience mismatch",
    });
  });

  test("an unsigned (alg none) token is 401 invalid websocket jwt", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ ...validClaims, exp: Math.floor(Date.now() / 1000) + 600 })).toString(
      "base64url",
    );
    assert.deepEqual(await upgrade(bearer(`${header}.${payload}.`)), { status: 401, body: "invalid websocket jwt" });
  });

  test("any Origin header is 403 unless allow-listed, on every path", async () => {
    const origin = { origin: "https://evil.test" };
    assert.equal((await upgrade({ ...bearer(CAPABILITY_TOKEN), ...origin })).status, 403);
    assert.equal((await httpGet(`${httpUrl}healthz`, origin)).status, 403);
    assert.equal((await httpGet(`${httpUrl}readyz`, origin)).status, 403);
    assert.deepEqual(await upgrade({ ...bearer(CAPABILITY_TOKEN), origin: "https://console.switchyard.test" }), { status: 101 });
  });

  test("/healthz and /readyz answer 200; a plain GET on the upgrade path is 400", async () => {
    assert.equal((await httpGet(`${httpUrl}healthz`)).status, 200);
    assert.equal((await httpGet(`${httpUrl}readyz`)).status, 200);
    assert.equal((await httpGet(`${httpUrl}`)).status, 400);
    assert.equal((await httpGet(`${httpUrl}some/other/path`)).status, 400);
  });

  test("the tenant and subject come from the token's claims", async () => {
    const acme = await CodexTestClient.open(stack.url, { token: await hs256Token({ ...validClaims, tenant: "acme" }) });
    const globex = await CodexTestClient.open(stack.url, { token: await hs256Token({ ...validClaims, tenant: "globex" }) });
    const started = await acme.call("thread/start", {});
    const readByOther = await globex.request("thread/read", { threadId: started.thread.id });
    assert.equal(readByOther.error?.message, `thread not loaded: ${started.thread.id}`);
    const readByOwner = await acme.call("thread/read", { threadId: started.thread.id });
    assert.equal(readByOwner.thread.id, started.thread.id);
    await Promise.all([acme.close(), globex.close()]);
  });

  test("JWKS: an asymmetric token with a tenant claim is accepted; without one it is refused", async () => {
    const client = await CodexTestClient.open(jwksGatewayUrl, { token: await signEs256({ sub: "bob", tenant: "initech" }) });
    const started = await client.call("thread/start", {});
    assert.match(started.thread.id, /^[0-9a-f-]{36}$/);
    await client.close();
    assert.deepEqual(await upgrade(bearer(await signEs256({ sub: "bob" })), jwksGatewayUrl), {
      status: 401,
      body: "invalid websocket jwt",
    });
    assert.deepEqual(await upgrade(bearer(await signEs256({ sub: "bob", tenant: "initech" }, -120)), jwksGatewayUrl), {
      status: 401,
      body: "expired websocket jwt",
    });
    assert.deepEqual(await upgrade(bearer(await hs256Token(validClaims)), jwksGatewayUrl), {
      status: 401,
      body: "invalid websocket jwt",
    });
  });

  test("a gateway refuses to start with an HS256 secret under 32 bytes", async () => {
    const result = await runGatewayExpectingExit({ ...stack.infra.env, GATEWAY_AUTH_JWT_HS256_SECRET: "too-short" });
    assert.notEqual(result.code, 0);
    assert.match(result.output, /at least 32 bytes/);
  });

  test("a gateway refuses to listen on a non-loopback address without auth", async () => {
    const result = await runGatewayExpectingExit({ ...stack.infra.env, GATEWAY_HOST: "0.0.0.0" });
    assert.notEqual(result.code, 0);
    assert.match(result.output, /refusing to listen on 0\.0\.0\.0 without authentication/);
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
