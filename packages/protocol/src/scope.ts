// Serialization scopes. Every method runs unkeyed (concurrently, any instance), exclusive on a key
// (alone, in FIFO order per key) or shared-read on a key. Keys are always tenant-qualified so two
// tenants never share a queue or a lock: `thread:<tenant>:<threadId>`.

export type ScopeFamily = "thread" | "config" | "remote-control";

/** A tenant-qualified serialization key, e.g. `thread:acme:0193…`. */
export type ScopeKey = string & { readonly __brand: "ScopeKey" };

/** Who sent the request, as far as a key needs it: Codex's "global" buckets are per user here. */
export interface ScopeCaller {
  subject: string;
}

/** The part of a key after the family and tenant, from the request's params (and caller). */
export type ScopeId<P> = (params: P, caller: ScopeCaller) => string;

export type Scope<P> =
  | { kind: "unkeyed"; readYourWrites?: { family: ScopeFamily; id: ScopeId<P> } }
  | { kind: "exclusive"; family: ScopeFamily; id: ScopeId<P> }
  | { kind: "sharedRead"; family: ScopeFamily; id: ScopeId<P> };

export function scopeKey(family: ScopeFamily, tenant: string, id: string): ScopeKey {
  return `${family}:${tenant}:${id}` as ScopeKey;
}

/**
 * The fixed number of keyed-lane partitions. nats-server 2.9 has no stream subject transforms, so
 * publishers compute the partition. Changing it re-maps keys: drain the keyed streams first.
 */
export const KEYED_PARTITIONS = 16;

/** 32-bit FNV-1a over the UTF-8 bytes of the key: stable across processes, languages and restarts. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function partitionOf(key: ScopeKey, partitions = KEYED_PARTITIONS): number {
  return fnv1a32(key) % partitions;
}
