// Where each piece of infrastructure is expected, read from its URL: host, port, and whether it is on
// this machine (only then may `start` run a local server in its place).
import { isIP } from "node:net";

export type InfraKind = "nats" | "postgres" | "redis";

export const defaultPorts: Record<InfraKind, number> = { nats: 4222, postgres: 5432, redis: 6379 };

export interface Endpoint {
  kind: InfraKind;
  /** The URL as configured (for NATS, the first of a comma-separated list). */
  url: string;
  host: string;
  port: number;
  isLoopback: boolean;
}

/** True for `localhost`, 127.0.0.0/8 and ::1 (with or without brackets). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || bare === "0:0:0:0:0:0:0:1" || bare.startsWith("::ffff:127.");
  return false;
}

/**
 * Parses an infrastructure URL. NATS URLs may be a comma-separated list and may omit the scheme
 * (`127.0.0.1:4222`); every server in the list is returned, in order.
 */
export function parseEndpoints(kind: InfraKind, value: string): Endpoint[] {
  const urls =
    kind === "nats"
      ? value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean)
      : [value.trim()];
  if (urls.length === 0) throw new Error(`${kind} URL is empty`);
  return urls.map((url) => {
    const withScheme = url.includes("://") ? url : `${kind === "postgres" ? "postgres" : kind}://${url}`;
    let parsed: URL;
    try {
      parsed = new URL(withScheme);
    } catch {
      throw new Error(`${kind} URL is not a valid URL: ${url}`);
    }
    const host = parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    const port = parsed.port ? Number(parsed.port) : defaultPorts[kind];
    return { kind, url, host, port, isLoopback: isLoopbackHost(host) };
  });
}

/** The address a locally started server binds: `localhost` becomes 127.0.0.1 (the servers want an IP). */
export function bindAddress(endpoint: Endpoint): string {
  return endpoint.host.toLowerCase() === "localhost" || endpoint.host.endsWith(".localhost") ? "127.0.0.1" : endpoint.host;
}

/** The URL with any password replaced, for logs and status output. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}
