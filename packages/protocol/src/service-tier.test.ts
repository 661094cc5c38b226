import assert from "node:assert/strict";
import { test } from "node:test";
import { keptServiceTier, needsOfferedTier, offeredServiceTier, requestServiceTier } from "./service-tier.js";

test("a named tier is kept as Codex records it: fast is priority, an explicit null is default", () => {
  assert.equal(keptServiceTier("fast"), "priority");
  assert.equal(keptServiceTier(null), "default");
  assert.equal(keptServiceTier("priority"), "priority");
  assert.equal(keptServiceTier("flex"), "flex");
  assert.equal(keptServiceTier("turbo"), "turbo");
});

test("default and flex go with every model; any other tier only with a model that lists it", () => {
  assert.equal(needsOfferedTier("default"), false);
  assert.equal(needsOfferedTier("flex"), false);
  assert.equal(needsOfferedTier(null), false);
  assert.equal(needsOfferedTier("priority"), true);
  for (const tier of ["default", "flex"]) assert.equal(offeredServiceTier(tier, []), tier);
  assert.equal(offeredServiceTier("priority", ["priority"]), "priority");
  assert.equal(offeredServiceTier("priority", []), null);
  assert.equal(offeredServiceTier("turbo", ["priority"]), null);
  assert.equal(offeredServiceTier("turbo", ["turbo", "flex"]), "turbo");
  assert.equal(offeredServiceTier(null, ["priority"]), null);
  // Not known (an older instance did not say): shown as kept.
  assert.equal(offeredServiceTier("priority", undefined), "priority");
});

test("a model request carries the offered tier, none for standard routing or a tier not offered", () => {
  assert.equal(requestServiceTier("priority", ["priority"]), "priority");
  assert.equal(requestServiceTier("flex", []), "flex");
  assert.equal(requestServiceTier("default", ["priority"]), undefined);
  assert.equal(requestServiceTier("priority", []), undefined);
  assert.equal(requestServiceTier(null, ["priority"]), undefined);
});
