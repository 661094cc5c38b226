// Starts real Switchyard service processes (the same entry points `pnpm start` runs) and waits
// until each says it is ready. Tests kill them with real signals.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * A service's entry point for a test: its bundle (services/<name>/dist/main.js) when the run built
 * them (`pnpm test` and the benchmark build every bundle from the sources first and set SWITCHYARD_TEST_BUNDLES=1),
 * its TypeScript source through tsx otherwise (a test file run on its own). Measured on a 2-core
 * machine: a thread, config and gateway service started together were ready in 1.4 s from bundles
 * against 3.3 s through tsx, and the whole suite took 1,057 s against 1,138 s.
 */
export function serviceEntry(service: "thread" | "config" | "gateway" | "remote-control"): string {
  return process.env.SWITCHYARD_TEST_BUNDLES === "1" ? `services/${service}/dist/main.js` : `services/${service}/src/main.ts`;
}

/** Node's arguments for an entry: a TypeScript source through tsx, a bundle with its source map (stack traces name the sources). */
function nodeArgsFor(entry: string): string[] {
  return entry.endsWith(".ts") ? ["--import", "tsx", entry] : ["--enable-source-maps", entry];
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process logged, for assertions and for failure reports. */
  output(): string;
  /** SIGKILL: no shutdown path runs (a crash). */
  crash(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
}

/**
 * Spawns `entry` — a TypeScript source (run through tsx) or a built bundle (`.js`, run as is) —
 * and resolves once a line of its output satisfies `isReady`.
 */
export function startProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  isReady: (line: string) => boolean,
  options: { args?: string[]; timeoutMs?: number } = {},
): Promise<ServiceProcess & { readyLine: string }> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawn(process.execPath, [...nodeArgsFor(entry), ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const handle = {
    name,
    child,
    output: () => output,
    async crash() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await once(child, "exit");
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const stuck = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const [code] = (await exited) as [number | null];
      clearTimeout(stuck);
      return code;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not become ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split("\n")) {
        if (line && isReady(line)) {
          clearTimeout(timer);
          resolve({ ...handle, readyLine: line });
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

// Readiness lines are logged at info; the harness forces info so it can see them.
export async function startThreadService(
  env: Record<string, string>,
  name = "thread",
  entry = serviceEntry("thread"),
): Promise<ServiceProcess & { healthUrl: string }> {
  const started = await startProcess(name, entry, { ...env, LOG_LEVEL: "info" }, (line) =>
    line.includes('"msg":"thread service ready"'),
  );
  const healthPort = (JSON.parse(started.readyLine) as { healthPort: number }).healthPort;
  return { ...started, healthUrl: `http://127.0.0.1:${healthPort}` };
}

/** A config-service instance; its ready line lists the thread-config endpoints it serves. */
export async function startConfigService(
  env: Record<string, string>,
  name = "config",
  entry = serviceEntry("config"),
): Promise<ServiceProcess & { healthUrl: string; threadConfigEndpoints: { tenant: string; url: string }[] }> {
  const started = await startProcess(name, entry, { ...env, LOG_LEVEL: "info" }, (line) =>
    line.includes('"msg":"config service ready"'),
  );
  const ready = JSON.parse(started.readyLine) as { healthPort: number; threadConfigEndpoints: { tenant: string; url: string }[] };
  return { ...started, healthUrl: `http://127.0.0.1:${ready.healthPort}`, threadConfigEndpoints: ready.threadConfigEndpoints };
}

export async function startGatewayProcess(
  env: Record<string, string>,
  name = "gateway",
  entry = serviceEntry("gateway"),
): Promise<ServiceProcess & { url: string }> {
  const started = await startProcess(name, entry, { GATEWAY_PORT: "0", ...env, LOG_LEVEL: "info" }, (line) =>
    line.includes('"event":"gateway.ready"'),
  );
  const url = (JSON.parse(started.readyLine) as { url: string }).url;
  return { ...started, url };
}

/** A remote-control instance; `baseUrl` is what a machine puts in `chatgpt_base_url`. */
export async function startRemoteControlProcess(
  env: Record<string, string>,
  name = "remote-control",
  entry = serviceEntry("remote-control"),
): Promise<ServiceProcess & { baseUrl: string; port: number; instanceId: string }> {
  const started = await startProcess(name, entry, { REMOTE_CONTROL_PORT: "0", ...env, LOG_LEVEL: "info" }, (line) =>
    line.includes('"event":"remote-control.ready"'),
  );
  const ready = JSON.parse(started.readyLine) as { baseUrl: string; port: number; instanceId: string };
  return { ...started, baseUrl: ready.baseUrl, port: ready.port, instanceId: ready.instanceId };
}

/**
 * Starts a service expecting it to refuse to start (bad settings); resolves with its exit code and
 * output. A service that does start runs until killed: the test then fails on its exit code.
 */
export async function runServiceExpectingExit(
  entry: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, nodeArgsFor(entry), {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

/** Starts a gateway expecting it to refuse to start; resolves with its exit code and output. */
export const runGatewayExpectingExit = (env: Record<string, string>) =>
  runServiceExpectingExit(serviceEntry("gateway"), { GATEWAY_PORT: "0", ...env });

/** Starts a config service expecting it to refuse to start; resolves with its exit code and output. */
export const runConfigServiceExpectingExit = (env: Record<string, string>) =>
  runServiceExpectingExit(serviceEntry("config"), { CONFIG_HEALTH_PORT: "0", ...env });
