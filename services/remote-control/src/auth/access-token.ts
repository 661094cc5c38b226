// The ChatGPT-style access token a machine presents on enroll, refresh and the clients endpoints.
// Codex itself never verifies the JWTs it holds; Switchyard does: HS256 with the issuer's key (dev),
// or asymmetric keys from a JWKS. The tenant is the account claim Codex reads,
// `https://api.openai.com/auth`.chatgpt_account_id; the `chatgpt-account-id` header must agree.
import { readFileSync } from "node:fs";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";

export const OPENAI_AUTH_CLAIM = "https://api.openai.com/auth";
const MIN_SECRET_BYTES = 32;

export interface MachineIdentity {
  /** The account id, which is the tenant. */
  tenant: string;
  /** The user behind the token (`chatgpt_user_id`, else `user_id`, else `sub`). */
  subject: string;
}

export type AccessTokenResult = { ok: true; identity: MachineIdentity } | { ok: false; status: 401 | 403; detail: string };

export class AccessTokenConfigError extends Error {}

export interface AccessTokenSettings {
  hs256Secret?: string;
  jwksUrl?: string;
  jwksFile?: string;
  issuer?: string;
  audience: string[];
  clockSkewS?: number;
}

/** Reads `authorization: Bearer <token>`; undefined when absent or malformed. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== "string") return undefined;
  const match = /^bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim() || undefined;
}

export class AccessTokenVerifier {
  private readonly verifiers: { algorithms: string[]; key: Uint8Array | JWTVerifyGetKey }[] = [];

  constructor(private readonly settings: AccessTokenSettings) {
    if (settings.hs256Secret !== undefined) {
      if (Buffer.byteLength(settings.hs256Secret) < MIN_SECRET_BYTES) {
        throw new AccessTokenConfigError(`the access-token HS256 key must be at least ${MIN_SECRET_BYTES} bytes`);
      }
      this.verifiers.push({ algorithms: ["HS256"], key: new TextEncoder().encode(settings.hs256Secret) });
    }
    const asymmetric = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
    if (settings.jwksUrl) this.verifiers.push({ algorithms: asymmetric, key: createRemoteJWKSet(new URL(settings.jwksUrl)) });
    if (settings.jwksFile) {
      this.verifiers.push({
        algorithms: asymmetric,
        key: createLocalJWKSet(JSON.parse(readFileSync(settings.jwksFile, "utf8"))),
      });
    }
    if (this.verifiers.length === 0) {
      throw new AccessTokenConfigError(
        "no way to verify machines' access tokens: set REMOTE_CONTROL_JWT_HS256_SECRET (or GATEWAY_AUTH_JWT_HS256_SECRET), " +
          "or REMOTE_CONTROL_JWKS_URL / REMOTE_CONTROL_JWKS_FILE",
      );
    }
  }

  async verify(
    authorization: string | string[] | undefined,
    accountHeader: string | string[] | undefined,
  ): Promise<AccessTokenResult> {
    const token = bearerToken(authorization);
    if (!token) return { ok: false, status: 401, detail: "missing bearer access token" };
    let payload: JWTPayload | undefined;
    let failure = "invalid access token";
    for (const verifier of this.verifiers) {
      try {
        const verified = await jwtVerify(token, verifier.key as Uint8Array, {
          algorithms: verifier.algorithms,
          issuer: this.settings.issuer,
          audience: this.settings.audience.length > 0 ? this.settings.audience : undefined,
          clockTolerance: this.settings.clockSkewS ?? 30,
          requiredClaims: ["exp"],
        });
        payload = verified.payload;
        break;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) failure = "expired access token";
        else if (error instanceof joseErrors.JWTClaimValidationFailed)
          failure = `access token claim check failed: ${error.claim}`;
      }
    }
    if (!payload) return { ok: false, status: 401, detail: failure };
    const auth = payload[OPENAI_AUTH_CLAIM];
    const claims = typeof auth === "object" && auth !== null ? (auth as Record<string, unknown>) : {};
    const accountId = claims.chatgpt_account_id;
    if (typeof accountId !== "string" || accountId.length === 0) {
      return { ok: false, status: 403, detail: `access token has no ${OPENAI_AUTH_CLAIM}.chatgpt_account_id` };
    }
    if (typeof accountHeader === "string" && accountHeader !== accountId) {
      return { ok: false, status: 403, detail: "chatgpt-account-id does not match the access token's account" };
    }
    const subject = [claims.chatgpt_user_id, claims.user_id, payload.sub].find(
      (value): value is string => typeof value === "string" && value.length > 0,
    );
    return { ok: true, identity: { tenant: accountId, subject: subject ?? accountId } };
  }
}
