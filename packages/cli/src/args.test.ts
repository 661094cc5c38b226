import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commandHelp, generalHelp, parseCommandLine } from "./args.js";
import type { Command } from "./commands/command.js";

const token: Command = {
  name: "token",
  summary: "prints a token",
  options: {
    tenant: { type: "string", description: "tenant", required: true },
    subject: { type: "string", description: "subject", required: true },
    roles: { type: "string", description: "roles" },
    verbose: { type: "boolean", short: "v", description: "more" },
  },
  run: async () => 0,
};
const status: Command = { name: "status", summary: "shows status", options: {}, run: async () => 0 };
const lockExport: Command = { name: "config lock export", summary: "exports a lockfile", options: {}, run: async () => 0 };
const configExport: Command = { name: "config export", summary: "exports config", options: {}, run: async () => 0 };
const commands = [token, status, lockExport, configExport];

describe("parseCommandLine", () => {
  it("finds commands named by several words, the longest match first", () => {
    const line = parseCommandLine(["config", "lock", "export"], commands);
    assert.equal(line.kind === "run" && line.command, lockExport);
    assert.equal((parseCommandLine(["config", "export"], commands) as { command: Command }).command, configExport);
    assert.deepEqual(parseCommandLine(["help", "config", "lock", "export"], commands), { kind: "help", command: lockExport });
    const unknown = parseCommandLine(["config", "nope"], commands);
    assert.equal(unknown.kind, "error");
    assert.match(unknown.kind === "error" ? unknown.message : "", /config lock export, config export/);
  });
  it("parses options in both spellings", () => {
    const line = parseCommandLine(["token", "--tenant", "dev", "--subject=you", "-v"], commands);
    assert.equal(line.kind, "run");
    assert.deepEqual(line.kind === "run" && { ...line.options }, { tenant: "dev", subject: "you", verbose: true });
  });
  it("asks for help", () => {
    assert.deepEqual(parseCommandLine([], commands), { kind: "help", command: undefined });
    assert.deepEqual(parseCommandLine(["--help"], commands), { kind: "help", command: undefined });
    assert.deepEqual(parseCommandLine(["help", "token"], commands), { kind: "help", command: token });
    assert.deepEqual(parseCommandLine(["token", "--help"], commands), { kind: "help", command: token });
    assert.deepEqual(parseCommandLine(["status", "-h"], commands), { kind: "help", command: status });
  });
  it("reports unknown commands, unknown options, missing required ones and stray arguments", () => {
    assert.match(errorOf(["deploy"]), /unknown command "deploy"/);
    assert.match(errorOf(["token", "--tenant", "dev", "--subject", "x", "--ttl", "1h"]), /--ttl/);
    assert.match(errorOf(["token", "--tenant", "dev"]), /missing --subject/);
    assert.match(errorOf(["status", "extra"]), /extra/);
    assert.match(errorOf(["token", "--tenant"]), /--tenant/);
  });
});

describe("help texts", () => {
  it("list commands and options", () => {
    assert.match(generalHelp([token, status]), / {2}token {3}prints a token\n {2}status {2}shows status/);
    const help = commandHelp(token);
    assert.match(help, /--tenant <value> +tenant \(required\)/);
    assert.match(help, /-v, --verbose +more/);
    assert.match(help, /-h, --help/);
  });
});

function errorOf(argv: string[]): string {
  const line = parseCommandLine(argv, commands);
  assert.equal(line.kind, "error");
  return line.kind === "error" ? line.message : "";
}
