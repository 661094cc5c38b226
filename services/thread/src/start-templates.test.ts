import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ResolveThreadConfigParams, ResolveThreadConfigResponse } from "@switchyard/protocol";
import { StartTemplates } from "./start-templates.js";

const inputs = (cwd: string, extra: Partial<ResolveThreadConfigParams> = {}) => ({
  cwd,
  overrides: { serviceTierGiven: false },
  clientVersion: "0.171.0",
  ...extra,
});

const answer = (model: string, reusable = true): ResolveThreadConfigResponse => ({
  model,
  modelProvider: "openai",
  serviceTier: null,
  approvalPolicy: "on-request",
  approvalsReviewer: "user",
  sandbox: "workspace-write",
  reasoningEffort: null,
  activePermissionProfile: null,
  warnings: [],
  configVersion: "sha256:0",
  ...(reusable ? { reuse: { generation: "3", sessionLayer: {}, effective: { model }, resolved: { model } } } : {}),
});

describe("start templates", () => {
  test("keys tell tenants, callers, cwds, client versions and overrides apart; forks and oversized inputs have none", () => {
    const key = StartTemplates.keyOf("t", "ann", inputs("/a"));
    const others = [
      StartTemplates.keyOf("u", "ann", inputs("/a")),
      StartTemplates.keyOf("t", "bob", inputs("/a")),
      StartTemplates.keyOf("t", "ann", inputs("/b")),
      StartTemplates.keyOf("t", "ann", { ...inputs("/a"), clientVersion: "0.169.0" }),
      StartTemplates.keyOf("t", "ann", { ...inputs("/a"), overrides: { serviceTierGiven: false, model: "m" } }),
      StartTemplates.keyOf("t", "ann", { ...inputs("/a"), overrides: { serviceTierGiven: true } }),
    ];
    assert.equal(new Set([key, ...others]).size, 7);
    assert.equal(StartTemplates.keyOf("t", "ann", inputs("/a")), key, "the same inputs, the same key");
    assert.equal(StartTemplates.keyOf("t", "ann", inputs("/a", { forkedFromId: "x" })), undefined);
    const big = { serviceTierGiven: false, config: { instructions: "x".repeat(5_000) } };
    assert.equal(StartTemplates.keyOf("t", "ann", { ...inputs("/a"), overrides: big }), undefined);
  });

  test("remembers only answers marked reusable, forgets on request, and keeps the most recently used within its budget", () => {
    const entryChars = (key: string, model: string) => key.length + "{}".length + 2 * JSON.stringify({ model }).length;
    const templates = new StartTemplates(2 * entryChars("a", "ma"));
    templates.remember("a", answer("ma", false));
    assert.equal(templates.get("a"), undefined, "not marked reusable");
    templates.remember("a", answer("ma"));
    templates.remember("b", answer("mb"));
    assert.equal(templates.get("a")?.answer.model, "ma"); // a is now the most recently used
    assert.equal(templates.heldChars, 2 * entryChars("a", "ma"));
    templates.remember("c", answer("mc"));
    assert.equal(templates.size, 2);
    assert.equal(templates.get("b"), undefined, "the least recently used went");
    const kept = templates.get("a");
    assert.equal(kept?.generation, "3");
    assert.equal(kept?.snapshotJson.effective, JSON.stringify({ model: "ma" }), "serialized once, kept");
    assert.equal("reuse" in (kept?.answer ?? {}), false, "the parsed documents are not kept twice");
    templates.remember("a", answer("mz"));
    assert.equal(templates.get("a")?.answer.model, "mz", "a newer answer replaces the old one");
    assert.equal(templates.heldChars, entryChars("a", "mz") + entryChars("c", "mc"));
    templates.forget("a");
    assert.equal(templates.get("a"), undefined);
    assert.equal(templates.heldChars, entryChars("c", "mc"));
    templates.remember("huge", answer("x".repeat(4 * entryChars("a", "ma"))));
    assert.equal(templates.get("huge"), undefined, "an answer larger than the budget is not remembered");
    assert.equal(templates.get("c")?.answer.model, "mc", "and evicts nothing");
  });
});
