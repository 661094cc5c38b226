// The deployment's secrets key ring, from the environment: SWITCHYARD_SECRETS_KEY seals, it and
// SWITCHYARD_SECRETS_PREVIOUS_KEYS open. Without a key, a development key (derived from a public
// constant, so it protects nothing) keeps a fresh checkout working, with one loud warning per process.
import type { ConfigAdminEnv } from "../env.js";
import { developmentSecretKey, SecretBox } from "./secret-box.js";

export const DEVELOPMENT_KEY_WARNING =
  "SWITCHYARD_SECRETS_KEY is not set: tenant secrets and provider credentials are sealed with a development key derived " +
  "from a public constant, so they are NOT protected. Outside development set SWITCHYARD_SECRETS_KEY to the base64 of " +
  "32 random bytes (openssl rand -base64 32).";

let hasWarnedDevelopmentKey = false;

export function secretBoxFromEnv(
  env: Pick<ConfigAdminEnv, "SWITCHYARD_SECRETS_KEY" | "SWITCHYARD_SECRETS_PREVIOUS_KEYS">,
  warn: (message: string) => void,
): SecretBox {
  if (env.SWITCHYARD_SECRETS_KEY) return new SecretBox(env.SWITCHYARD_SECRETS_KEY, env.SWITCHYARD_SECRETS_PREVIOUS_KEYS);
  if (!hasWarnedDevelopmentKey) {
    hasWarnedDevelopmentKey = true;
    warn(DEVELOPMENT_KEY_WARNING);
  }
  return new SecretBox(developmentSecretKey(), env.SWITCHYARD_SECRETS_PREVIOUS_KEYS);
}
