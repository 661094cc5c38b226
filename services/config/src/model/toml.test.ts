import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigTomlError, configToToml, parseConfigToml } from "./toml.js";

test("parsing yields plain JSON-shaped tables", () => {
  const parsed = parseConfigToml(`
model = "gpt-5"
project_doc_max_bytes = 32768
created = 1979-05-27T07:32:00Z
[projects."/work/a.b"]
trust_level = "trusted"
[[skills.config]]
path = "/a/SKILL.md"
enabled = false
`);
  assert.deepEqual(parsed, {
    model: "gpt-5",
    project_doc_max_bytes: 32768,
    created: "1979-05-27T07:32:00.000Z",
    projects: { "/work/a.b": { trust_level: "trusted" } },
    skills: { config: [{ path: "/a/SKILL.md", enabled: false }] },
  });
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
});

test("syntax errors carry their line and column", () => {
  assert.throws(
    () => parseConfigToml('model = "a"\nsandbox_mode = = "read-only"\n'),
    (error: unknown) => {
      assert.ok(error instanceof ConfigTomlError);
      assert.equal(error.line, 2);
      assert.equal(error.column, 16);
      assert.match(error.message, /^TOML parse error at line 2, column 16: /);
      assert.match(error.message, /sandbox_mode = = "read-only"/, "the offending line is quoted");
      return true;
    },
  );
});

test("config tables round-trip through TOML; nulls are left out", () => {
  const table = {
    model: "gpt-5",
    notify: ["a", "b"],
    features: { memories: true },
    model_providers: { "corp.eu": { name: "Corp", http_headers: { "X-Team": "a" } } },
    cleared: null,
    skills: { config: [{ path: "/a", enabled: false }] },
  };
  const text = configToToml(table);
  assert.doesNotMatch(text, /cleared/);
  const { cleared: _cleared, ...rest } = table;
  assert.deepEqual(parseConfigToml(text), rest);
});
