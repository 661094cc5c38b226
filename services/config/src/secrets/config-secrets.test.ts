import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import {
  ConfigSecrets,
  isSealedSecret,
  REDACTED_SECRET,
  redactSecrets,
  redactValueAt,
  SecretValueError,
  secretLeafPaths,
  stripSecrets,
} from "./config-secrets.js";
import { SecretBox } from "./secret-box.js";

const config = () => ({
  model: "m",
  model_providers: {
    acme: {
      name: "Acme",
      base_url: "http://127.0.0.1:9/v1",
      experimental_bearer_token: "tok-acme",
      http_headers: { AUTHORIZATION: "Bearer h", "X-Team": "blue" },
    },
    plain: { name: "Plain", env_key: "PLAIN_KEY" },
  },
});

describe("config secrets", () => {
  const secrets = new ConfigSecrets(new SecretBox(randomBytes(32)));

  test("the secret leaves: bearer tokens and Authorization headers of model providers", () => {
    assert.deepEqual(secretLeafPaths(config()), [
      ["model_providers", "acme", "experimental_bearer_token"],
      ["model_providers", "acme", "http_headers", "AUTHORIZATION"],
    ]);
    assert.deepEqual(secretLeafPaths({ model: "m" }), []);
  });

  test("sealed at rest: no plaintext, other values untouched, opens only for the same tenant", () => {
    const sealed = secrets.seal("acme", config(), {});
    const text = JSON.stringify(sealed);
    assert.ok(!text.includes("tok-acme") && !text.includes("Bearer h"), text);
    const provider = sealed.model_providers as Record<string, Record<string, unknown>>;
    const acme = provider.acme as { experimental_bearer_token: string; http_headers: Record<string, string> };
    assert.ok(isSealedSecret(acme.experimental_bearer_token));
    assert.match(acme.experimental_bearer_token, /^sy-secret:v1:/);
    assert.equal(acme.http_headers["X-Team"], "blue");
    assert.deepEqual(provider.plain, { name: "Plain", env_key: "PLAIN_KEY" });
    assert.equal(secrets.open("acme", acme.experimental_bearer_token), "tok-acme");
    assert.equal(secrets.open("acme", acme.http_headers.AUTHORIZATION as string), "Bearer h");
    assert.throws(() => secrets.open("other-tenant", acme.experimental_bearer_token));
    assert.equal(secrets.open("acme", "plaintext from packaged defaults"), "plaintext from packaged defaults");
  });

  test("an edit elsewhere keeps the stored ciphertext; the placeholder keeps it too; a new value is sealed afresh", () => {
    const stored = secrets.seal("acme", config(), {});
    const edited = { ...structuredClone(stored), model: "m2" };
    assert.deepEqual(secrets.seal("acme", edited, stored).model_providers, stored.model_providers);
    const roundTripped = redactSecrets(stored);
    assert.deepEqual(secrets.seal("acme", roundTripped, stored), stored, "writing back what a read showed changes nothing");
    const changed = structuredClone(stored) as ReturnType<typeof config>;
    changed.model_providers.acme.experimental_bearer_token = "tok-new";
    const resealed = secrets.seal("acme", changed, stored) as ReturnType<typeof config>;
    assert.equal(secrets.open("acme", resealed.model_providers.acme.experimental_bearer_token), "tok-new");
  });

  test("refused: the placeholder where nothing is stored, and a sealed-looking value that is not the stored one", () => {
    const placeholder = config();
    placeholder.model_providers.acme.experimental_bearer_token = REDACTED_SECRET;
    assert.throws(() => secrets.seal("acme", placeholder, {}), SecretValueError);
    const forged = config();
    forged.model_providers.acme.experimental_bearer_token = "sy-secret:v1:abc:def:ghi:jkl";
    assert.throws(() => secrets.seal("acme", forged, {}), /reserved/);
  });

  test("reads redact every secret leaf, sealed or plaintext; the gRPC view drops them", () => {
    const redacted = redactSecrets(secrets.seal("acme", config(), {})) as ReturnType<typeof config>;
    assert.equal(redacted.model_providers.acme.experimental_bearer_token, REDACTED_SECRET);
    assert.equal(redacted.model_providers.acme.http_headers.AUTHORIZATION, REDACTED_SECRET);
    assert.equal(redacted.model_providers.acme.http_headers["X-Team"], "blue");
    assert.equal(
      (redactSecrets(config()) as ReturnType<typeof config>).model_providers.acme.experimental_bearer_token,
      "********",
    );
    const original = config();
    redactSecrets(original);
    assert.equal(original.model_providers.acme.experimental_bearer_token, "tok-acme", "inputs are not mutated");
    const stripped = stripSecrets(config()) as ReturnType<typeof config>;
    assert.equal("experimental_bearer_token" in stripped.model_providers.acme, false);
    assert.deepEqual(stripped.model_providers.acme.http_headers, { "X-Team": "blue" });
  });

  test("a value found at a path is redacted as it would be in place", () => {
    assert.equal(redactValueAt(["model_providers", "acme", "experimental_bearer_token"], "tok"), REDACTED_SECRET);
    assert.deepEqual(redactValueAt(["model_providers", "acme"], { name: "A", experimental_bearer_token: "tok" }), {
      name: "A",
      experimental_bearer_token: REDACTED_SECRET,
    });
    assert.equal(redactValueAt(["model"], "m"), "m");
  });

  test("rewrap: values sealed with a previous key are sealed again with the current one", () => {
    const oldKey = randomBytes(32);
    const stored = new ConfigSecrets(new SecretBox(oldKey)).seal("acme", config(), {});
    const rotated = new ConfigSecrets(new SecretBox(randomBytes(32), [oldKey]));
    const { table, count } = rotated.rewrap("acme", stored);
    assert.equal(count, 2);
    const acme = (table as ReturnType<typeof config>).model_providers.acme;
    assert.equal(rotated.open("acme", acme.experimental_bearer_token), "tok-acme");
    assert.equal(rotated.rewrap("acme", table).count, 0, "nothing left to rewrap");
    assert.equal(rotated.rewrap("acme", { model: "m" }).count, 0);
    // A value no configured key opens is left as it is and counted.
    const lost = new ConfigSecrets(new SecretBox(randomBytes(32))).rewrap("acme", stored);
    assert.deepEqual([lost.count, lost.unreadable], [0, 2]);
    assert.equal(lost.table, stored);
  });
});
