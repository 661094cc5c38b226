// Where things are on disk: the repository the CLI runs from, and the services it can start.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root (this file is packages/cli/src/paths.ts). */
export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

export interface ServiceEntry {
  /** Folder name under services/, also the service name on the bus and in logs. */
  name: string;
  /** Absolute path of `services/<name>/src/main.ts`. */
  entry: string;
  /** Absolute path of its bundle, `services/<name>/dist/main.js` (`pnpm build`; it may not exist yet). */
  bundle: string;
}

/**
 * Every service that exists: a folder under services/ with `src/main.ts`. Services that only have a
 * folder (not built yet) are skipped. The gateway is last so clients only arrive once the services
 * behind it are up.
 */
export function discoverServices(root = repoRoot): ServiceEntry[] {
  const servicesDirectory = join(root, "services");
  if (!existsSync(servicesDirectory)) return [];
  return readdirSync(servicesDirectory, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && existsSync(join(servicesDirectory, dirent.name, "src", "main.ts")))
    .map((dirent) => ({
      name: dirent.name,
      entry: join(servicesDirectory, dirent.name, "src", "main.ts"),
      bundle: join(servicesDirectory, dirent.name, "dist", "main.js"),
    }))
    .sort((a, b) => Number(a.name === "gateway") - Number(b.name === "gateway") || a.name.localeCompare(b.name));
}

export interface MigrationSet {
  service: string;
  /** Postgres schema the service owns (and where its `schema_migrations` table lives). */
  schema: string;
  directory: string;
}

/**
 * Every service's migrations: `services/<name>/migrations`, applied to schema `<name>` (dashes become
 * underscores), the way each service applies its own at start-up.
 */
export function discoverMigrations(root = repoRoot): MigrationSet[] {
  const servicesDirectory = join(root, "services");
  if (!existsSync(servicesDirectory)) return [];
  return readdirSync(servicesDirectory, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && existsSync(join(servicesDirectory, dirent.name, "migrations")))
    .map((dirent) => ({
      service: dirent.name,
      schema: dirent.name.replace(/-/g, "_"),
      directory: join(servicesDirectory, dirent.name, "migrations"),
    }))
    .sort((a, b) => a.service.localeCompare(b.service));
}
