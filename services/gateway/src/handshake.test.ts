import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { methodsOwnedBy } from "@switchyard/protocol";
import { initializeSession, missingGatewayHandlers } from "./handshake.js";
import { localMethods } from "./local-methods.js";

const settings = { codexHome: "/home", serverVersion: "9.9.9" };

describe("initialize handshake", () => {
  test("opens the session once, with the client's capabilities", () => {
    const outcome = initializeSession(
      {
        clientInfo: { name: "tui", version: "0.171.0" },
        capabilities: { experimentalApi: true, optOutNotificationMethods: ["a/b"] },
      },
      false,
      settings,
    );
    assert.ok(outcome.ok);
    assert.equal(outcome.result.codexHome, "/home");
    // Codex's shape: the Codex version spoken first (the TUI compares it with its own), then the platform.
    assert.match(
      outcome.result.userAgent,
      /^switchyard\/0\.171\.0 \(Linux; \w+\) switchyard-gateway\/9\.9\.9 \(tui; 0\.171\.0\)$/,
    );
    assert.equal(outcome.session.isExperimentalApi, true);
    assert.deepEqual([...outcome.session.optedOut], ["a/b"]);
    const again = initializeSession({ clientInfo: { name: "tui", version: "1" } }, true, settings);
    assert.deepEqual(again, { ok: false, detail: { reason: "alreadyInitialized" } });
  });

  test("a client name that is not a valid HTTP header value is refused", () => {
    const outcome = initializeSession({ clientInfo: { name: "bad\nname", version: "1" } }, false, settings);
    assert.deepEqual(outcome, { ok: false, detail: { reason: "invalidClientName", name: "bad\nname" } });
  });
});

describe("gateway-owned methods", () => {
  test("the start-up check finds every gateway method without a handler", () => {
    const handlers = localMethods({ tenantRequestsInFlight: () => 0, installationId: "switchyard-test" });
    assert.deepEqual(missingGatewayHandlers(handlers), [], "the shipped handlers cover every gateway-owned method");
    const partial = new Map([...handlers].filter(([method]) => method !== "account/read"));
    assert.deepEqual(missingGatewayHandlers(partial), ["account/read"]);
    assert.ok(methodsOwnedBy("gateway").length >= 3);
  });
});
