// The shape of a CLI command. main.ts keeps the registry; each command lives in its own file.
import type { CliEnv } from "../env.js";

export type OptionSpec = { type: "string" | "boolean"; short?: string; description: string; required?: boolean };

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandContext {
  env: CliEnv;
  /** Writes a line to stdout (results) or stderr (diagnostics). */
  print(text: string): void;
  printError(text: string): void;
}

export interface Command {
  name: string;
  summary: string;
  /** Extra help text after the options list. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Takes positional words: they are joined with spaces into this option (e.g. `ask "prompt"`). */
  positional?: string;
  /** Returns the process exit code. */
  run(options: OptionValues, context: CommandContext): Promise<number>;
}
