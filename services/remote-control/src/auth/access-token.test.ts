import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignJWT } from "jose";
import { AccessTokenConfigError, AccessTokenVerifier, OPENAI_AUTH_CLAIM } from "./access-token.js";
import { clientRecordId, newManualPairingCode, newServerToken, normalizeManualCode, sha256 } from "./secrets.js";

const secret = "remote-control-test-secret-0123456789abcdef";
const sign = (claims: Record<string, unknown>, options: { key?: string; expiresInS?: number } = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(now + (options.expiresInS ?? 600))
    .sign(new TextEncoder().encode(options.key ?? secret));
};
const verifier = new AccessTokenVerifier({ hs256Secret: secret, audience: [] });

describe("machine access tokens", () => {
  test("the tenant is the ChatGPT account claim; the user comes from chatgpt_user_id", async () => {
    const token = await sign({ sub: "s", [OPENAI_AUTH_CLAIM]: { chatgpt_account_id: "acme", chatgpt_user_id: "alice" } });
    assert.deepEqual(await verifier.verify(`Bearer ${token}`, "acme"), {
      ok: true,
      identity: { tenant: "acme", subject: "alice" },
    });
  });

  test("forged, expired, account-less and mismatched tokens are refused with 401/403", async () => {
    const claims = { [OPENAI_AUTH_CLAIM]: { chatgpt_account_id: "acme" } };
    const forged = await sign(claims, { key: "someone-else-secret-0123456789abcdef-0000" });
    assert.deepEqual(await verifier.verify(`Bearer ${forged}`, undefined), {
      ok: false,
      status: 401,
      detail: "invalid access token",
    });
    const expired = await sign(claims, { expiresInS: -120 });
    assert.deepEqual(await verifier.verify(`Bearer ${expired}`, undefined), {
      ok: false,
      status: 401,
      detail: "expired access token",
    });
    const noAccount = await sign({ sub: "x" });
    assert.equal((await verifier.verify(`Bearer ${noAccount}`, undefined)).ok === false && 403, 403);
    const valid = await sign(claims);
    const mismatch = await verifier.verify(`Bearer ${valid}`, "globex");
    assert.deepEqual(mismatch, {
      ok: false,
      status: 403,
      detail: "chatgpt-account-id does not match the access token's account",
    });
    assert.equal((await verifier.verify(undefined, undefined)).ok, false);
  });

  test("a verifier needs a key of at least 32 bytes", () => {
    assert.throws(() => new AccessTokenVerifier({ audience: [] }), AccessTokenConfigError);
    assert.throws(() => new AccessTokenVerifier({ hs256Secret: "short", audience: [] }), AccessTokenConfigError);
  });
});

describe("server tokens and pairing codes", () => {
  test("tokens are random and only their SHA-256 is kept; manual codes are typed case-insensitively", () => {
    const tokens = new Set(Array.from({ length: 100 }, newServerToken));
    assert.equal(tokens.size, 100);
    assert.equal(sha256(newServerToken()).length, 32);
    const manual = newManualPairingCode();
    assert.match(manual, /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
    assert.equal(normalizeManualCode(manual.toLowerCase().replace("-", " ")), manual.replace("-", ""));
    assert.equal(clientRecordId("acme", "alice"), clientRecordId("acme", "alice"));
    assert.notEqual(clientRecordId("acme", "alice"), clientRecordId("globex", "alice"));
  });
});
