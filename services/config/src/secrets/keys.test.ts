import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { loadConfigAdminEnv } from "../env.js";
import { DEVELOPMENT_KEY_WARNING, secretBoxFromEnv } from "./keys.js";
import { developmentSecretKey, secretKeyId } from "./secret-box.js";

test("secrets keys from the environment: the configured key seals; without one, a development key and one warning", () => {
  const key = randomBytes(32);
  const warnings: string[] = [];
  const configured = secretBoxFromEnv(loadConfigAdminEnv({ SWITCHYARD_SECRETS_KEY: key.toString("base64") }), (message) =>
    warnings.push(message),
  );
  assert.equal(configured.currentKeyId, secretKeyId(key));
  assert.equal(warnings.length, 0);
  const development = secretBoxFromEnv(loadConfigAdminEnv({}), (message) => warnings.push(message));
  assert.equal(development.currentKeyId, secretKeyId(developmentSecretKey()));
  secretBoxFromEnv(loadConfigAdminEnv({}), (message) => warnings.push(message));
  assert.deepEqual(warnings, [DEVELOPMENT_KEY_WARNING], "warned once per process");
  assert.match(DEVELOPMENT_KEY_WARNING, /NOT protected/);
});

test("bad settings name the variable; previous keys and default providers parse", () => {
  assert.throws(
    () => loadConfigAdminEnv({ SWITCHYARD_SECRETS_KEY: "c2hvcnQ=" }),
    /SWITCHYARD_SECRETS_KEY: must be the base64 of exactly 32/,
  );
  assert.throws(() => loadConfigAdminEnv({ SWITCHYARD_SECRETS_KEY: "not base64 !!" }), /SWITCHYARD_SECRETS_KEY/);
  assert.throws(() => loadConfigAdminEnv({ SWITCHYARD_SECRETS_PREVIOUS_KEYS: "abc" }), /SWITCHYARD_SECRETS_PREVIOUS_KEYS/);
  const previous = [randomBytes(32), randomBytes(32)];
  const parsed = loadConfigAdminEnv({
    SWITCHYARD_SECRETS_PREVIOUS_KEYS: previous.map((key) => key.toString("base64")).join(", "),
    CONFIG_DEFAULT_MODEL_PROVIDERS: '[model_providers.local]\nname = "Local"\nbase_url = "http://127.0.0.1:8080/v1"\n',
  });
  assert.deepEqual(parsed.SWITCHYARD_SECRETS_PREVIOUS_KEYS, previous);
  assert.deepEqual(parsed.CONFIG_DEFAULT_MODEL_PROVIDERS, { local: { name: "Local", base_url: "http://127.0.0.1:8080/v1" } });
  assert.throws(
    () => loadConfigAdminEnv({ CONFIG_DEFAULT_MODEL_PROVIDERS: "[model_providers.x]\nname = 1\n" }),
    /CONFIG_DEFAULT_MODEL_PROVIDERS: not a valid/,
  );
  assert.throws(() => loadConfigAdminEnv({ CONFIG_DEFAULT_MODEL_PROVIDERS: 'model = "m"\n' }), /only \[model_providers/);
  assert.throws(
    () => loadConfigAdminEnv({ CONFIG_DEFAULT_MODEL_PROVIDERS: '[model_providers.x]\nname = "X"\nwire_api = "chat"\n' }),
    /CONFIG_DEFAULT_MODEL_PROVIDERS/,
  );
});
