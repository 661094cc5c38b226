// Client tokens for local use: HS256 JWTs signed with the gateway's shared secret. The secret is
// GATEWAY_AUTH_JWT_HS256_SECRET when set, else a random one `start` keeps in `.switchyard/dev-secret`.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SignJWT } from "jose";

/** The gateway needs at least 32 bytes of secret. */
export const MIN_SECRET_BYTES = 32;

export const devSecretPath = (stateDir: string) => join(stateDir, "dev-secret");

export class TokenError extends Error {}

function checkSecret(secret: string, origin: string): string {
  const bytes = Buffer.byteLength(secret, "utf8");
  if (bytes < MIN_SECRET_BYTES) {
    throw new TokenError(`${origin} is ${bytes} bytes; the gateway needs at least ${MIN_SECRET_BYTES} (openssl rand -hex 32)`);
  }
  return secret;
}

/** Reads the dev secret, creating it (64 hex characters from 32 random bytes, mode 0600) if missing. */
export function ensureDevSecret(stateDir: string): string {
  const path = devSecretPath(stateDir);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  }
  chmodSync(path, 0o600);
  return checkSecret(readFileSync(path, "utf8").trim(), path);
}

/** The signing secret: the configured one, else the dev secret file; never created here. */
export function resolveSigningSecret(configured: string | undefined, stateDir: string): string {
  if (configured !== undefined && configured !== "") return checkSecret(configured, "GATEWAY_AUTH_JWT_HS256_SECRET");
  const path = devSecretPath(stateDir);
  if (!existsSync(path)) {
    throw new TokenError(
      `no signing secret: set GATEWAY_AUTH_JWT_HS256_SECRET (the gateway's), or run \`pnpm start\` once to create ${path}`,
    );
  }
  return checkSecret(readFileSync(path, "utf8").trim(), path);
}

/** `90` (seconds), `30s`, `15m`, `1h`, `7d` → seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/i.exec(value.trim());
  if (!match) throw new TokenError(`invalid TTL "${value}": use a number of seconds or e.g. 30s, 15m, 1h, 7d`);
  const amount = Number(match[1]);
  const unit = (match[2] ?? "s").toLowerCase();
  const seconds = amount * { s: 1, m: 60, h: 3_600, d: 86_400 }[unit as "s" | "m" | "h" | "d"];
  if (seconds <= 0) throw new TokenError(`TTL must be positive (got "${value}")`);
  return seconds;
}

export interface TokenRequest {
  tenant: string;
  subject: string;
  roles: string[];
  ttlSeconds: number;
  secret: string;
  issuer?: string;
  audience?: string[];
  /** Claim names the gateway reads (GATEWAY_AUTH_JWT_*_CLAIM). */
  claims?: { tenant: string; subject: string; roles: string };
  nowSeconds?: number;
}

export async function signDevToken(request: TokenRequest): Promise<string> {
  const claims = request.claims ?? { tenant: "tenant", subject: "sub", roles: "roles" };
  const now = request.nowSeconds ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    [claims.tenant]: request.tenant,
    [claims.roles]: request.roles,
    [claims.subject]: request.subject,
  };
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlSeconds);
  if (request.issuer) jwt = jwt.setIssuer(request.issuer);
  if (request.audience && request.audience.length > 0) {
    jwt = jwt.setAudience(request.audience.length === 1 ? (request.audience[0] as string) : request.audience);
  }
  return jwt.sign(new TextEncoder().encode(request.secret));
}

/** `a, b,,c` → ["a", "b", "c"]. */
export function parseRoles(value: string | undefined): string[] {
  return value
    ? value
        .split(",")
        .map((role) => role.trim())
        .filter(Boolean)
    : [];
}
