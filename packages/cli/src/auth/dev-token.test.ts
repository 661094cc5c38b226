import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { jwtVerify } from "jose";
import { ensureDevSecret, parseRoles, parseTtl, resolveSigningSecret, signDevToken, TokenError } from "./dev-token.js";

const stateDir = mkdtempSync(join(tmpdir(), "switchyard-cli-test-"));
after(() => rmSync(stateDir, { recursive: true, force: true }));

describe("parseTtl", () => {
  it("reads seconds and units", () => {
    assert.equal(parseTtl("90"), 90);
    assert.equal(parseTtl("30s"), 30);
    assert.equal(parseTtl("15m"), 900);
    assert.equal(parseTtl("1h"), 3_600);
    assert.equal(parseTtl("7D"), 604_800);
  });
  it("rejects the rest", () => {
    for (const value of ["", "h", "1.5h", "-1h", "1w", "0"]) assert.throws(() => parseTtl(value), TokenError, value);
  });
});

describe("parseRoles", () => {
  it("splits and trims", () => {
    assert.deepEqual(parseRoles(" admin, reader,,"), ["admin", "reader"]);
    assert.deepEqual(parseRoles(undefined), []);
  });
});

describe("dev secret", () => {
  it("is created once, 0600, and reused", () => {
    assert.throws(() => resolveSigningSecret(undefined, stateDir), /pnpm start/);
    const first = ensureDevSecret(stateDir);
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(stateDir, "dev-secret")).mode & 0o777, 0o600);
    assert.equal(ensureDevSecret(stateDir), first);
    assert.equal(resolveSigningSecret(undefined, stateDir), first);
  });
  it("prefers the configured secret and checks its length", () => {
    assert.equal(resolveSigningSecret("x".repeat(32), stateDir), "x".repeat(32));
    assert.throws(() => resolveSigningSecret("short", stateDir), /at least 32/);
  });
  it("refuses a short secret file", () => {
    const dir = mkdtempSync(join(stateDir, "short-"));
    writeFileSync(join(dir, "dev-secret"), "abc\n");
    assert.throws(() => resolveSigningSecret(undefined, dir), /at least 32/);
  });
});

describe("signDevToken", () => {
  const secret = "s".repeat(40);
  it("signs the claims the gateway reads", async () => {
    const token = await signDevToken({
      tenant: "dev",
      subject: "you",
      roles: ["admin"],
      ttlSeconds: 3_600,
      secret,
      nowSeconds: 1_000,
    });
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), {
      currentDate: new Date(2_000_000),
    });
    assert.equal(protectedHeader.alg, "HS256");
    assert.deepEqual(payload, { tenant: "dev", sub: "you", roles: ["admin"], iat: 1_000, exp: 4_600 });
  });
  it("adds iss/aud and honours custom claim names", async () => {
    const token = await signDevToken({
      tenant: "t",
      subject: "s",
      roles: [],
      ttlSeconds: 60,
      secret,
      issuer: "https://issuer.example",
      audience: ["switchyard"],
      claims: { tenant: "org", subject: "sub", roles: "groups" },
    });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      issuer: "https://issuer.example",
      audience: "switchyard",
    });
    assert.equal(payload.org, "t");
    assert.deepEqual(payload.groups, []);
    assert.equal(payload.aud, "switchyard");
  });
});
