import assert from "node:assert/strict";
import { test } from "node:test";
import { responsesRequestBody } from "./request-body.js";

test("a request carries the service tier it is given, and none without one", () => {
  const body = (serviceTier?: string) => responsesRequestBody({ model: "m", input: [], serviceTier });
  assert.equal(body("priority").service_tier, "priority");
  assert.equal(body("flex").service_tier, "flex");
  assert.equal("service_tier" in body(), false);
  assert.equal("service_tier" in body(""), false);
});
