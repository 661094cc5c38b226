// `switchyard connect-machine`: prepares a CODEX_HOME so that a real `codex app-server` on this
// machine enrolls with Switchyard's remote-control service for a tenant. It writes
//   - config.toml: `chatgpt_base_url` (the remote-control base URL), file-based credentials, and
//     settings that keep the binary from calling home (no update check, no analytics);
//   - auth.json: ChatGPT-mode auth whose access token (an HS256 JWT signed with the dev secret the
//     remote-control service verifies with) names the tenant as its ChatGPT account.
// Then `CODEX_HOME=DIR codex remote-control --no-daemon` (or `codex app-server` + `remoteControl/enable`)
// enrolls and connects; the environment appears in `switchyard/environments/list` for that tenant.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SignJWT } from "jose";
import { parseTtl, resolveSigningSecret } from "../auth/dev-token.js";
import type { Command } from "./command.js";

/** The claim Codex reads its ChatGPT account from (and the remote-control service its tenant). */
export const OPENAI_AUTH_CLAIM = "https://api.openai.com/auth";

/** A ChatGPT-style access token for `tenant` (the account) and `subject` (the user). */
export async function machineAccessToken(request: {
  tenant: string;
  subject: string;
  secret: string;
  ttlSeconds: number;
  nowSeconds?: number;
}): Promise<string> {
  const now = request.nowSeconds ?? Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: request.subject,
    email: `${request.subject}@switchyard.invalid`,
    [OPENAI_AUTH_CLAIM]: {
      chatgpt_account_id: request.tenant,
      chatgpt_plan_type: "pro",
      chatgpt_user_id: request.subject,
      user_id: request.subject,
    },
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlSeconds)
    .sign(new TextEncoder().encode(request.secret));
}

const tomlString = (value: string) => JSON.stringify(value);

/** Writes `config.toml` and `auth.json` into `codexHome`; returns their paths. */
export function writeMachineCodexHome(options: {
  codexHome: string;
  baseUrl: string;
  tenant: string;
  accessToken: string;
  /** A Responses-API model provider for the machine (e.g. a loopback one in tests); none by default. */
  modelBaseUrl?: string;
  nowMs?: number;
}): { config: string; auth: string } {
  mkdirSync(options.codexHome, { recursive: true });
  const baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
  const lines = [
    "# Written by `pnpm switchyard connect-machine`: remote control through Switchyard.",
    `chatgpt_base_url = ${tomlString(baseUrl)}`,
    'cli_auth_credentials_store = "file"',
    "check_for_update_on_startup = false",
  ];
  if (options.modelBaseUrl) lines.push('model_provider = "switchyard"');
  lines.push("", "[analytics]", "enabled = false");
  if (options.modelBaseUrl) {
    lines.push(
      "",
      "[model_providers.switchyard]",
      'name = "switchyard"',
      `base_url = ${tomlString(options.modelBaseUrl)}`,
      'wire_api = "responses"',
      "requires_openai_auth = false",
    );
  }
  const config = join(options.codexHome, "config.toml");
  writeFileSync(config, `${lines.join("\n")}\n`);
  const auth = join(options.codexHome, "auth.json");
  const authJson = {
    auth_mode: "chatgpt",
    OPENAI_API_KEY: null,
    last_refresh: new Date(options.nowMs ?? Date.now()).toISOString(),
    tokens: {
      id_token: options.accessToken,
      access_token: options.accessToken,
      // Codex refreshes only after a 401; the remote-control service issues no OAuth refresh tokens.
      refresh_token: "switchyard-no-refresh",
      account_id: options.tenant,
    },
  };
  writeFileSync(auth, `${JSON.stringify(authJson, null, 2)}\n`, { mode: 0o600 });
  return { config, auth };
}

export const connectMachineCommand: Command = {
  name: "connect-machine",
  summary: "write a CODEX_HOME whose `codex app-server` enrolls with Switchyard remote control",
  options: {
    tenant: { type: "string", description: "tenant that will own the machine (its ChatGPT account id)", required: true },
    subject: { type: "string", description: "user enrolling it (the token's user)", required: true },
    "codex-home": { type: "string", description: "directory to write config.toml and auth.json into", required: true },
    "base-url": {
      type: "string",
      description:
        "remote-control base URL (default: REMOTE_CONTROL_PUBLIC_URL, else http://127.0.0.1:<REMOTE_CONTROL_PORT>/backend-api/)",
    },
    "model-base-url": { type: "string", description: "a Responses-API base URL for the machine's model provider (optional)" },
    ttl: { type: "string", description: "lifetime of the access token (default 30d)" },
  },
  details: [
    "The access token is signed with GATEWAY_AUTH_JWT_HS256_SECRET when set, else .switchyard/dev-secret (created",
    "by `pnpm start`), which is what the remote-control service started by `pnpm start` verifies with.",
    "Then: CODEX_HOME=<dir> codex remote-control --no-daemon",
  ].join("\n"),
  async run(options, context) {
    const env = context.env;
    const tenant = String(options.tenant);
    const codexHome = resolve(String(options["codex-home"]));
    const baseUrl =
      (options["base-url"] as string | undefined) ??
      env.REMOTE_CONTROL_PUBLIC_URL ??
      `http://127.0.0.1:${env.REMOTE_CONTROL_PORT}/backend-api/`;
    const secret = resolveSigningSecret(
      env.REMOTE_CONTROL_JWT_HS256_SECRET ?? env.GATEWAY_AUTH_JWT_HS256_SECRET,
      env.SWITCHYARD_STATE_DIR,
    );
    const accessToken = await machineAccessToken({
      tenant,
      subject: String(options.subject),
      secret,
      ttlSeconds: parseTtl((options.ttl as string | undefined) ?? "30d"),
    });
    const written = writeMachineCodexHome({
      codexHome,
      baseUrl,
      tenant,
      accessToken,
      modelBaseUrl: options["model-base-url"] as string | undefined,
    });
    context.print(`wrote ${written.config}`);
    context.print(`wrote ${written.auth}`);
    context.print(`remote control base URL: ${baseUrl}`);
    context.print("");
    context.print("Start the machine's app-server with remote control:");
    context.print(`  CODEX_HOME=${codexHome} codex remote-control --no-daemon`);
    context.print(`It enrolls as an environment of tenant "${tenant}"; list it with switchyard/environments/list,`);
    context.print("and drive it by connecting a client to the gateway at /environments/<environmentId>.");
    return 0;
  },
};
