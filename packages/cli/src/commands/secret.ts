// `switchyard secret set|list|delete|rewrap`: operator access to tenant secrets (what a model
// provider's `env_key` names), sealed by the config service's own store and key ring (see
// services/config/src/admin.ts). Values go in and never come back out.
import { userInfo } from "node:os";
import { renderTable } from "../table.js";
import type { Command, CommandContext } from "./command.js";
import { withAdmin } from "./config.js";

/** The tenant `pnpm start` prints a token for. */
const DEFAULT_TENANT = "dev";
const tenantOption = { type: "string", description: `tenant (default: ${DEFAULT_TENANT})` } as const;
const nameOption = {
  type: "string",
  description: "the secret's name, as a provider's env_key spells it (e.g. OPENAI_API_KEY)",
  required: true,
} as const;
const tenantOf = (options: Record<string, unknown>) => (options.tenant as string | undefined) || DEFAULT_TENANT;

async function readStdin(context: CommandContext): Promise<string> {
  if (process.stdin.isTTY) context.printError("reading the value from stdin (end with Ctrl-D)");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // `echo value |` and a typed line end with one newline that is not part of the value.
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export const secretSetCommand: Command = {
  name: "secret set",
  summary: "set a tenant secret (a model provider's env_key), sealed at rest",
  options: {
    name: nameOption,
    tenant: tenantOption,
    value: { type: "string", description: "the value (default: read from stdin, which keeps it out of shell history)" },
  },
  details: [
    "The value is encrypted (AES-256-GCM, SWITCHYARD_SECRETS_KEY) before it reaches Postgres and is never",
    'shown again. A provider with env_key = "NAME" uses it for its bearer token on the tenant\'s next turn;',
    "env_http_headers values name secrets too. Orchestrators set the same secrets with switchyard/secret/set.",
    'Example: printf %s "$OPENAI_API_KEY" | pnpm switchyard secret set --name OPENAI_API_KEY --tenant dev',
  ].join("\n"),
  async run(options, context) {
    const value = typeof options.value === "string" ? options.value : await readStdin(context);
    const tenant = tenantOf(options);
    return withAdmin(context, async (admin) => {
      const entry = await admin.setSecret({
        tenant,
        name: String(options.name),
        value,
        updatedBy: `cli:${userInfo().username}`,
      });
      context.print(`set secret ${entry.name} of tenant ${tenant} (updated ${entry.updatedAt})`);
      return 0;
    });
  },
};

export const secretListCommand: Command = {
  name: "secret list",
  summary: "list a tenant's secrets by name (never their values)",
  options: { tenant: tenantOption, json: { type: "boolean", description: "print JSON ({data: [{name, updatedAt}]})" } },
  async run(options, context) {
    const tenant = tenantOf(options);
    return withAdmin(context, async (admin) => {
      const data = await admin.listSecrets(tenant);
      if (options.json) context.print(JSON.stringify({ data }, null, 2));
      else if (data.length === 0) context.print(`tenant ${tenant} has no secrets`);
      else
        context.print(
          renderTable(
            ["NAME", "UPDATED"],
            data.map((entry) => [entry.name, entry.updatedAt]),
            "",
          ),
        );
      return 0;
    });
  },
};

export const secretDeleteCommand: Command = {
  name: "secret delete",
  summary: "delete a tenant secret (idempotent)",
  options: { name: nameOption, tenant: tenantOption },
  async run(options, context) {
    const tenant = tenantOf(options);
    const name = String(options.name);
    return withAdmin(context, async (admin) => {
      const deleted = await admin.deleteSecret({ tenant, name });
      context.print(deleted ? `deleted secret ${name} of tenant ${tenant}` : `tenant ${tenant} has no secret ${name}`);
      return 0;
    });
  },
};

export const secretRewrapCommand: Command = {
  name: "secret rewrap",
  summary: "after a key rotation, re-encrypt every stored secret with the current SWITCHYARD_SECRETS_KEY",
  options: {},
  details: [
    "Rotation: set SWITCHYARD_SECRETS_KEY to the new key and SWITCHYARD_SECRETS_PREVIOUS_KEYS to the old one on",
    "every config service (and here), restart them, run this, then drop the old key. It re-seals tenant secrets",
    "and the bearer tokens and Authorization headers inside config layers, session configs, thread snapshots",
    "and requirements, in every tenant.",
  ].join("\n"),
  async run(_options, context) {
    return withAdmin(context, async (admin) => {
      const counts = await admin.rewrapSecrets();
      context.print(
        `re-sealed ${counts.tenantSecrets} tenant secrets and ${counts.configSecrets} secrets inside config with the current key`,
      );
      if (counts.unreadable > 0) {
        context.printError(
          `${counts.unreadable} stored value(s) open with no configured key (a lost key, or a row copied between tenants): left as they are; set them again`,
        );
      }
      return 0;
    });
  },
};
