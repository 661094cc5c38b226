// Sealing of secrets at rest (tenant secrets, and credentials inside config layers): AES-256-GCM with a
// random 96-bit nonce per value and its 128-bit tag, bound to a context string (additional
// authenticated data: whose value it is), so a sealed value copied to another tenant or name does not
// open. A sealed value names the key that sealed it, so keys can rotate: new values are sealed with the
// current key, and values sealed with a previous key still open while that key is configured.
//
//   v1:<key id>:<nonce>:<ciphertext>:<tag>        (base64url parts; the key id is a fingerprint of the key)
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export const SECRET_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = "v1";

/** A value that cannot be opened: malformed, sealed with a key this process lacks, or tampered with. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretBoxError";
  }
}

/** The key's fingerprint: what a sealed value records so the right key opens it (reveals nothing of the key). */
export function secretKeyId(key: Buffer): string {
  return createHash("sha256").update("switchyard-secrets-key-id\0").update(key).digest("hex").slice(0, 12);
}

/**
 * The key used when `SWITCHYARD_SECRETS_KEY` is unset: derived from a public constant, so every local
 * process agrees on it, and so it protects nothing. Development only; the service warns loudly.
 */
export function developmentSecretKey(): Buffer {
  return createHash("sha256").update("switchyard development secrets key: NOT SECRET, do not use in production").digest();
}

export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  /** `current` seals; `current` and every `previous` key open. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== SECRET_KEY_BYTES) throw new RangeError(`a secrets key is ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
      this.keys.set(secretKeyId(key), key);
    }
    this.current = { id: secretKeyId(current), key: current };
  }

  /** The fingerprint of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT_VERSION, this.current.id, ...[nonce, ciphertext, tag].map((part) => part.toString("base64url"))].join(":");
  }

  /** The plaintext of a sealed value; throws SecretBoxError (never echoing the value) if it does not open. */
  open(sealed: string, context: string): string {
    const parts = sealed.split(":");
    const [version, keyId, nonceText, ciphertextText, tagText] = parts;
    if (parts.length !== 5 || version !== FORMAT_VERSION || !keyId || nonceText === undefined || tagText === undefined) {
      throw new SecretBoxError(`not a sealed value (expected ${FORMAT_VERSION}:<key id>:<nonce>:<ciphertext>:<tag>)`);
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretBoxError(
        `sealed with key ${keyId}, which this process does not have (current key ${this.current.id}; add the old key to SWITCHYARD_SECRETS_PREVIOUS_KEYS)`,
      );
    }
    const nonce = Buffer.from(nonceText, "base64url");
    const tag = Buffer.from(tagText, "base64url");
    if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError("malformed sealed value");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText ?? "", "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretBoxError("sealed value failed authentication (tampered with, or sealed for another tenant or name)");
    }
  }

  /** The key id a sealed value names (undefined when it is not one). */
  static keyIdOf(sealed: string): string | undefined {
    const parts = sealed.split(":");
    return parts.length === 5 && parts[0] === FORMAT_VERSION ? parts[1] : undefined;
  }
}
