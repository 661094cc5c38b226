// A server process `start` runs in place of missing infrastructure: its output goes to a log file
// under the state directory, it runs in its own process group (so a Ctrl-C at the terminal reaches
// only the launcher, which then stops things in order), and it is stopped with a signal and a bound.
// A recipe says how to run one (command, port, data directory, readiness check, stop signal), so the
// launcher can run the very same server again after it died.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface LocalServer {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves when the process exits, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: boolean;
  /** Sends `signal`, waits up to `timeoutMs`, then SIGKILL. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<void>;
  /** SIGKILL now. */
  kill(): void;
}

export interface ServerCommand {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Everything needed to run a local server, every time the same way: same binary, port and data. */
export interface LocalServerRecipe extends ServerCommand {
  /** Whether it answers its protocol (a probe of its URL). */
  isReady: () => Promise<boolean>;
  /** Its quick clean shutdown: SIGTERM, or SIGINT for Postgres (whose SIGTERM waits for clients). */
  stopSignal: NodeJS.Signals;
}

export function startLocalServer(options: ServerCommand): LocalServer {
  const logFd = openSync(options.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", logFd, logFd],
      detached: true,
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    });
  } finally {
    closeSync(logFd);
  }
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
    });
    child.once("error", () => {
      hasExited = true;
      resolve({ code: 127, signal: null });
    });
  });
  return {
    name: options.name,
    pid: child.pid ?? -1,
    logFile: options.logFile,
    exited,
    get hasExited() {
      return hasExited;
    },
    async stop(signal, timeoutMs) {
      if (hasExited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      if (!hasExited) child.kill("SIGKILL");
    },
  };
}

/** Starts a recipe's server and waits until it answers; stops it if it does not. */
export async function runLocalServer(
  recipe: LocalServerRecipe,
  timeoutMs: number,
  onSpawn: (server: LocalServer) => void = () => {},
): Promise<LocalServer> {
  const server = startLocalServer(recipe);
  onSpawn(server);
  try {
    await waitUntilReady(server, recipe.isReady, timeoutMs);
  } catch (error) {
    await server.stop(recipe.stopSignal, 5_000);
    throw error;
  }
  return server;
}

/** The last lines of a log file, for error messages. */
export function tailOfFile(path: string, lines = 15): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Extra places servers are installed that a user's PATH often lacks (Debian's /usr/sbin, Homebrew). */
const extraBinaryDirectories = ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/homebrew/sbin"];

/** Absolute path of an executable found on PATH (or a usual install folder), or undefined. */
export function findExecutable(name: string, path: string): string | undefined {
  const directories = [...path.split(delimiter).filter(Boolean), ...extraBinaryDirectories];
  for (const directory of directories) {
    const candidate = join(directory, name);
    try {
      if (!existsSync(candidate)) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not executable here; keep looking
    }
  }
  return undefined;
}

/** Polls `isReady` until it answers true, the process exits, or the time is up. */
export async function waitUntilReady(server: LocalServer, isReady: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.hasExited) {
      throw new Error(
        `${server.name} exited during start-up; its log (${server.logFile}) ends with:\n${tailOfFile(server.logFile)}`,
      );
    }
    if (await isReady()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${server.name} did not answer within ${timeoutMs} ms; its log (${server.logFile}) ends with:\n${tailOfFile(server.logFile)}`,
  );
}
