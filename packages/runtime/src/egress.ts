// Where a service may connect on a tenant's behalf: the egress policy. Tenants name the addresses the
// services call for them (a model provider's `base_url`, a thread-config gRPC endpoint); in a shared
// deployment that must not reach what only the deployment can (the cloud's metadata service, the
// database, an admin port on the pod network). The policy denies a set of address ranges (by default
// every range that is not the public internet) except those the operator allows, and is checked on
// the address a connection is actually made to: a name is resolved once and the connection pinned to
// an address that passed (guardedLookup for sockets Node opens; allowedAddress for a client that can
// be told an address to dial instead of the name), so a name that resolves elsewhere the next time
// (DNS rebinding) cannot slip past the check. Restricting egress at the network layer as well is still
// the stronger wall; this one holds where that is missing or too coarse (one pod network for all).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

/** Every range that is not the public internet (IANA special-purpose registries, IPv4 and IPv6). */
const NON_PUBLIC = [
  "0.0.0.0/8", // "this network"
  "10.0.0.0/8",
  "100.64.0.0/10", // carrier-grade NAT
  "127.0.0.0/8",
  "169.254.0.0/16", // link-local: the cloud metadata services live here
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, and the broadcast address
  "::/96", // unspecified, loopback and the old IPv4-compatible form
  "100::/64", // discard
  "2001:db8::/32", // documentation
  "fc00::/7", // unique local
  "fe80::/10", // link-local
  "ff00::/8", // multicast
];
const LOOPBACK = ["127.0.0.0/8", "::1/128"];

/** The words a policy entry may be instead of an address or a CIDR range. */
const NAMED_RANGES: Record<string, string[]> = { private: NON_PUBLIC, loopback: LOOPBACK };

/** A connection the egress policy refused; `address` is where it would have gone. */
export class EgressDeniedError extends Error {
  override readonly name = "EgressDeniedError";
  readonly code = "ERR_SWITCHYARD_EGRESS_DENIED";
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      host === address
        ? `the address ${address} is not allowed by this deployment's egress policy`
        : `${host} resolves to ${address}, which this deployment's egress policy does not allow`,
    );
  }
}

/** The EgressDeniedError behind an error (fetch wraps its connection's error as its `cause`), if any. */
export function egressDenialOf(error: unknown): EgressDeniedError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof EgressDeniedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface EgressPolicy {
  /** Whether a connection to this IP address (v4 or v6, as text) is allowed. */
  allows(address: string): boolean;
  /** What the policy denies and allows, for the service's start log. */
  readonly description: string;
}

/**
 * The policy of `SWITCHYARD_EGRESS_DENY` (entries: `private`, `loopback`, an address or a CIDR
 * range; `none` alone: deny nothing) and `SWITCHYARD_EGRESS_ALLOW` (the same, without `none`): an
 * address is allowed unless a deny entry holds it and no allow entry does. Throws on an entry it
 * cannot read, naming it, so a typo stops the service at start instead of opening or closing the
 * wrong range.
 */
export function egressPolicy(deny: readonly string[], allow: readonly string[]): EgressPolicy {
  const denyAll = deny.length === 1 && deny[0] === "none" ? [] : deny;
  const denied = blockListOf(denyAll, "SWITCHYARD_EGRESS_DENY");
  const allowed = blockListOf(allow, "SWITCHYARD_EGRESS_ALLOW");
  const description =
    denyAll.length === 0
      ? "every address allowed"
      : `denied: ${denyAll.join(", ")}${allow.length > 0 ? `; allowed: ${allow.join(", ")}` : ""}`;
  return {
    description,
    allows(address: string) {
      const candidates = comparableForms(address);
      if (candidates.length === 0) return false; // not an address: never connect to it
      const isDenied = candidates.some(([text, family]) => denied.check(text, family));
      return !isDenied || candidates.some(([text, family]) => allowed.check(text, family));
    },
  };
}

type Family = "ipv4" | "ipv6";

/** An IPv6 literal as a URL writes it (`[::1]`) without its brackets; anything else as it is. */
const unbracketed = (host: string) => (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);

function blockListOf(entries: readonly string[], setting: string): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    for (const range of NAMED_RANGES[entry] ?? [entry]) {
      const [address = "", prefixText, ...rest] = range.split("/");
      const version = isIP(address);
      const prefix = prefixText === undefined ? (version === 6 ? 128 : 32) : Number(prefixText);
      const maxPrefix = version === 6 ? 128 : 32;
      if (version === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
        throw new Error(
          `${setting}: cannot read ${JSON.stringify(entry)} (expected private, loopback, an IP address or a CIDR range such as 10.0.0.0/8)`,
        );
      }
      list.addSubnet(address, prefix, version === 6 ? "ipv6" : "ipv4");
    }
  }
  return list;
}

/**
 * The forms an address is checked in: itself, and for an IPv6 address that carries an IPv4 one
 * (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) that IPv4 address too, which is where
 * the connection really goes. None for text that is not an address.
 */
function comparableForms(address: string): Array<[string, Family]> {
  const bare = unbracketed(address);
  const version = isIP(bare);
  if (version === 4) return [[bare, "ipv4"]];
  if (version !== 6) return [];
  const forms: Array<[string, Family]> = [[bare, "ipv6"]];
  const embedded = embeddedIpv4(bare);
  if (embedded) forms.push([embedded, "ipv4"]);
  return forms;
}

function embeddedIpv4(ipv6: string): string | undefined {
  const groups = expandIpv6(ipv6);
  if (!groups) return undefined;
  const isMapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  const isNat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0);
  if (!isMapped && !isNat64) return undefined;
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** An IPv6 address's eight 16-bit groups (a dotted IPv4 tail read as the last two). */
function expandIpv6(address: string): number[] | undefined {
  let text = address.split("%")[0] ?? "";
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split(".").map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16)));
  const first = parse(head);
  const last = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? 0 : 8 - first.length - last.length;
  const groups = [...first, ...Array<number>(Math.max(fill, 0)).fill(0), ...last];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group)) ? groups : undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The addresses the policy allows, in the resolver's order; EgressDeniedError when it allows none. */
function allowedOf(policy: EgressPolicy, hostname: string, addresses: LookupAddress[]): LookupAddress[] {
  const allowed = addresses.filter((entry) => policy.allows(entry.address));
  if (allowed.length === 0) throw new EgressDeniedError(hostname, addresses[0]?.address ?? hostname);
  return allowed;
}

/**
 * A `lookup` for net.connect and tls.connect (and so for an undici Agent's `connect` options): the
 * name resolved as usual, then only the addresses the policy allows are handed back, so the socket
 * connects to one that was checked. When none is allowed the connection fails with EgressDeniedError.
 * (A host given as an IP address is not looked up by net.connect: check it with `checkHost` first.)
 */
export function guardedLookup(policy: EgressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      let allowed: LookupAddress[];
      try {
        allowed = allowedOf(policy, hostname, addresses);
      } catch (denial) {
        return callback(denial as NodeJS.ErrnoException, []);
      }
      if (options.all) return callback(null, allowed);
      const [first] = allowed as [LookupAddress];
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Refuses a host that is an IP address the policy denies (net.connect does not look those up, so
 * guardedLookup never sees them). A name passes here; guardedLookup checks what it resolves to.
 */
export function checkHost(policy: EgressPolicy, hostname: string): void {
  const bare = unbracketed(hostname);
  if (isIP(bare) !== 0 && !policy.allows(bare)) throw new EgressDeniedError(bare, bare);
}

/** Resolves a name to all its addresses (dns.lookup by default). */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
  );

/**
 * For a client that resolves names itself (grpc-js) and can be given an address to dial instead:
 * the first address the host resolves to that the policy allows, so the caller connects to an address
 * that was checked (EgressDeniedError when none is; a resolver's error is passed on). An IP address
 * is checked and returned as it is.
 */
export async function allowedAddress(
  policy: EgressPolicy,
  hostname: string,
  resolve: HostResolver = systemResolver,
): Promise<LookupAddress> {
  checkHost(policy, hostname);
  const bare = unbracketed(hostname);
  const family = isIP(bare);
  if (family !== 0) return { address: bare, family };
  return allowedOf(policy, bare, await resolve(bare))[0] as LookupAddress;
}
