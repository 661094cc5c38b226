import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigWriteError } from "./errors.js";
import { formatKeyPath, parseKeyPath } from "./key-path.js";

test("dots separate segments; quoted segments keep their dots", () => {
  assert.deepEqual(parseKeyPath("model"), ["model"]);
  assert.deepEqual(parseKeyPath("model_providers.corp.base_url"), ["model_providers", "corp", "base_url"]);
  assert.deepEqual(parseKeyPath('projects."/work/a.b".trust_level'), ["projects", "/work/a.b", "trust_level"]);
  assert.deepEqual(parseKeyPath('a."b\\".c\\\\d"'), ["a", 'b".c\\d']);
  assert.deepEqual(parseKeyPath("mcp_servers.sample@catalog.enabled"), ["mcp_servers", "sample@catalog", "enabled"]);
});

test("malformed key paths are configValidationError with Codex's texts", () => {
  const cases: [string, string][] = [
    ["", "keyPath must not be empty"],
    ["   ", "keyPath must not be empty"],
    ["a..b", "keyPath segments must not be empty"],
    ["a.", "keyPath segments must not be empty"],
    [".a", "keyPath segments must not be empty"],
    ['projects."/a', "unterminated quoted keyPath segment"],
    ['ab"c"', "invalid quoted keyPath segment"],
    ['"a\\', "unterminated escape in keyPath"],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseKeyPath(text),
      (error: unknown) =>
        error instanceof ConfigWriteError && error.code === "configValidationError" && error.message === message,
      `keyPath ${JSON.stringify(text)}`,
    );
  }
});

test("formatKeyPath quotes only what needs quoting and round-trips", () => {
  const samples = [["model"], ["projects", "/work/a.b", "trust_level"], ["odd", 'quote"and\\slash', "x"], ["back\\slash"]];
  assert.equal(formatKeyPath(["projects", "/work/a.b", "trust_level"]), 'projects."/work/a.b".trust_level');
  assert.equal(formatKeyPath(["tui", "theme"]), "tui.theme");
  for (const segments of samples) assert.deepEqual(parseKeyPath(formatKeyPath(segments)), segments);
});
