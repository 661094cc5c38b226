// Server tokens and pairing codes: random, handed out once, stored only as SHA-256.
import { createHash, randomBytes, randomInt } from "node:crypto";

export const sha256 = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/** A server token: 32 random bytes, base64url. */
export const newServerToken = (): string => `rcs_${randomBytes(32).toString("base64url")}`;

/** The QR-form pairing code: 24 random bytes, base64url. */
export const newPairingCode = (): string => `rcp_${randomBytes(24).toString("base64url")}`;

/** No 0/O, 1/I/L: a person reads it from one screen and types it on another. */
const MANUAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/** The typed form: 8 characters (31^8 ≈ 8.5e11) shown as XXXX-XXXX; claims are rate-limited per tenant. */
export function newManualPairingCode(): string {
  const characters = Array.from({ length: 8 }, () => MANUAL_ALPHABET[randomInt(MANUAL_ALPHABET.length)]);
  return `${characters.slice(0, 4).join("")}-${characters.slice(4).join("")}`;
}

/** What is hashed for a manual code: case, spaces and dashes do not matter when typing it. */
export const normalizeManualCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, "");

/** Prefixed random ids (subject-safe). */
export const newServerId = (): string => `srv_${randomBytes(12).toString("hex")}`;
export const newEnvironmentId = (): string => `env_${randomBytes(12).toString("hex")}`;

/** The paired-client record of a user for an environment: one per (tenant, subject). */
export const clientRecordId = (tenant: string, subject: string): string =>
  `cli_${createHash("sha256").update(`${tenant}\u0000${subject}`, "utf8").digest("hex").slice(0, 24)}`;
