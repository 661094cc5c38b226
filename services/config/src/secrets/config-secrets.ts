// Credentials written inside config: which leaves are secrets, sealing them before anything is
// stored, redacting them in everything read back, and opening them for the one reader allowed to
// (internal/config/modelProvider). The secret leaves are each provider's
// `model_providers.<id>.experimental_bearer_token` and its `http_headers` value for `Authorization`
// (any letter case).
//
// Stored, such a leaf is `sy-secret:` + a SecretBox value bound to the tenant. Read back, it is
// `********`. Writing `********` back to a path that holds a secret keeps the stored one, so a client
// can round-trip what it read (a whole provider table, an exported config) without losing the token.
import { type ConfigTable, deepClone, isConfigTable, valueAtPath } from "../model/index.js";
import { SecretBox, SecretBoxError } from "./secret-box.js";

/** What every read shows in place of a secret. */
export const REDACTED_SECRET = "********";
/** The prefix of a sealed secret inside a config table. */
export const SEALED_SECRET_PREFIX = "sy-secret:";

/** A secret value a write may not store: the placeholder where nothing is stored, or a forged sealed value. */
export class SecretValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretValueError";
  }
}

export const isSealedSecret = (value: unknown): value is string =>
  typeof value === "string" && value.startsWith(SEALED_SECRET_PREFIX);

/** The AAD of a config secret: it opens only for the tenant whose config holds it. */
const configSecretContext = (tenant: string) => `config-secret\0${tenant}`;

/** Paths of the secret leaves present in a config table (whatever their values). */
export function secretLeafPaths(table: ConfigTable): string[][] {
  const providers = table.model_providers;
  if (!isConfigTable(providers)) return [];
  const paths: string[][] = [];
  for (const [id, provider] of Object.entries(providers)) {
    if (!isConfigTable(provider)) continue;
    if (Object.hasOwn(provider, "experimental_bearer_token")) paths.push(["model_providers", id, "experimental_bearer_token"]);
    const headers = provider.http_headers;
    if (!isConfigTable(headers)) continue;
    for (const header of Object.keys(headers)) {
      if (isAuthorizationHeader(header)) paths.push(["model_providers", id, "http_headers", header]);
    }
  }
  return paths;
}

export const isAuthorizationHeader = (header: string) => header.toLowerCase() === "authorization";

function setLeaf(table: ConfigTable, path: readonly string[], value: unknown): void {
  let current = table;
  for (const segment of path.slice(0, -1)) current = current[segment] as ConfigTable;
  Object.defineProperty(current, path[path.length - 1] as string, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function deleteLeaf(table: ConfigTable, path: readonly string[]): void {
  let current = table;
  for (const segment of path.slice(0, -1)) current = current[segment] as ConfigTable;
  delete current[path[path.length - 1] as string];
}

/** A copy with every secret leaf shown as `********` (sealed or not: packaged defaults hold plaintext). */
export function redactSecrets(table: ConfigTable): ConfigTable {
  const paths = secretLeafPaths(table);
  if (paths.length === 0) return table;
  const copy = deepClone(table);
  for (const path of paths) if (typeof valueAtPath(copy, path) === "string") setLeaf(copy, path, REDACTED_SECRET);
  return copy;
}

/** `value` found at `path` of a config, redacted as it would be in place (a table holding secrets, or a secret leaf). */
export function redactValueAt(path: readonly string[], value: unknown): unknown {
  if (value === undefined || value === null || path.length === 0) return value;
  const root: ConfigTable = {};
  let current = root;
  for (const segment of path.slice(0, -1)) {
    const next: ConfigTable = {};
    current[segment] = next;
    current = next;
  }
  current[path[path.length - 1] as string] = value;
  return valueAtPath(redactSecrets(root), path);
}

/** A copy without any secret leaf: what leaves the service to a party not entitled to secrets. */
export function stripSecrets(table: ConfigTable): ConfigTable {
  const paths = secretLeafPaths(table);
  if (paths.length === 0) return table;
  const copy = deepClone(table);
  for (const path of paths) deleteLeaf(copy, path);
  return copy;
}

/** Seals and opens the secret leaves of one deployment's config tables. */
export class ConfigSecrets {
  constructor(private readonly box: SecretBox) {}

  /**
   * `next` with every secret leaf sealed for `tenant`, given `previous` (what is stored at the same
   * place now, or {}): a sealed value equal to the stored one is kept as is (so an edit elsewhere
   * leaves the layer's other secrets, and so its version, alone); `********` keeps the stored value
   * at that path; any other string is sealed afresh. Throws SecretValueError for `********` where
   * nothing is stored, and for a `sy-secret:` value that is not the stored one.
   */
  seal(tenant: string, next: ConfigTable, previous: ConfigTable | null | undefined): ConfigTable {
    const paths = secretLeafPaths(next);
    if (paths.length === 0) return next;
    const sealed = deepClone(next);
    for (const path of paths) {
      const value = valueAtPath(sealed, path);
      if (typeof value !== "string") continue; // validation names the wrong type
      const stored = previous ? valueAtPath(previous, path) : undefined;
      if (value === REDACTED_SECRET) {
        if (typeof stored !== "string") {
          throw new SecretValueError(
            `\`${path.join(".")}\` is \`${REDACTED_SECRET}\`, the placeholder reads show for a stored secret, but none is stored there: write the secret itself`,
          );
        }
        setLeaf(sealed, path, isSealedSecret(stored) ? stored : this.sealValue(tenant, stored));
      } else if (isSealedSecret(value)) {
        if (value !== stored) {
          throw new SecretValueError(
            `\`${path.join(".")}\`: values starting with \`${SEALED_SECRET_PREFIX}\` are reserved for secrets Switchyard sealed`,
          );
        }
      } else {
        setLeaf(sealed, path, this.sealValue(tenant, value));
      }
    }
    return sealed;
  }

  /**
   * `table` with every secret sealed by an older key sealed again with the current one (same
   * plaintext), and how many were; values no configured key opens are left as they are and counted.
   */
  rewrap(tenant: string, table: ConfigTable): { table: ConfigTable; count: number; unreadable: number } {
    const stale = secretLeafPaths(table).filter((path) => {
      const value = valueAtPath(table, path);
      return isSealedSecret(value) && SecretBox.keyIdOf(value.slice(SEALED_SECRET_PREFIX.length)) !== this.box.currentKeyId;
    });
    if (stale.length === 0) return { table, count: 0, unreadable: 0 };
    const copy = deepClone(table);
    let count = 0;
    for (const path of stale) {
      let plaintext: string;
      try {
        plaintext = this.open(tenant, valueAtPath(copy, path) as string);
      } catch (error) {
        if (error instanceof SecretBoxError) continue;
        throw error;
      }
      setLeaf(copy, path, this.sealValue(tenant, plaintext));
      count++;
    }
    return { table: count > 0 ? copy : table, count, unreadable: stale.length - count };
  }

  /** The plaintext of a secret leaf's value (a plaintext value, from the packaged defaults, is returned as is). */
  open(tenant: string, value: string): string {
    if (!isSealedSecret(value)) return value;
    return this.box.open(value.slice(SEALED_SECRET_PREFIX.length), configSecretContext(tenant));
  }

  private sealValue(tenant: string, plaintext: string): string {
    return SEALED_SECRET_PREFIX + this.box.seal(plaintext, configSecretContext(tenant));
  }
}
