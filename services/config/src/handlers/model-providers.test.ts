import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SwitchyardError } from "@switchyard/protocol";
import { resolveLayers } from "../model/index.js";
import {
  gatewayOAuthState,
  modelProviderList,
  type ProviderCredentials,
  providerTableFor,
  resolveProvider,
  secretNamesOf,
} from "./model-providers.js";

const credentials = (secrets: Record<string, string> = {}, deploymentOpenAiKey: string | null = null): ProviderCredentials => ({
  secrets: new Map(Object.entries(secrets)),
  deploymentOpenAiKey,
  openConfigSecret: (value) => value.replace(/^sealed:/, ""),
});
const resolve = (config: Record<string, unknown>, id: string, creds = credentials()) =>
  resolveProvider(id, providerTableFor(config, id), creds);
const messageOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof SwitchyardError);
    return error.message;
  }
  assert.fail("expected an error");
};

describe("model providers", () => {
  test("config.toml keys map with Codex's defaults and caps", () => {
    const config = {
      model_providers: {
        full: {
          name: "Full",
          base_url: "https://example.test/v1//",
          query_params: { "api-version": "1" },
          http_headers: { "X-A": "a", Authorization: "sealed:Bearer h" },
          env_http_headers: { "X-B": "B_VAR", "X-C": "C_VAR" },
          experimental_bearer_token: "sealed:tok",
          request_max_retries: 1000,
          stream_max_retries: 7,
          stream_idle_timeout_ms: 10,
        },
        bare: { name: "Bare" },
      },
    };
    assert.deepEqual(resolve(config, "full", credentials({ B_VAR: "b", C_VAR: "  " })), {
      id: "full",
      name: "Full",
      baseUrl: "https://example.test/v1",
      wireApi: "responses",
      queryParams: { "api-version": "1" },
      headers: { "X-A": "a", Authorization: "Bearer h", "X-B": "b" },
      bearerToken: "tok",
      requestMaxRetries: 100,
      streamMaxRetries: 7,
      streamIdleTimeoutMs: 10,
    });
    const bare = resolve(config, "bare");
    assert.equal(bare.baseUrl, "https://api.openai.com/v1");
    assert.equal(bare.bearerToken, null);
    assert.deepEqual([bare.requestMaxRetries, bare.streamMaxRetries, bare.streamIdleTimeoutMs], [4, 5, 300_000]);
    assert.deepEqual(secretNamesOf(config.model_providers.full), ["B_VAR", "C_VAR"]);
  });

  test("the bearer token: inline first, else the env_key secret, else Codex's missing-variable error", () => {
    const config = { model_providers: { p: { name: "P", env_key: "P_KEY", env_key_instructions: "Ask the admin." } } };
    assert.equal(resolve(config, "p", credentials({ P_KEY: "secret" })).bearerToken, "secret");
    assert.equal(
      messageOf(() => resolve(config, "p")),
      "Missing environment variable: `P_KEY`. Set it as a tenant secret (switchyard secret set P_KEY, or switchyard/secret/set). Ask the admin.",
    );
    assert.equal(
      messageOf(() => resolve(config, "p", credentials({ P_KEY: "" }))).startsWith("Missing environment variable"),
      true,
    );
  });

  test("built-in providers, and the deployment key only for the built-in openai at its own base URL", () => {
    const openai = resolve({}, "openai", credentials({}, "sk-deploy"));
    assert.deepEqual([openai.name, openai.baseUrl, openai.bearerToken], ["OpenAI", "https://api.openai.com/v1", "sk-deploy"]);
    assert.equal(resolve({}, "openai", credentials({ OPENAI_API_KEY: "sk-tenant" }, "sk-deploy")).bearerToken, "sk-tenant");
    assert.match(
      messageOf(() => resolve({}, "openai")),
      /^Missing environment variable: `OPENAI_API_KEY`/,
    );
    const redirected = { model_providers: { openai: { name: "X", base_url: "http://evil.test/v1", env_key: "OPENAI_API_KEY" } } };
    assert.match(
      messageOf(() => resolve(redirected, "openai", credentials({}, "sk-deploy"))),
      /Missing environment variable/,
    );
    const renamed = { model_providers: { mine: { name: "Mine", env_key: "OPENAI_API_KEY" } } };
    assert.match(
      messageOf(() => resolve(renamed, "mine", credentials({}, "sk-deploy"))),
      /Missing environment variable/,
    );
    assert.equal(resolve({}, "ollama").baseUrl, "http://localhost:11434/v1");
  });

  test("Bedrock and Vertex AI are known, but a turn cannot call them without a base URL of their own", () => {
    for (const id of ["amazon-bedrock", "amazon-bedrock-runtime", "gcp"]) {
      const message = messageOf(() => resolve({}, id));
      assert.match(message, new RegExp(`^Model provider \`${id}\` signs in with (AWS|Google Cloud) credentials`));
      const configured = { model_providers: { [id]: { aws: { region: "r" }, project_id: "p" } } };
      assert.equal(
        messageOf(() => resolve(configured, id)),
        message,
      );
    }
    // With a base URL of its own it is an ordinary gateway.
    const gateway = { model_providers: { gcp: { name: "Vertex via gateway", base_url: "https://gw.example/v1" } } };
    assert.equal(resolve(gateway, "gcp").baseUrl, "https://gw.example/v1");
  });

  test("gateway OAuth: reported required and never ready, and a turn on such a provider refused unless it has a key", () => {
    const oauth = { authorization_url: "https://a.example/auth", token_url: "https://a.example/token", client_id: "c" };
    const config = {
      model_provider: "gw",
      model_providers: { gw: { name: "Gateway", base_url: "https://gw.example/v1", gateway_oauth: oauth } },
    };
    assert.deepEqual(gatewayOAuthState(config), {
      providerId: "gw",
      providerName: "Gateway",
      required: true,
      supportsDeviceAuth: false,
      status: "notReady",
      error: null,
    });
    const withDevice = structuredClone(config);
    (withDevice.model_providers.gw.gateway_oauth as Record<string, string>).device_authorization_url = "https://a.example/device";
    assert.equal(gatewayOAuthState(withDevice).supportsDeviceAuth, true);
    assert.deepEqual(gatewayOAuthState({}), {
      providerId: "openai",
      providerName: "OpenAI",
      required: false,
      supportsDeviceAuth: false,
      status: null,
      error: null,
    });
    assert.match(
      messageOf(() => resolve(config, "gw")),
      /signs in with gateway OAuth in a browser/,
    );
    const keyed = { model_providers: { gw: { ...config.model_providers.gw, env_key: "GW_KEY" } } };
    assert.equal(resolve(keyed, "gw", credentials({ GW_KEY: "k" })).bearerToken, "k");
  });

  test("refusals: an unknown provider, a wire_api other than responses, a command-based auth", () => {
    assert.equal(
      messageOf(() => providerTableFor({}, "nope")),
      "Model provider `nope` not found",
    );
    assert.equal(
      messageOf(() => providerTableFor({ model_providers: {} }, "__proto__")),
      "Model provider `__proto__` not found",
    );
    assert.equal(
      messageOf(() => providerTableFor({ model_providers: {} }, "toString")),
      "Model provider `toString` not found",
    );
    assert.match(
      messageOf(() => resolve({ model_providers: { c: { name: "C", wire_api: "chat" } } }, "c")),
      /supports only "responses"/,
    );
    assert.match(
      messageOf(() => resolve({ model_providers: { a: { name: "A", auth: { command: "gettoken" } } } }, "a")),
      /cannot run/,
    );
  });
});

// The binary's answers for user-layer providers are compared in test/interop-config-read.test.ts; what
// a layer above the user's does cannot be set up on the binary through the protocol, so it is here.
describe("modelProvider/list and the layers above the user's", () => {
  const user = { name: { type: "user", file: "/u/config.toml" } as const, config: {} as Record<string, unknown> };
  const providers = { mine: { name: "Mine", base_url: "https://example.com/mine" } };

  test("a provider or default set only in the user's layer (or below) can be changed there", () => {
    const listed = modelProviderList(
      resolveLayers([
        {
          name: { type: "packagedDefaults", file: "/etc/d.toml" },
          config: { model_provider: "openai", model_providers: { base: { name: "Base" } } },
        },
        { ...user, config: { model_providers: providers } },
      ]),
    );
    assert.deepEqual(
      listed.data.map((entry) => [entry.id, entry.canEdit]),
      [
        ["base", true],
        ["mine", true],
        ["openai", false],
      ],
    );
    assert.equal(listed.canChangeDefault, true);
    assert.equal(listed.defaultProviderId, "openai");
  });

  test("a managed layer that sets a provider or the default makes it not editable", () => {
    const listed = modelProviderList(
      resolveLayers([
        { ...user, config: { model_providers: providers } },
        {
          name: { type: "legacyManagedConfigTomlFromFile", file: "/etc/codex/managed_config.toml" },
          config: { model_provider: "mine", model_providers: { mine: { base_url: "https://managed.example.com" } } },
        },
      ]),
    );
    assert.deepEqual(listed.data[0], {
      id: "mine",
      name: "Mine",
      canEdit: false,
      baseUrl: "https://managed.example.com",
      settings: { type: "customGateway", auth: { mode: "none" } },
    });
    assert.equal(listed.canChangeDefault, false);
    assert.equal(listed.defaultProviderId, "mine");
  });

  test("a disabled layer above the user's does not count", () => {
    const listed = modelProviderList(
      resolveLayers([
        { ...user, config: { model_providers: providers } },
        {
          name: { type: "project", dotCodexFolder: "/w/.codex" },
          config: { model_provider: "mine" },
          disabledReason: "untrusted",
        },
      ]),
    );
    assert.equal(listed.canChangeDefault, true);
  });
});
