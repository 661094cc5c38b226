import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bindAddress, isLoopbackHost, parseEndpoints, redactUrl } from "./endpoints.js";

describe("isLoopbackHost", () => {
  it("accepts localhost, 127/8 and ::1", () => {
    for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "db.localhost"]) {
      assert.equal(isLoopbackHost(host), true, host);
    }
  });
  it("rejects other hosts", () => {
    for (const host of ["10.0.0.1", "0.0.0.0", "nats", "example.com", "128.0.0.1", "::", "fe80::1", "localhost.example.com"]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});

describe("parseEndpoints", () => {
  it("reads host and port, with the default port when absent", () => {
    assert.deepEqual(parseEndpoints("redis", "redis://127.0.0.1:16379"), [
      { kind: "redis", url: "redis://127.0.0.1:16379", host: "127.0.0.1", port: 16379, isLoopback: true },
    ]);
    const [postgres] = parseEndpoints("postgres", "postgres://postgres:secret@db.internal/switchyard");
    assert.equal(postgres?.port, 5432);
    assert.equal(postgres?.host, "db.internal");
    assert.equal(postgres?.isLoopback, false);
  });
  it("splits NATS server lists and accepts a missing scheme", () => {
    const endpoints = parseEndpoints("nats", "127.0.0.1:4222, nats://10.1.1.1:4223");
    assert.deepEqual(
      endpoints.map((endpoint) => [endpoint.host, endpoint.port, endpoint.isLoopback]),
      [
        ["127.0.0.1", 4222, true],
        ["10.1.1.1", 4223, false],
      ],
    );
  });
  it("handles IPv6 loopback", () => {
    const [nats] = parseEndpoints("nats", "nats://[::1]:14222");
    assert.equal(nats?.host, "::1");
    assert.equal(nats?.isLoopback, true);
  });
  it("rejects garbage", () => {
    assert.throws(() => parseEndpoints("redis", "redis://exa mple:x"), /not a valid URL/);
    assert.throws(() => parseEndpoints("nats", " , "), /empty/);
  });
});

describe("bindAddress and redactUrl", () => {
  it("binds localhost as 127.0.0.1", () => {
    const [endpoint] = parseEndpoints("redis", "redis://localhost:6380");
    assert.ok(endpoint);
    assert.equal(bindAddress(endpoint), "127.0.0.1");
  });
  it("hides passwords", () => {
    assert.equal(redactUrl("postgres://app:hunter2@127.0.0.1:5432/switchyard"), "postgres://app:***@127.0.0.1:5432/switchyard");
    assert.equal(redactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  });
});
