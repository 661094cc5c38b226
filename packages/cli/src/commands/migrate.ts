// `switchyard migrate`: creates the database if missing and applies every service's migrations,
// without starting anything (services also apply them at start-up, under the same advisory lock).
import { createLogger, createPool, ensureDatabase, loadMigrations, migrate } from "@switchyard/runtime";
import { redactUrl } from "../infra/endpoints.js";
import { discoverMigrations } from "../paths.js";
import type { Command } from "./command.js";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "create the database if missing and apply all migrations",
  options: {},
  details: "Migrations: services/<name>/migrations/NNNN_name.sql, applied to schema <name> (see DATABASE_URL).",
  async run(_options, context) {
    const url = context.env.DATABASE_URL;
    try {
      await ensureDatabase(url);
    } catch (error) {
      context.printError(`cannot reach Postgres at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`);
      context.printError("start it (pnpm start runs one when the URL is local) or fix DATABASE_URL");
      return 1;
    }
    const log = createLogger({ service: "migrate", instanceId: "cli", level: "silent" });
    const pool = createPool({ url, applicationName: "switchyard-migrate", max: 1, log });
    try {
      for (const set of discoverMigrations()) {
        const migrations = loadMigrations(set.directory);
        const { applied } = await migrate(pool, { schema: set.schema, migrations, log });
        const names = migrations.filter((migration) => applied.includes(migration.version));
        context.print(
          names.length > 0
            ? `${set.schema}: applied ${names.map((migration) => `${String(migration.version).padStart(4, "0")}_${migration.name}`).join(", ")}`
            : `${set.schema}: up to date (${migrations.length} migrations)`,
        );
      }
    } catch (error) {
      context.printError(error instanceof Error ? error.message : String(error));
      return 1;
    } finally {
      await pool.end();
    }
    return 0;
  },
};
