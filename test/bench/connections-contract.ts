// What the idle-connections runner (connections.ts) and its client processes (connections-client.ts) share.
export const CONNECTIONS_SCENARIO = "connections/idle";
export const CLIENT_READY = "bench.connections-client.ready";
export const CLIENT_DONE = "bench.connections-client.done";
/** Tenant of every idle connection (the measuring connection among them has a tenant of its own). */
export const IDLE_TENANT = "idle";
/** Idle connection i is user `idle-user-<i>` (one token per connection, as one user's client each). */
export const idleUser = (index: number) => `idle-user-${index}`;

export interface ConnectionsClientSettings {
  url: string;
  /** Connections this process opens: users firstIndex … firstIndex + count − 1. */
  firstIndex: number;
  count: number;
  /** Upgrades + initializes in flight at once. */
  openConcurrency: number;
  /** An upgrade + initialize not done within this counts as a failure. */
  openTimeoutMs: number;
}

/** The ready line: every connection opened and initialized (or failed). Times are epoch ms. */
export interface ClientReport {
  event: typeof CLIENT_READY;
  opened: number;
  failed: number;
  failures: string[];
  startedAtMs: number;
  finishedAtMs: number;
  /** Upgrade + initialize time per connection (ms), as this client saw it. */
  openP50Ms: number;
  openP99Ms: number;
  /** This client process's own RSS once everything was open (kB). */
  rssKb: number;
}

/** Printed on SIGTERM: how many of the connections the gateway closed while they sat idle. */
export interface ClientDone {
  event: typeof CLIENT_DONE;
  closedWhileIdle: number;
  closeCodes: Record<string, number>;
}
