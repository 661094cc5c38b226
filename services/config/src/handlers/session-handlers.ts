// Handlers for orchestrator-injected session config (switchyard/sessionConfig/*), lockfiles
// (switchyard/configLock/*) and the thread service's internal/config/resolveThread.
//
// Session config belongs to orchestrators: principals with the `orchestrator` role. A session
// config for a thread may be set before the thread exists; one for a cwd applies to every thread
// started there and to any Codex runtime that asks the tenant's thread-config endpoint by that cwd.
// Provider secrets in a session config are sealed before it is stored and read back as `********`
// (writing `********` back keeps the stored value); the thread-config endpoint serves it without them.
import { Method, type SessionConfig, SwitchyardError } from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import { type SessionConfigToml, sessionConfigFromProto, sessionConfigToProto } from "../grpc/session-config-codec.js";
import type { ConfigTable } from "../model/index.js";
import { type ConfigSecrets, redactSecrets, SecretValueError } from "../secrets/config-secrets.js";
import type { ConfigStore, SessionTarget } from "../store/config-store.js";
import { redactLockfileText, type ThreadConfigs } from "./thread-configs.js";

export const ORCHESTRATOR_ROLE = "orchestrator";

type SessionMethodName =
  | "switchyard/sessionConfig/set"
  | "switchyard/sessionConfig/read"
  | "switchyard/sessionConfig/delete"
  | "switchyard/configLock/export"
  | "switchyard/configLock/save"
  | "internal/config/resolveThread"
  | "internal/config/forkThread";

/** Refuses a caller without the `orchestrator` role (session config and tenant secrets are theirs). */
export function requireOrchestrator(context: HandlerContext): void {
  if (context.request.caller.roles.includes(ORCHESTRATOR_ROLE)) return;
  throw new SwitchyardError({
    reason: "forbidden",
    message: `${context.request.method} requires the \`${ORCHESTRATOR_ROLE}\` role; this principal has ${
      context.request.caller.roles.length > 0 ? context.request.caller.roles.join(", ") : "no roles"
    }`,
  });
}

function targetOf(params: { threadId?: string | null; cwd?: string | null }): SessionTarget {
  if (params.threadId != null) return { kind: "thread", threadId: params.threadId };
  const cwd = params.cwd ?? "";
  if (!cwd.startsWith("/"))
    throw new SwitchyardError({ reason: "invalidArgument", message: `cwd must be an absolute path, got ${cwd}` });
  return { kind: "cwd", cwd };
}

/** A session config as stored: null keys dropped, and every provider checked as the gRPC client checks it. */
function normalizeSessionConfig(config: SessionConfig): ConfigTable {
  const table: ConfigTable = {};
  for (const [key, value] of Object.entries(config)) if (value != null) table[key] = value;
  try {
    // One round trip through the wire shape: what is stored is exactly what a Codex runtime will be sent.
    return sessionConfigFromProto(sessionConfigToProto(table as SessionConfigToml)) as ConfigTable;
  } catch (error) {
    throw new SwitchyardError({ reason: "invalidArgument", message: `invalid session config: ${(error as Error).message}` });
  }
}

export function sessionHandlers(deps: {
  store: ConfigStore;
  threads: ThreadConfigs;
  configSecrets: ConfigSecrets;
}): Pick<HandlersFor<"config">, SessionMethodName> {
  const { store, threads, configSecrets } = deps;
  const callerOf = (context: HandlerContext) => ({
    tenant: context.request.caller.tenant,
    subject: context.request.caller.subject,
  });
  const once = <T>(context: HandlerContext, apply: Parameters<ConfigStore["applyOnce"]>[2]) =>
    store
      .applyOnce(context.request.caller.tenant, { commandId: context.request.commandId, method: context.request.method }, apply)
      .then(({ result }) => result as T);

  return {
    [Method.sessionConfigSet]: async (params, context) => {
      requireOrchestrator(context);
      const target = targetOf(params);
      const body = normalizeSessionConfig(params.config);
      const { tenant } = context.request.caller;
      return once<{ version: string }>(context, async (tx) => {
        const stored = await store.readSessionConfig(tenant, target, tx);
        let sealed: ConfigTable;
        try {
          sealed = configSecrets.seal(tenant, body, stored?.body);
        } catch (error) {
          if (error instanceof SecretValueError)
            throw new SwitchyardError({ reason: "invalidArgument", message: `invalid session config: ${error.message}` });
          throw error;
        }
        return { version: await store.writeSessionConfig(tx, tenant, target, sealed) };
      });
    },

    [Method.sessionConfigRead]: async (params, context) => {
      requireOrchestrator(context);
      const stored = await store.readSessionConfig(context.request.caller.tenant, targetOf(params));
      return stored ? { config: redactSecrets(stored.body) as SessionConfig, version: stored.version } : null;
    },

    [Method.sessionConfigDelete]: async (params, context) => {
      requireOrchestrator(context);
      const target = targetOf(params);
      return once<Record<string, never>>(context, async (tx) => {
        await store.deleteSessionConfig(tx, context.request.caller.tenant, target);
        return {};
      });
    },

    [Method.configLockExport]: (params, context) => threads.exportLockfile(callerOf(context), params.threadId),

    [Method.configLockSave]: async (params, context) => {
      let lockfile: string;
      try {
        // A secret in a lockfile is kept as `********` (replays compare secrets by presence).
        lockfile = redactLockfileText(params.lockfile);
      } catch (error) {
        throw new SwitchyardError({ reason: "invalidArgument", message: `invalid config lockfile: ${(error as Error).message}` });
      }
      return once<{ path: string }>(context, async (tx) => {
        await store.writeLockfile(tx, context.request.caller.tenant, params.path, lockfile);
        return { path: params.path };
      });
    },

    [Method.resolveThreadConfig]: (params, context) => threads.resolveThread(callerOf(context), params),

    [Method.forkThreadConfig]: async (params, context) => ({
      isCopied: await store.copyThreadConfig(
        context.request.caller.tenant,
        params.sourceThreadId,
        params.threadId,
        context.request.caller.subject,
      ),
    }),
  };
}
