// `switchyard token`: prints a client JWT for the gateway (HS256, the gateway's shared secret).
import { parseRoles, parseTtl, resolveSigningSecret, signDevToken } from "../auth/dev-token.js";
import type { CliEnv } from "../env.js";
import type { Command } from "./command.js";

/** Signs a token the way the gateway configured by `env` will verify it. */
export function tokenForEnv(
  env: CliEnv,
  request: { tenant: string; subject: string; roles: string[]; ttl: string; secret?: string },
) {
  return signDevToken({
    tenant: request.tenant,
    subject: request.subject,
    roles: request.roles,
    ttlSeconds: parseTtl(request.ttl),
    secret: request.secret ?? resolveSigningSecret(env.GATEWAY_AUTH_JWT_HS256_SECRET, env.SWITCHYARD_STATE_DIR),
    issuer: env.GATEWAY_AUTH_JWT_ISSUER,
    audience: env.GATEWAY_AUTH_JWT_AUDIENCE,
    claims: {
      tenant: env.GATEWAY_AUTH_JWT_TENANT_CLAIM,
      subject: env.GATEWAY_AUTH_JWT_SUBJECT_CLAIM,
      roles: env.GATEWAY_AUTH_JWT_ROLES_CLAIM,
    },
  });
}

export const tokenCommand: Command = {
  name: "token",
  summary: "print a client JWT (HS256) for the gateway",
  options: {
    tenant: { type: "string", description: "tenant the client acts in", required: true },
    subject: { type: "string", description: "user id (the `sub` claim)", required: true },
    roles: { type: "string", description: "comma-separated roles, e.g. admin,reader" },
    ttl: { type: "string", description: `lifetime: seconds or 30s, 15m, 1h, 7d (default: SWITCHYARD_TOKEN_TTL, 24h)` },
  },
  details: [
    "Signed with GATEWAY_AUTH_JWT_HS256_SECRET when set, else with .switchyard/dev-secret (created by",
    "`pnpm start`). iss/aud come from GATEWAY_AUTH_JWT_ISSUER / GATEWAY_AUTH_JWT_AUDIENCE when set.",
    "Only the token is printed, so `TOKEN=$(pnpm -s switchyard token --tenant dev --subject you)` works.",
  ].join("\n"),
  async run(options, context) {
    const token = await tokenForEnv(context.env, {
      tenant: String(options.tenant),
      subject: String(options.subject),
      roles: parseRoles(options.roles as string | undefined),
      ttl: (options.ttl as string | undefined) ?? context.env.SWITCHYARD_TOKEN_TTL,
    });
    context.print(token);
    return 0;
  },
};
