// Which methods need the experimental API, against the real `codex app-server` 0.171.0: a client that
// did not ask for it sends every method Switchyard answers, with well-formed params made from the
// official schema (each required field given a value of its type), to both sides; a method one side
// refuses with ``<method> requires experimentalApi capability`` the other must refuse so too; then
// each optional field alone (``<method>.<field> requires …``). Methods that act on the machine are
// left out (the binary would run them), as are turns and reviews (they would wait on a model).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { isMachineOnlyMethod, lookupMethod } from "@switchyard/protocol";
import { type BesideCodex, besideCodex } from "./harness/beside-codex.js";
import type { CodexTestClient } from "./harness/client.js";
import type { StdioAppServer } from "./harness/stdio-app-server.js";

type Schema = Record<string, any>;
const schema = JSON.parse(
  readFileSync(new URL("./fixtures/codex-app-server-schema-0.171.0/ClientRequest.json", import.meta.url), "utf8"),
) as Schema;
const definitions = schema.definitions as Record<string, Schema>;
const SOME_ID = "019a0000-0000-7000-8000-000000000000";

/** Sent elsewhere with care: they start threads and turns, or wait on a model. */
const LEFT_OUT = new Set(["initialize", "thread/start", "turn/start", "thread/fork", "thread/resume", "review/start"]);

/** A value of `node`'s type: its first variant, enum value or example; ids get a well-formed UUID. */
function sample(node: Schema | undefined, field: string, depth = 0): unknown {
  if (!node || depth > 6) return null;
  if (node.$ref) return sample(definitions[String(node.$ref).split("/").pop() as string], field, depth + 1);
  const choices = node.anyOf ?? node.oneOf;
  if (choices) return sample(choices.find((choice: Schema) => choice.type !== "null") ?? choices[0], field, depth + 1);
  if (node.enum) return node.enum[0];
  if (node.const !== undefined) return node.const;
  const type = Array.isArray(node.type) ? node.type.find((name: string) => name !== "null") : node.type;
  switch (type) {
    case "string":
      return /id$/i.test(field) ? SOME_ID : field.toLowerCase().includes("path") || field === "cwd" ? "/tmp" : "x";
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return false;
    case "array":
      return [];
    case "object": {
      const value: Record<string, unknown> = {};
      for (const name of node.required ?? []) value[name] = sample(node.properties?.[name], name, depth + 1);
      return value;
    }
    default:
      return null;
  }
}

/** Every method Switchyard answers, with params from the schema (undefined when it takes none). */
function methodsToProbe(): [string, unknown][] {
  const probes: [string, unknown][] = [];
  for (const variant of schema.oneOf as Schema[]) {
    const method = variant.properties.method.enum[0] as string;
    if (LEFT_OUT.has(method) || isMachineOnlyMethod(method) || lookupMethod(method).kind !== "known") continue;
    const params = variant.properties.params;
    probes.push([method, params && params.type !== "null" ? sample(params, "params") : undefined]);
  }
  return probes;
}

/** A params node with its references and nullable wrappers resolved. */
const resolved = (node: Schema | undefined): Schema | undefined =>
  node?.$ref
    ? resolved(definitions[String(node.$ref).split("/").pop() as string])
    : node?.anyOf
      ? resolved(node.anyOf.find((choice: Schema) => choice.type !== "null"))
      : node;

/**
 * Each optional field of each method's params, given a value of its type alone beside the required
 * ones (a plain boolean both false and true: Codex gates some only when true).
 */
function fieldsToProbe(): [string, string, Record<string, unknown>][] {
  const probes: [string, string, Record<string, unknown>][] = [];
  for (const variant of schema.oneOf as Schema[]) {
    const method = variant.properties.method.enum[0] as string;
    if (method === "initialize" || method === "turn/start" || method === "review/start") continue;
    if (isMachineOnlyMethod(method) || lookupMethod(method).kind !== "known") continue;
    const params = resolved(variant.properties.params);
    if (!params?.properties) continue;
    const base = sample(params, "params") as Record<string, unknown>;
    for (const [field, node] of Object.entries(params.properties as Record<string, Schema>)) {
      if ((params.required ?? []).includes(field)) continue;
      const value = sample(node, field);
      if (value === null) continue;
      probes.push([method, field, { ...base, [field]: value }]);
      if (node.type === "boolean") probes.push([method, field, { ...base, [field]: true }]);
    }
  }
  return probes;
}

const gated = (reply: { error?: { message: string } }) => /requires experimentalApi capability$/.test(reply.error?.message ?? "");

describe("the experimental API gate beside codex app-server 0.171.0", () => {
  let sides: BesideCodex;
  let codex: StdioAppServer;
  let client: CodexTestClient;

  before(async () => {
    // Neither side's client asks for the experimental API.
    sides = await besideCodex("experimental_gate", {
      codexExperimentalApi: false,
      client: { experimentalApi: false },
    });
    ({ codex, client } = sides);
  });
  after(async () => sides?.stop());

  test("every method Switchyard answers is gated exactly where the binary gates it", async () => {
    const probes = methodsToProbe();
    assert.ok(probes.length > 100, `${probes.length} methods probed`);
    const differences: string[] = [];
    let gatedCount = 0;
    for (const [method, params] of probes) {
      const theirs = gated(await codex.request(method, params));
      const ours = gated(await client.request(method, params));
      if (theirs) gatedCount++;
      if (theirs !== ours)
        differences.push(`${method}: binary ${theirs ? "gates" : "does not gate"} it, Switchyard ${ours ? "does" : "does not"}`);
    }
    assert.deepEqual(differences, []);
    assert.ok(gatedCount > 10, `${gatedCount} gated methods seen`);
  });

  test("and every optional field of theirs is gated where the binary gates it", async () => {
    const probes = fieldsToProbe();
    assert.ok(probes.length > 300, `${probes.length} fields probed`);
    const differences: string[] = [];
    let gatedCount = 0;
    for (const [method, field, params] of probes) {
      const theirs = gated(await codex.request(method, params));
      const ours = gated(await client.request(method, params));
      if (theirs) gatedCount++;
      if (theirs !== ours) {
        differences.push(`${method}.${field} = ${JSON.stringify(params[field])}: binary ${theirs}, Switchyard ${ours}`);
      }
    }
    assert.deepEqual(differences, []);
    assert.ok(gatedCount > 10, `${gatedCount} gated fields seen`);
  });
});
