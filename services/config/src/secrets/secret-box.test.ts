import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { developmentSecretKey, SecretBox, SecretBoxError, secretKeyId } from "./secret-box.js";

const key = () => randomBytes(32);

describe("SecretBox", () => {
  test("round trip, with a fresh nonce per value and no plaintext in the output", () => {
    const box = new SecretBox(key());
    const first = box.seal("sk-live-abc123", "tenant-secret:acme:OPENAI_API_KEY");
    const second = box.seal("sk-live-abc123", "tenant-secret:acme:OPENAI_API_KEY");
    assert.notEqual(first, second, "a random nonce per value");
    assert.ok(!first.includes("sk-live"), "no plaintext");
    assert.match(first, /^v1:[0-9a-f]{12}:[\w-]{16}:[\w-]+:[\w-]{22}$/);
    assert.equal(SecretBox.keyIdOf(first), box.currentKeyId);
    assert.equal(box.open(first, "tenant-secret:acme:OPENAI_API_KEY"), "sk-live-abc123");
    assert.equal(box.open(box.seal("", "c"), "c"), "");
    assert.equal(box.open(box.seal("ünïcødé ✓", "c"), "c"), "ünïcødé ✓");
  });

  test("tampering with the ciphertext, nonce or tag is detected", () => {
    const box = new SecretBox(key());
    const sealed = box.seal("bearer-token", "ctx");
    const parts = sealed.split(":");
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index] as string, "base64url");
      bytes[0] = (bytes[0] as number) ^ 1;
      const tampered = parts.map((part, at) => (at === index ? bytes.toString("base64url") : part)).join(":");
      assert.throws(() => box.open(tampered, "ctx"), SecretBoxError, `part ${index}`);
    }
    assert.throws(() => box.open("v1:abc", "ctx"), /not a sealed value/);
    assert.throws(() => box.open("plain text", "ctx"), SecretBoxError);
  });

  test("a value opens only in the context it was sealed for (another tenant or name)", () => {
    const box = new SecretBox(key());
    const sealed = box.seal("token", "tenant-secret:acme:KEY");
    assert.throws(() => box.open(sealed, "tenant-secret:other:KEY"), /failed authentication/);
    assert.throws(() => box.open(sealed, "tenant-secret:acme:OTHER"), /failed authentication/);
  });

  test("the wrong key does not open a value; errors never echo the value", () => {
    const sealed = new SecretBox(key()).seal("sk-secret-value", "ctx");
    const other = new SecretBox(key());
    assert.throws(
      () => other.open(sealed, "ctx"),
      (error: Error) => error instanceof SecretBoxError && /does not have/.test(error.message) && !error.message.includes("sk-"),
    );
    // Same key id but different key material (a forged id): authentication fails.
    const victim = key();
    const forged = sealed.split(":");
    forged[1] = secretKeyId(victim);
    assert.throws(() => new SecretBox(victim).open(forged.join(":"), "ctx"), /failed authentication/);
  });

  test("rotation: a previous key still opens old values, new values use the current key", () => {
    const oldKey = key();
    const newKey = key();
    const sealedOld = new SecretBox(oldKey).seal("old", "ctx");
    const rotated = new SecretBox(newKey, [oldKey]);
    assert.equal(rotated.open(sealedOld, "ctx"), "old");
    const sealedNew = rotated.seal("new", "ctx");
    assert.equal(SecretBox.keyIdOf(sealedNew), secretKeyId(newKey));
    assert.throws(() => new SecretBox(oldKey).open(sealedNew, "ctx"), SecretBoxError);
  });

  test("keys must be 32 bytes; the development key is stable", () => {
    assert.throws(() => new SecretBox(randomBytes(16)), RangeError);
    assert.deepEqual(developmentSecretKey(), developmentSecretKey());
    assert.equal(developmentSecretKey().length, 32);
  });
});
