import assert from "node:assert/strict";
import { test } from "node:test";
import { SessionConfigEncodeError, ThreadConfigLoadError } from "./errors.js";
import { type LoadThreadConfigResponseMessage, type ModelProviderMessage, threadConfigLoaderService } from "./proto.js";
import {
  type ModelProviderToml,
  type SessionConfigToml,
  sessionConfigFromProto,
  sessionConfigFromSources,
  sessionConfigToProto,
} from "./session-config-codec.js";

const load = threadConfigLoaderService.Load;

/** Through the real protobuf encoding, as a response crosses the wire. */
function overTheWire(response: LoadThreadConfigResponseMessage): LoadThreadConfigResponseMessage {
  return load.responseDeserialize(load.responseSerialize(response));
}

const fullProvider: ModelProviderToml = {
  name: "Local",
  base_url: "http://127.0.0.1:8061/api/codex",
  env_key: "LOCAL_API_KEY",
  env_key_instructions: "export LOCAL_API_KEY=<key from the admin console>",
  experimental_bearer_token: "bearer-secret",
  auth: { command: "token-helper", args: ["--json"], timeout_ms: 5_000, refresh_interval_ms: 300_000, cwd: "/workspace" },
  wire_api: "responses",
  query_params: { "api-version": "2026-04-16" },
  http_headers: { "X-Test": "enabled" },
  env_http_headers: { "X-Env": "LOCAL_HEADER" },
  request_max_retries: 7,
  stream_max_retries: 8,
  stream_idle_timeout_ms: 9_000,
  websocket_connect_timeout_ms: 10_000,
  requires_openai_auth: true,
  supports_websockets: true,
  bedrock_mantle_additional_regions: ["us-west-2", "eu-central-1"],
};

const fullConfig: SessionConfigToml = {
  model_provider: "local",
  model_providers: { local: fullProvider },
  features: { plugins: false, tools: true },
};

function sessionOf(config: SessionConfigToml): LoadThreadConfigResponseMessage {
  return { sources: [{ session: sessionConfigToProto(config) }] };
}

function decodeOne(response: LoadThreadConfigResponseMessage): SessionConfigToml {
  const session = overTheWire(response).sources?.[0]?.session;
  assert.ok(session, "the response carries a session source");
  return sessionConfigFromProto(session);
}

function providerResponse(provider: ModelProviderMessage): LoadThreadConfigResponseMessage {
  return { sources: [{ session: { model_providers: [provider] } }] };
}

function assertParseError(run: () => unknown, messagePart: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ThreadConfigLoadError, `expected ThreadConfigLoadError, got ${String(error)}`);
    assert.equal(error.kind, "parse");
    assert.match(error.message, messagePart);
    return true;
  });
}

test("a provider with all 18 fields survives TOML → proto → wire → TOML unchanged", () => {
  assert.deepEqual(decodeOne(sessionOf(fullConfig)), fullConfig);
});

test("optional numbers keep their presence: an explicit 0 stays, an absent one stays absent", () => {
  const config: SessionConfigToml = {
    model_providers: { zero: { name: "Zero", request_max_retries: 0, stream_max_retries: 0 } },
  };
  assert.deepEqual(decodeOne(sessionOf(config)), {
    model_providers: {
      zero: {
        name: "Zero",
        wire_api: "responses",
        request_max_retries: 0,
        stream_max_retries: 0,
        requires_openai_auth: false,
        supports_websockets: false,
      },
    },
  });
});

test("auth defaults are Codex's (timeout 5000 ms, refresh 300000 ms, no args)", () => {
  const config: SessionConfigToml = {
    model_providers: { helper: { name: "Helper", auth: { command: "token-helper", cwd: "/srv/tokens" } } },
  };
  assert.deepEqual(decodeOne(sessionOf(config)).model_providers?.helper?.auth, {
    command: "token-helper",
    args: [],
    timeout_ms: 5_000,
    refresh_interval_ms: 300_000,
    cwd: "/srv/tokens",
  });
});

// A tiny protobuf reader, to pin field numbers and wire types against Codex's .proto.
function readFields(bytes: Uint8Array): { field: number; wireType: number; value: number | Uint8Array }[] {
  const fields: { field: number; wireType: number; value: number | Uint8Array }[] = [];
  let offset = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[offset++];
      assert.ok(byte !== undefined, "truncated varint");
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < bytes.length) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === 0) {
      fields.push({ field, wireType, value: readVarint() });
    } else if (wireType === 2) {
      const length = readVarint();
      fields.push({ field, wireType, value: bytes.subarray(offset, offset + length) });
      offset += length;
    } else {
      assert.fail(`unexpected wire type ${wireType} for field ${field}`);
    }
  }
  return fields;
}

function onlyField(bytes: Uint8Array, field: number): Uint8Array {
  const found = readFields(bytes).filter((entry) => entry.field === field);
  assert.equal(found.length, 1, `exactly one field ${field}`);
  const value = found[0]?.value;
  assert.ok(value instanceof Uint8Array);
  return value;
}

test("field numbers and wire types match codex.thread_config.v1 (ModelProvider 1…18, auth 1…5, WIRE_API_RESPONSES = 1)", () => {
  const bytes = load.responseSerialize(sessionOf({ model_providers: { local: fullProvider } }));
  const source = onlyField(bytes, 1); // LoadThreadConfigResponse.sources = 1
  const session = onlyField(source, 1); // ThreadConfigSource.session = 1
  const provider = onlyField(session, 2); // SessionThreadConfig.model_providers = 2
  const fields = readFields(provider);
  const varintFields = [8, 12, 13, 14, 15, 16, 17];
  const seen = [...new Set(fields.map((entry) => entry.field))].sort((a, b) => a - b);
  assert.deepEqual(
    seen,
    Array.from({ length: 18 }, (_, index) => index + 1),
  );
  for (const entry of fields) {
    assert.equal(entry.wireType, varintFields.includes(entry.field) ? 0 : 2, `wire type of field ${entry.field}`);
  }
  assert.equal(fields.find((entry) => entry.field === 8)?.value, 1, "wire_api = WIRE_API_RESPONSES = 1");
  assert.equal(fields.filter((entry) => entry.field === 18).length, 2, "one entry per Bedrock region");

  const auth = fields.find((entry) => entry.field === 7)?.value;
  assert.ok(auth instanceof Uint8Array);
  assert.deepEqual(
    readFields(auth).map((entry) => [entry.field, entry.wireType]),
    [
      [1, 2],
      [2, 2],
      [3, 0],
      [4, 0],
      [5, 2],
    ],
  );
  // StringMap { map<string,string> values = 1 }: one map entry (field 1) holding key = 1, value = 2.
  const queryParams = fields.find((entry) => entry.field === 9)?.value;
  assert.ok(queryParams instanceof Uint8Array);
  const entry = onlyField(queryParams, 1);
  assert.deepEqual(
    readFields(entry).map((item) => [item.field, Buffer.from(item.value as Uint8Array).toString()]),
    [
      [1, "api-version"],
      [2, "2026-04-16"],
    ],
  );
  // SessionThreadConfig { optional model_provider = 1; features = 3 }.
  const withProviderAndFeatures = load.responseSerialize(sessionOf({ model_provider: "local", features: { tools: true } }));
  const sessionFields = readFields(onlyField(onlyField(withProviderAndFeatures, 1), 1)).map((item) => item.field);
  assert.deepEqual(sessionFields, [1, 3]);
  // LoadThreadConfigRequest { optional thread_id = 1; optional cwd = 2 }.
  const request = readFields(load.requestSerialize({ thread_id: "t-1", cwd: "/w" }));
  assert.deepEqual(
    request.map((item) => item.field),
    [1, 2],
  );
  // ThreadConfigSource.user = 2.
  const userSource = onlyField(load.responseSerialize({ sources: [{ user: {} }] }), 1);
  assert.deepEqual(
    readFields(userSource).map((item) => item.field),
    [2],
  );
});

test("parse error: a model provider with an empty id", () => {
  const response = overTheWire(providerResponse({ id: "", name: "Nameless", wire_api: "WIRE_API_RESPONSES" }));
  assertParseError(() => sessionConfigFromSources(response.sources ?? []), /model provider without an id/);
});

test("parse error: an unknown wire_api (and an omitted one)", () => {
  const unknown = overTheWire(providerResponse({ id: "odd", wire_api: 7 }));
  assertParseError(() => sessionConfigFromSources(unknown.sources ?? []), /unknown wire_api: 7/);
  const omitted = overTheWire(providerResponse({ id: "bare", name: "Bare" }));
  assertParseError(() => sessionConfigFromSources(omitted.sources ?? []), /omitted wire_api/);
});

test("parse error: a zero auth timeout", () => {
  const response = overTheWire(
    providerResponse({
      id: "helper",
      wire_api: "WIRE_API_RESPONSES",
      auth: { command: "token-helper", timeout_ms: 0, refresh_interval_ms: 1, cwd: "/workspace" },
    }),
  );
  assertParseError(() => sessionConfigFromSources(response.sources ?? []), /zero auth timeout_ms/);
});

test("parse errors Codex also makes: a relative auth cwd, a source without a payload", () => {
  const relative = overTheWire(
    providerResponse({
      id: "helper",
      wire_api: "WIRE_API_RESPONSES",
      auth: { command: "token-helper", timeout_ms: 10, cwd: "relative/dir" },
    }),
  );
  assertParseError(() => sessionConfigFromSources(relative.sources ?? []), /invalid auth cwd "relative\/dir"/);
  const empty = overTheWire({ sources: [{}] });
  assertParseError(() => sessionConfigFromSources(empty.sources ?? []), /omitted source payload/);
});

test("several session sources layer in order: later wins key by key, tables merge", () => {
  const response = overTheWire({
    sources: [
      {
        session: sessionConfigToProto({
          model_provider: "first",
          model_providers: { shared: { name: "Old", base_url: "http://old.example/v1", http_headers: { A: "1" } } },
          features: { plugins: true, tools: true },
        }),
      },
      { user: {} },
      { session: {} },
      {
        session: sessionConfigToProto({
          model_provider: "second",
          model_providers: { shared: { name: "New", http_headers: { B: "2" } } },
          features: { plugins: false },
        }),
      },
    ],
  });
  const { session, user } = sessionConfigFromSources(response.sources ?? []);
  assert.equal(user, true);
  assert.deepEqual(session, {
    model_provider: "second",
    model_providers: {
      shared: {
        name: "New",
        base_url: "http://old.example/v1",
        http_headers: { A: "1", B: "2" },
        wire_api: "responses",
        requires_openai_auth: false,
        supports_websockets: false,
      },
    },
    features: { plugins: false, tools: true },
  });
});

test("a repeated provider id within one source keeps the last definition", () => {
  const response = overTheWire({
    sources: [
      {
        session: {
          model_providers: [
            { id: "dup", name: "First", wire_api: "WIRE_API_RESPONSES", base_url: "http://first" },
            { id: "dup", name: "Second", wire_api: "WIRE_API_RESPONSES" },
          ],
        },
      },
    ],
  });
  assert.deepEqual(sessionConfigFromSources(response.sources ?? []).session?.model_providers, {
    dup: { name: "Second", wire_api: "responses", requires_openai_auth: false, supports_websockets: false },
  });
});

test("no sources, or only empty ones, mean no session config", () => {
  assert.deepEqual(sessionConfigFromSources([]), { session: null, user: false });
  assert.deepEqual(sessionConfigFromSources(overTheWire({ sources: [{ session: {} }] }).sources ?? []), {
    session: null,
    user: false,
  });
});

test("encoding refuses, by field, what Codex's parser would refuse", () => {
  const cases: [SessionConfigToml, string][] = [
    [{ model_providers: { "": { name: "x" } } }, 'model_providers.""'],
    [{ model_providers: { chat: { name: "x", wire_api: "chat" as "responses" } } }, "model_providers.chat.wire_api"],
    [{ model_providers: { zero: { auth: { command: "t", timeout_ms: 0, cwd: "/w" } } } }, "model_providers.zero.auth.timeout_ms"],
    [{ model_providers: { nocwd: { auth: { command: "t" } } } }, "model_providers.nocwd.auth.cwd"],
    [{ model_providers: { neg: { request_max_retries: -1 } } }, "model_providers.neg.request_max_retries"],
  ];
  for (const [config, field] of cases) {
    assert.throws(
      () => sessionConfigToProto(config),
      (error: unknown) => error instanceof SessionConfigEncodeError && error.field === field,
      field,
    );
  }
});
