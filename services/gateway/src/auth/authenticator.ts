// Authentication at the WebSocket upgrade, never per message. Three verifiers:
//  - capability token: only its SHA-256 is kept, compared in constant time;
//  - HS256 bearer JWT: shared secret of at least 32 bytes, `exp` required, `nbf`, `iss`, `aud`, 30 s skew;
//  - asymmetric JWT against a JWKS (URL or file), for multi-tenant deployments.
// A token yields a principal {tenant, subject, roles}. Failure texts are Codex's (specs/codex-wire.md).
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import type { GatewayEnv } from "../env.js";

export interface Principal {
  tenant: string;
  subject: string;
  roles: string[];
}

export type AuthFailureText =
  | "missing websocket bearer token"
  | "invalid authorization header"
  | "invalid websocket bearer token"
  | "invalid websocket jwt"
  | "expired websocket jwt"
  | "websocket jwt is not valid yet"
  | "websocket jwt issuer mismatch"
  | "websocket jwt audience mismatch";

export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 401; text: AuthFailureText };

const fail = (text: AuthFailureText): AuthResult => ({ ok: false, status: 401, text });

export class AuthConfigError extends Error {}

interface JwtVerifier {
  algorithms: string[];
  verify(token: string): Promise<AuthResult>;
}

function principalFromClaims(
  payload: JWTPayload,
  claims: { tenant: string; subject: string; roles: string },
  fallbackTenant: string | undefined,
): Principal | undefined {
  const tenant = payload[claims.tenant] ?? fallbackTenant;
  const subject = payload[claims.subject];
  if (typeof tenant !== "string" || tenant.length === 0 || typeof subject !== "string" || subject.length === 0) {
    return undefined;
  }
  const roles = payload[claims.roles];
  return {
    tenant,
    subject,
    roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === "string") : [],
  };
}

function jwtVerifier(
  key: Uint8Array | JWTVerifyGetKey,
  algorithms: string[],
  env: GatewayEnv,
  fallbackTenant: string | undefined,
): JwtVerifier {
  const claims = {
    tenant: env.GATEWAY_AUTH_JWT_TENANT_CLAIM,
    subject: env.GATEWAY_AUTH_JWT_SUBJECT_CLAIM,
    roles: env.GATEWAY_AUTH_JWT_ROLES_CLAIM,
  };
  return {
    algorithms,
    async verify(token) {
      try {
        const options = {
          algorithms,
          clockTolerance: env.GATEWAY_AUTH_JWT_CLOCK_SKEW_S,
          requiredClaims: ["exp"],
          ...(env.GATEWAY_AUTH_JWT_ISSUER ? { issuer: env.GATEWAY_AUTH_JWT_ISSUER } : {}),
          ...(env.GATEWAY_AUTH_JWT_AUDIENCE.length > 0 ? { audience: env.GATEWAY_AUTH_JWT_AUDIENCE } : {}),
        };
        const { payload } =
          key instanceof Uint8Array ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        const principal = principalFromClaims(payload, claims, fallbackTenant);
        return principal ? { ok: true, principal } : fail("invalid websocket jwt");
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) return fail("expired websocket jwt");
        if (error instanceof joseErrors.JWTClaimValidationFailed) {
          if (error.claim === "nbf") return fail("websocket jwt is not valid yet");
          if (error.claim === "iss") return fail("websocket jwt issuer mismatch");
          if (error.claim === "aud") return fail("websocket jwt audience mismatch");
        }
        return fail("invalid websocket jwt");
      }
    },
  };
}

const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

export class Authenticator {
  private constructor(
    private readonly capabilityDigest: Buffer | undefined,
    private readonly capabilityPrincipal: Principal,
    private readonly jwtVerifiers: JwtVerifier[],
    private readonly anonymousPrincipal: Principal | undefined,
  ) {}

  /** Builds the verifiers from settings; throws AuthConfigError for settings that must stop start-up. */
  static fromEnv(env: GatewayEnv): Authenticator {
    let digest: Buffer | undefined;
    if (env.GATEWAY_AUTH_CAPABILITY_TOKEN) {
      digest = createHash("sha256").update(env.GATEWAY_AUTH_CAPABILITY_TOKEN.trim()).digest();
    } else if (env.GATEWAY_AUTH_CAPABILITY_TOKEN_SHA256) {
      digest = Buffer.from(env.GATEWAY_AUTH_CAPABILITY_TOKEN_SHA256, "hex");
    }
    const verifiers: JwtVerifier[] = [];
    if (env.GATEWAY_AUTH_JWT_HS256_SECRET !== undefined) {
      const secret = new TextEncoder().encode(env.GATEWAY_AUTH_JWT_HS256_SECRET);
      if (secret.length < 32) {
        throw new AuthConfigError(
          `GATEWAY_AUTH_JWT_HS256_SECRET must be at least 32 bytes (got ${secret.length}); generate one with: openssl rand -hex 32`,
        );
      }
      verifiers.push(jwtVerifier(secret, ["HS256"], env, env.GATEWAY_AUTH_DEFAULT_TENANT));
    }
    const asymmetric = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"];
    if (env.GATEWAY_AUTH_JWKS_URL) {
      verifiers.push(jwtVerifier(createRemoteJWKSet(new URL(env.GATEWAY_AUTH_JWKS_URL)), asymmetric, env, undefined));
    }
    if (env.GATEWAY_AUTH_JWKS_FILE) {
      let jwks: Parameters<typeof createLocalJWKSet>[0];
      try {
        jwks = JSON.parse(readFileSync(env.GATEWAY_AUTH_JWKS_FILE, "utf8"));
      } catch (error) {
        throw new AuthConfigError(
          `GATEWAY_AUTH_JWKS_FILE ${env.GATEWAY_AUTH_JWKS_FILE} is not a readable JWKS: ${String(error)}`,
        );
      }
      verifiers.push(jwtVerifier(createLocalJWKSet(jwks), asymmetric, env, undefined));
    }
    const isConfigured = digest !== undefined || verifiers.length > 0;
    return new Authenticator(
      digest,
      { tenant: env.GATEWAY_AUTH_CAPABILITY_TENANT, subject: env.GATEWAY_AUTH_CAPABILITY_SUBJECT, roles: [] },
      verifiers,
      isConfigured ? undefined : { tenant: env.GATEWAY_AUTH_DEFAULT_TENANT, subject: "anonymous", roles: [] },
    );
  }

  get requiresAuth(): boolean {
    return this.anonymousPrincipal === undefined;
  }

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    if (this.anonymousPrincipal) return { ok: true, principal: this.anonymousPrincipal };
    if (authorization === undefined) return fail("missing websocket bearer token");
    const match = /^\s*bearer\s+(.+)$/i.exec(authorization);
    const token = match?.[1]?.trim();
    if (!token) return fail("invalid authorization header");

    if (this.jwtVerifiers.length > 0 && (looksLikeJwt(token) || !this.capabilityDigest)) {
      // The token's own `alg` picks the verifier, so an expired HS256 token is reported as expired
      // rather than as a JWKS mismatch.
      let algorithm: string | undefined;
      try {
        algorithm = decodeProtectedHeader(token).alg;
      } catch {
        return fail("invalid websocket jwt");
      }
      const verifier = this.jwtVerifiers.find((candidate) => algorithm && candidate.algorithms.includes(algorithm));
      return verifier ? verifier.verify(token) : fail("invalid websocket jwt");
    }
    const presented = createHash("sha256").update(token).digest();
    if (this.capabilityDigest && timingSafeEqual(presented, this.capabilityDigest)) {
      return { ok: true, principal: this.capabilityPrincipal };
    }
    return fail("invalid websocket bearer token");
  }
}
