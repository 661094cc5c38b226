// `pnpm switchyard <command>` (and `pnpm start`): parses the command line, loads settings once, runs
// the command and exits with its code. Commands register here.
import { EnvError } from "@switchyard/runtime";
import { commandHelp, generalHelp, parseCommandLine } from "./args.js";
import { TokenError } from "./auth/dev-token.js";
import { askCommand } from "./commands/ask.js";
import type { Command } from "./commands/command.js";
import {
  configExportCommand,
  configImportCommand,
  configLockExportCommand,
  configLockReplayCommand,
  threadConfigEndpointCommand,
} from "./commands/config.js";
import { connectMachineCommand } from "./commands/connect-machine.js";
import { migrateCommand } from "./commands/migrate.js";
import { natsClusterCommand } from "./commands/nats-cluster.js";
import { proxyCommand } from "./commands/proxy.js";
import { secretDeleteCommand, secretListCommand, secretRewrapCommand, secretSetCommand } from "./commands/secret.js";
import { seedCommand } from "./commands/seed.js";
import { startCommand } from "./commands/start.js";
import { statusCommand } from "./commands/status.js";
import { tokenCommand } from "./commands/token.js";
import { loadCliEnv } from "./env.js";

export const commands: readonly Command[] = [
  startCommand,
  statusCommand,
  tokenCommand,
  askCommand,
  migrateCommand,
  seedCommand,
  connectMachineCommand,
  proxyCommand,
  natsClusterCommand,
  configImportCommand,
  configExportCommand,
  configLockExportCommand,
  configLockReplayCommand,
  threadConfigEndpointCommand,
  secretSetCommand,
  secretListCommand,
  secretDeleteCommand,
  secretRewrapCommand,
];

async function main(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, commands);
  if (line.kind === "help") {
    process.stdout.write(`${line.command ? commandHelp(line.command) : generalHelp(commands)}\n`);
    return 0;
  }
  if (line.kind === "error") {
    process.stderr.write(`switchyard: ${line.message}\n\n${line.command ? commandHelp(line.command) : generalHelp(commands)}\n`);
    return 2;
  }
  const env = loadCliEnv();
  return line.command.run(line.options, {
    env,
    print: (text) => process.stdout.write(`${text}\n`),
    printError: (text) => process.stderr.write(`${text}\n`),
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Bad settings or arguments: the message says what to fix. Anything else: the stack helps.
    const isExpected = error instanceof EnvError || error instanceof TokenError;
    const text = error instanceof Error ? (isExpected ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`switchyard: ${text}\n`);
    process.exit(isExpected ? 2 : 1);
  },
);
