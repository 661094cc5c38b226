// `switchyard config import|export`, `config lock export|replay` and `thread-config-endpoint`:
// operator access to a tenant's config (through the config service's own store, validation, secrets
// sealing and cache generation; see services/config/src/admin.ts). Exports show secrets as `********`.
import { readFileSync, writeFileSync } from "node:fs";
import { ConfigAdminError, IMPORT_TARGETS, type ImportTarget, loadConfigAdminEnv, openConfigAdmin } from "@switchyard/config";
import type { CliEnv } from "../env.js";
import type { Command, CommandContext, OptionValues } from "./command.js";

/** Runs `work` with the config admin open (closing it after), turning its refusals into exit code 1. */
export async function withAdmin(
  context: CommandContext,
  work: (admin: Awaited<ReturnType<typeof openConfigAdmin>>) => Promise<number>,
) {
  const env: CliEnv = context.env;
  const admin = await openConfigAdmin({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    busPrefix: env.SWITCHYARD_BUS_PREFIX,
    deploymentDefault: {
      model: env.SWITCHYARD_DEFAULT_MODEL,
      modelProvider: env.SWITCHYARD_DEFAULT_MODEL_PROVIDER ?? "openai",
    },
    grpc: { portBase: env.CONFIG_GRPC_PORT_BASE, publicHost: env.CONFIG_GRPC_PUBLIC_HOST },
    // The secrets keys and packaged default providers are the config service's settings (its env.ts).
    env: loadConfigAdminEnv(),
    warn: (message) => context.printError(`warning: ${message}`),
  });
  try {
    return await work(admin);
  } catch (error) {
    if (error instanceof ConfigAdminError) {
      context.printError(error.message);
      return 1;
    }
    throw error;
  } finally {
    await admin.close();
  }
}

const readInput = (options: OptionValues): string => readFileSync(String(options.file), "utf8");
const tenantOption = { type: "string", description: "tenant", required: true } as const;

export const configImportCommand: Command = {
  name: "config import",
  summary: "import a config.toml into a tenant's layer (or requirements, or a model catalog)",
  options: {
    tenant: tenantOption,
    layer: { type: "string", description: `one of ${IMPORT_TARGETS.join(", ")}`, required: true },
    file: {
      type: "string",
      description: "a TOML file (for model-catalog, JSON: an array of models or Codex's models.json)",
      required: true,
    },
    subject: { type: "string", description: "the user, for --layer user" },
    project: { type: "string", description: "the project's absolute path, for --layer project" },
  },
  details: [
    "The file replaces the layer. It is validated as config/value/write validates a write; requirements",
    "use requirements.toml's keys (allowed_approval_policies, allowed_sandbox_modes, allowed_permissions,",
    "[permissions.<id>]). A tenant's upstream thread-config endpoint is the system layer's",
    "experimental_thread_config_endpoint.",
  ].join("\n"),
  async run(options, context) {
    const target = String(options.layer) as ImportTarget;
    if (!IMPORT_TARGETS.includes(target)) {
      context.printError(`--layer must be one of ${IMPORT_TARGETS.join(", ")}`);
      return 2;
    }
    const text = readInput(options);
    return withAdmin(context, async (admin) => {
      context.print(
        await admin.importDocument({
          tenant: String(options.tenant),
          target,
          text,
          subject: options.subject as string | undefined,
          project: options.project as string | undefined,
        }),
      );
      return 0;
    });
  },
};

export const configExportCommand: Command = {
  name: "config export",
  summary: "print a user's effective config (all layers merged) as TOML",
  options: {
    tenant: tenantOption,
    subject: { type: "string", description: "the user", required: true },
    cwd: { type: "string", description: "a working directory (its project layers and session config apply)" },
  },
  async run(options, context) {
    return withAdmin(context, async (admin) => {
      context.print(
        await admin.exportEffective({
          tenant: String(options.tenant),
          subject: String(options.subject),
          cwd: (options.cwd as string | undefined) ?? null,
        }),
      );
      return 0;
    });
  },
};

export const configLockExportCommand: Command = {
  name: "config lock export",
  summary: "print a thread's effective config as a lockfile (and save it for replay)",
  options: {
    tenant: tenantOption,
    thread: { type: "string", description: "the thread id", required: true },
    out: { type: "string", description: "write the lockfile here instead of printing it" },
  },
  details: "The lockfile is also saved in the tenant's lock store as <thread>.config.lock.toml.",
  async run(options, context) {
    return withAdmin(context, async (admin) => {
      const { path, lockfile } = await admin.exportLock({ tenant: String(options.tenant), threadId: String(options.thread) });
      if (options.out) {
        writeFileSync(String(options.out), lockfile);
        context.printError(`wrote ${String(options.out)} (saved as ${path})`);
      } else context.print(lockfile.trimEnd());
      return 0;
    });
  },
};

export const configLockReplayCommand: Command = {
  name: "config lock replay",
  summary: "check a lockfile against the config a new thread would get now, and save it for thread starts",
  options: {
    tenant: tenantOption,
    file: { type: "string", description: "the lockfile", required: true },
    subject: { type: "string", description: "the user whose config to compare", required: true },
    cwd: { type: "string", description: "the working directory of the thread (default /)" },
    "save-as": { type: "string", description: "the path a thread start names to replay it (default: the file's name)" },
  },
  details: [
    "Exits 1 with a TOML diff when the config has drifted. A thread start replays the saved lockfile",
    'with config {"debug.config_lockfile.load_path": "<path>"} and fails with the same diff.',
  ].join("\n"),
  async run(options, context) {
    const text = readInput(options);
    const saveAs =
      (options["save-as"] as string | undefined) ?? String(options.file).split("/").pop() ?? "replay.config.lock.toml";
    return withAdmin(context, async (admin) => {
      const outcome = await admin.replayLock({
        tenant: String(options.tenant),
        subject: String(options.subject),
        cwd: (options.cwd as string | undefined) ?? null,
        text,
        saveAs,
        codexVersion: "switchyard-cli",
      });
      if (outcome.matches) {
        context.print(`lockfile matches; saved as ${outcome.path}`);
        return 0;
      }
      context.printError(`config lockfile mismatch (saved as ${outcome.path}):\n${outcome.diff}`);
      return 1;
    });
  },
};

export const threadConfigEndpointCommand: Command = {
  name: "thread-config-endpoint",
  summary: "print the thread-config gRPC URL a tenant's Codex runtimes use (assigning one if needed)",
  options: { tenant: tenantOption },
  details: [
    "Put it in the runtime's config.toml as experimental_thread_config_endpoint (Codex 0.140–0.148).",
    "Each tenant has its own listener: a runtime at one tenant's URL never sees another's session config.",
    "Running config services open a newly assigned listener within CONFIG_GRPC_SYNC_MS.",
  ].join("\n"),
  async run(options, context) {
    return withAdmin(context, async (admin) => {
      context.print(await admin.endpointFor(String(options.tenant)));
      return 0;
    });
  },
};
