// Command-line parsing: `<command> [--option value]…`, `--help` anywhere, and help texts built from
// each command's option specs.
import { parseArgs } from "node:util";
import type { Command, OptionValues } from "./commands/command.js";

export type CommandLine =
  | { kind: "help"; command?: Command }
  | { kind: "run"; command: Command; options: OptionValues }
  | { kind: "error"; message: string; command?: Command };

/**
 * The command named by the leading words of `argv` (names may be several words: `config lock
 * export`), the longest match winning, and the words after it.
 */
function findCommand(argv: string[], commands: readonly Command[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of commands) {
    const words = command.name.split(" ");
    const matches = words.every((word, index) => argv[index] === word);
    if (matches && (!best || words.length > best.command.name.split(" ").length)) {
      best = { command, rest: argv.slice(words.length) };
    }
  }
  return best;
}

export function parseCommandLine(argv: string[], commands: readonly Command[]): CommandLine {
  const [name, ...afterName] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? findCommand(afterName, commands)?.command : undefined;
    return { kind: "help", command: topic };
  }
  const found = findCommand(argv, commands);
  if (!found) {
    const group = commands.filter((candidate) => candidate.name.startsWith(`${name} `)).map((candidate) => candidate.name);
    const hint = group.length > 0 ? ` (try: ${group.join(", ")})` : "";
    return { kind: "error", message: `unknown command "${argv.filter((word) => !word.startsWith("-")).join(" ")}"${hint}` };
  }
  const { command, rest } = found;
  const options = Object.fromEntries(
    Object.entries(command.options).map(([key, spec]) => [
      key,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
    ]),
  );
  let values: OptionValues;
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: command.positional !== undefined,
    }) as { values: OptionValues; positionals: string[] };
    values = parsed.values;
    if (command.positional && parsed.positionals.length > 0) values[command.positional] = parsed.positionals.join(" ");
  } catch (error) {
    return { kind: "error", command, message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: "help", command };
  const missing = Object.entries(command.options)
    .filter(([key, spec]) => spec.required && (values[key] === undefined || values[key] === ""))
    .map(([key]) => `--${key}`);
  if (missing.length > 0) return { kind: "error", command, message: `missing ${missing.join(", ")}` };
  return { kind: "run", command, options: values };
}

export function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    "Usage: pnpm switchyard <command> [options]     (pnpm start = pnpm switchyard start)",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run `pnpm switchyard <command> --help` for a command's options. Settings come from the",
    "environment (NATS_URL, DATABASE_URL, REDIS_URL, …; see the README's configuration table).",
  ].join("\n");
}

export function commandHelp(command: Command): string {
  const flags = Object.entries(command.options).map(([key, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${key}${spec.type === "string" ? " <value>" : ""}`;
    return [flag, `${spec.description}${spec.required ? " (required)" : ""}`] as const;
  });
  flags.push(["-h, --help", "show this help"]);
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return [
    `Usage: pnpm switchyard ${command.name}${flags.length > 1 ? " [options]" : ""}`,
    "",
    command.summary,
    "",
    "Options:",
    ...flags.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    ...(command.details ? ["", command.details] : []),
  ].join("\n");
}
