import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigWriteError } from "../model/index.js";
import { planProviderWrite, providerSlug } from "./provider-config-write.js";

const configured = { model_providers: { loopback: { name: "loopback" }, "my-gw": { name: "My GW" }, "my-gw-2": { name: "x" } } };
const refusal = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ConfigWriteError);
    return [error.code, error.message];
  }
  assert.fail("expected a refusal");
};

describe("modelProvider/config/write's plan", () => {
  test("an id is the name as a slug, made unique against configured and built-in ids", () => {
    assert.equal(providerSlug("  Ünïcode Gate!! 2 "), "n-code-gate-2");
    assert.equal(providerSlug("x.y_z"), "x-y-z");
    assert.equal(providerSlug("!!!"), "custom");
    const create = (name: string) =>
      planProviderWrite({ type: "customGateway", name, baseUrl: "https://x.example/v1" }, configured).providerId;
    assert.equal(create("My GW"), "my-gw-3");
    assert.equal(create("gcp"), "gcp-2");
    assert.equal(create("lmstudio"), "lmstudio-2");
    assert.equal(create("Fresh"), "fresh");
  });

  test("a new provider is one table in Codex's key order; an edit touches only the fields it names", () => {
    const created = planProviderWrite(
      { type: "customGateway", name: " Team ", baseUrl: " https://x.example/v1 ", envKey: " KEY " },
      configured,
    );
    assert.deepEqual(created.edits, [
      {
        keyPath: 'model_providers."team"',
        value: { base_url: "https://x.example/v1", env_key: "KEY", name: "Team", wire_api: "responses" },
        mergeStrategy: "replace",
      },
    ]);
    assert.deepEqual(Object.keys(created.edits[0]?.value as object), ["base_url", "env_key", "name", "wire_api"]);
    const edited = planProviderWrite({ type: "customGateway", providerId: "loopback", envKey: null, name: "N" }, configured);
    assert.deepEqual(
      edited.edits.map((edit) => [edit.keyPath, edit.value]),
      [
        ['model_providers."loopback"."name"', "N"],
        ['model_providers."loopback"."env_key"', null],
      ],
    );
    const bedrock = planProviderWrite({ type: "bedrock", providerId: "amazon-bedrock", region: " r ", profile: null }, {});
    assert.deepEqual(
      bedrock.edits.map((edit) => [edit.keyPath, edit.value]),
      [
        ['model_providers."amazon-bedrock"."aws"."profile"', null],
        ['model_providers."amazon-bedrock"."aws"."region"', "r"],
      ],
    );
  });

  test("refusals in Codex's order and words", () => {
    const invalid = (message: string) => ["configValidationError", message];
    const plan = (settings: Record<string, unknown>) => () =>
      planProviderWrite({ type: "customGateway", ...settings } as never, configured);
    assert.deepEqual(refusal(plan({ providerId: "nope", name: "OpenAI" })), ["configPathNotFound", "Unknown provider ID."]);
    assert.deepEqual(
      refusal(plan({ providerId: "openai", baseUrl: "bad" })),
      invalid("A custom provider or gateway cannot use a built-in provider ID."),
    );
    assert.deepEqual(refusal(plan({})), invalid("Enter a provider name."));
    assert.deepEqual(
      refusal(plan({ name: " Amazon Bedrock " })),
      invalid("This name is reserved for a built-in provider. Enter a different custom provider name."),
    );
    const badUrl = invalid("Enter an HTTP(S) base URL without credentials, a query, or a fragment.");
    for (const baseUrl of [
      "nope",
      "ftp://x.example",
      "https://u:p@x.example",
      "https://x.example/?",
      "https://x.example/#",
      "",
    ]) {
      assert.deepEqual(refusal(plan({ name: "n", baseUrl, envKey: "bad key" })), badUrl, baseUrl);
    }
    assert.deepEqual(refusal(plan({ name: "n", envKey: "9K" })), invalid("Invalid API key environment variable name."));
    assert.deepEqual(refusal(plan({ name: "n" })), invalid("A base URL is required to create a custom provider."));
    assert.deepEqual(
      refusal(() => planProviderWrite({ type: "gcp", providerId: "gcp", location: "  " }, {})),
      invalid("Configuration values must not be empty; use null to clear a field."),
    );
  });
});
