// Test credentials: HS256 bearer JWTs signed the way an operator's issuer would sign them.
import { SignJWT } from "jose";

export const TEST_HS256_SECRET = "switchyard-test-secret-0123456789abcdef0123456789";

export async function hs256Token(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresInS?: number | null; notBeforeS?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(now);
  if (options.expiresInS !== null) jwt = jwt.setExpirationTime(now + (options.expiresInS ?? 600));
  if (options.notBeforeS !== undefined) jwt = jwt.setNotBefore(now + options.notBeforeS);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_HS256_SECRET));
}
