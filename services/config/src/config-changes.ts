// Config change notices: what keeps the gateways' cached `config/read` answers correct.
//
// A config/read answer depends only on what a tenant's config generation covers (every write of a
// layer, a requirements document, a session config, a secret or the model catalog bumps it in the
// write's own transaction). Two paths announce a bump on `<prefix>.cfgchg.<tenant>`:
// - In-band (`announce`): the config service's own writes publish the notice once their
//   transaction has committed and before they answer, on the service's one NATS connection, so a
//   gateway drops its entries before the writer — or anyone the writer tells — can read again.
// - Out-of-band (`ConfigChangeRelay`): writers without a bus connection (the operator CLI) are
//   caught by Postgres itself: a trigger on `config.generations` sends `pg_notify` when a
//   transaction that bumped a generation commits, and every config instance relays it. A listener
//   that lost its database connection cannot know what it missed: once it listens again it
//   publishes `<prefix>.cfgreset`, and gateways drop every config answer.
// Notices are idempotent (several instances relay the same bump; an in-band write is also relayed).
import type { BusSubjects } from "@switchyard/protocol";
import { createPool, type Logger } from "@switchyard/runtime";
import type pg from "pg";

/** The part of a NATS connection notices need. */
interface Publisher {
  publish(subject: string): void;
}

/** The Postgres channel the generation trigger notifies (migration 0003), with the tenant as payload. */
export const CONFIG_CHANGED_CHANNEL = "switchyard_config_changed";

const RETRY_MS = { first: 250, max: 5_000 };

/** Publishes a tenant's config change notice (empty body). */
export function configChangeAnnouncer(nc: Publisher, subjects: BusSubjects): (tenant: string) => void {
  return (tenant) => nc.publish(subjects.configChanged(tenant));
}

/** Relays the database's config change notifications to the bus (see the header). */
export class ConfigChangeRelay {
  private readonly pool: pg.Pool;
  private client: pg.PoolClient | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MS.first;
  private hasListened = false;
  private isStopped = false;
  /** Notices relayed so far (tests read it). */
  relayed = 0;

  constructor(
    private readonly options: {
      databaseUrl: string;
      applicationName: string;
      nc: Publisher;
      subjects: BusSubjects;
      log: Logger;
    },
  ) {
    this.pool = createPool({ url: options.databaseUrl, applicationName: options.applicationName, max: 1, log: options.log });
  }

  /** Listens now; resolves once the first LISTEN is in place (later losses are retried in the background). */
  async start(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.retryTimer);
    this.client?.release(true);
    this.client = undefined;
    await this.pool.end();
  }

  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.release(error ?? true);
      if (this.isStopped) return;
      this.options.log.warn(
        { err: error?.message, retryMs: this.retryMs },
        "config change listener lost its database connection; listening again (gateways drop cached config reads once it is back)",
      );
      this.retryLater();
    };
    client.on("notification", (message) => {
      if (message.channel !== CONFIG_CHANGED_CHANNEL || !message.payload) return;
      this.relayed++;
      this.options.nc.publish(this.options.subjects.configChanged(message.payload));
    });
    client.on("error", (error) => lost(error));
    client.on("end", () => lost());
    try {
      await client.query(`LISTEN ${CONFIG_CHANGED_CHANNEL}`);
    } catch (error) {
      client.release(true);
      throw error;
    }
    this.client = client;
    this.retryMs = RETRY_MS.first;
    // Whatever changed while nobody here listened is unknown: every gateway starts its config answers over.
    if (this.hasListened) this.options.nc.publish(this.options.subjects.configReset);
    this.hasListened = true;
  }

  private retryLater(): void {
    this.retryTimer = setTimeout(() => {
      this.listen().catch((error: Error) => {
        if (this.isStopped) return;
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MS.max);
        this.options.log.warn({ err: error.message, retryMs: this.retryMs }, "config change listener could not listen; retrying");
        this.retryLater();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
