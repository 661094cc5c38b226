// Where limits live in Redis, under the deployment's bus prefix. A token is named by a hash of its
// principal (tenant and subject), never by the bearer credential itself.
import { createHash } from "node:crypto";
import type { Principal } from "../auth/authenticator.js";

/** Principals are created once per connection; their hash is computed once too. */
const tokenKeys = new WeakMap<Principal, string>();

export function tokenKeyOf(principal: Principal): string {
  let key = tokenKeys.get(principal);
  if (key === undefined) {
    key = createHash("sha256").update(`${principal.tenant}\0${principal.subject}`).digest("hex").slice(0, 32);
    tokenKeys.set(principal, key);
  }
  return key;
}

export function limitKeys(prefix: string) {
  return {
    tenantRate: (tenant: string) => `${prefix}:limit:rate:tenant:${tenant}`,
    tokenRate: (tokenKey: string) => `${prefix}:limit:rate:token:${tokenKey}`,
    tenantConnections: (tenant: string) => `${prefix}:limit:conn:tenant:${tenant}`,
    tokenConnections: (tokenKey: string) => `${prefix}:limit:conn:token:${tokenKey}`,
  };
}
export type LimitKeys = ReturnType<typeof limitKeys>;
