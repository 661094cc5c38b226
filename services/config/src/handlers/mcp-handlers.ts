// MCP server status: the configured `[mcp_servers.<name>]` tables as Codex 0.171.0's
// mcpServerStatus/list shows them (its fields, order, pages and refusals were read off the binary).
// Switchyard's sessions do not start MCP servers yet, so no server has tools: an enabled server is
// reported with a startup error that says so, as Codex reports one it could not start; a disabled
// one with none. What Codex reads without starting a server is answered as Codex answers it: the
// HTTP origin, how it authenticates, and a bearer token's variable that is not set (a tenant secret
// here, the cloud's stand-in for an environment variable).
import { type ListMcpServerStatusResponse, type McpServerStatus, SwitchyardError } from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import { type ConfigTable, isConfigTable } from "../model/index.js";
import type { ConfigResolver } from "../resolver.js";
import type { ConfigStore } from "../store/config-store.js";
import type { TenantSecretStore } from "../store/secret-store.js";
import { pageOf } from "./pages.js";

/** Why an enabled server has no tools here (Codex's prefix for a server it could not start, then ours). */
export const MCP_NOT_STARTED =
  "MCP startup failed: this Switchyard deployment does not start MCP servers; its sessions have no MCP tools";

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });

/** One server's status, as Codex reports a server it has not (or could not) start. */
export function mcpServerStatus(
  name: string,
  table: ConfigTable,
  secretNames: ReadonlySet<string>,
  ofThread: boolean,
): McpServerStatus {
  const url = typeof table.url === "string" ? table.url : undefined;
  const isEnabled = table.enabled !== false;
  const bearerVariable = typeof table.bearer_token_env_var === "string" ? table.bearer_token_env_var : undefined;
  let toolsError: string | null = null;
  if (isEnabled) {
    toolsError =
      bearerVariable !== undefined && !secretNames.has(bearerVariable)
        ? `MCP startup failed: Environment variable ${bearerVariable} for MCP server '${name}' is not set`
        : MCP_NOT_STARTED;
  }
  return {
    name,
    environmentId: null,
    // A thread's runtime reports each server as Codex's does once its startup has ended: disabled,
    // or failed (Switchyard's thread started none); outside a thread there is no runtime to ask.
    runtimeStatus: ofThread ? (isEnabled ? "failed" : "disabled") : null,
    pluginId: null,
    httpOrigin: url === undefined ? null : originOf(url),
    serverInfo: null,
    serverCapabilities: null,
    toolListMeta: null,
    tools: {},
    toolsError,
    resources: [],
    resourceTemplates: [],
    // As Codex: a command (stdio) server or a disabled one cannot say; an HTTP one with a bearer
    // token's variable uses it; any other HTTP one is not known until it is started.
    authStatus: !isEnabled || url === undefined ? "unsupported" : bearerVariable !== undefined ? "bearerToken" : "unknown",
  };
}

/** The scheme, host and port of an http(s) URL (no credentials, path, query or fragment); null otherwise. */
function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

export function mcpHandlers(deps: {
  store: ConfigStore;
  resolver: ConfigResolver;
  secrets: TenantSecretStore;
}): Pick<
  HandlersFor<"config">,
  "mcpServerStatus/list" | "config/mcpServer/reload" | "mcpServer/resource/read" | "mcpServer/tool/call" | "mcpServer/oauth/login"
> {
  const { store, resolver, secrets } = deps;

  /** The caller's effective config, or the named thread's (its snapshot from thread start). */
  async function configFor(context: HandlerContext, threadId: string | null | undefined): Promise<ConfigTable> {
    const { tenant, subject } = context.request.caller;
    if (threadId == null) return (await resolver.resolve({ tenant, subject, cwd: null })).effective.config;
    const row = await store.readThreadConfig(tenant, threadId);
    if (!row) throw invalid(`thread not found: ${threadId}`);
    return row.effective;
  }

  const serversOf = (config: ConfigTable): ConfigTable => (isConfigTable(config.mcp_servers) ? config.mcp_servers : {});
  /** The names of the caller's tenant's secrets (a bearer token's variable is one of them, or unset). */
  const secretNamesOf = async (context: HandlerContext) =>
    new Set((await secrets.list(context.request.caller.tenant)).map((entry) => entry.name));

  /**
   * Codex's refusal of a call to a server that is not running: one it does not know (or a disabled
   * one) is unknown; an enabled one failed to start, with the reason mcpServerStatus/list gives.
   */
  async function notRunning(context: HandlerContext, name: string, threadId: string | null | undefined): Promise<Error> {
    const server = serversOf(await configFor(context, threadId))[name];
    if (!isConfigTable(server) || server.enabled === false) {
      return new SwitchyardError({ reason: "mcpServerUnavailable", message: `unknown MCP server '${name}'` });
    }
    const secretNames = await secretNamesOf(context);
    const { toolsError } = mcpServerStatus(name, server, secretNames, threadId != null);
    return new SwitchyardError({ reason: "mcpServerUnavailable", message: `failed to get client: ${toolsError}` });
  }

  return {
    "mcpServerStatus/list": async (params, context): Promise<ListMcpServerStatusResponse> => {
      if (params.environmentId != null && (params.serverName == null || params.threadId == null)) {
        throw invalid("environmentId requires serverName and threadId");
      }
      const config = await configFor(context, params.threadId);
      const servers = serversOf(config);
      const names = Object.keys(servers)
        .filter((name) => isConfigTable(servers[name]) && (params.serverName == null || name === params.serverName))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const { page, nextCursor } = pageOf(names, params.cursor, params.limit, "MCP servers");
      const secretNames = await secretNamesOf(context);
      return {
        data: page.map((name) => mcpServerStatus(name, servers[name] as ConfigTable, secretNames, params.threadId != null)),
        nextCursor,
      };
    },

    // Codex reloads its loaded threads' MCP servers from config; Switchyard's threads run none.
    "config/mcpServer/reload": async () => ({}),

    "mcpServer/resource/read": async (params, context) => {
      throw await notRunning(context, params.server, params.threadId);
    },

    "mcpServer/tool/call": async (params, context) => {
      throw await notRunning(context, params.server, params.threadId);
    },

    "mcpServer/oauth/login": async (params, context) => {
      const servers = serversOf(await configFor(context, params.threadId));
      const server = servers[params.name];
      if (!isConfigTable(server)) throw invalid(`No MCP server named '${params.name}' found.`);
      if (typeof server.url !== "string") throw invalid("OAuth login is only supported for streamable HTTP servers.");
      throw invalid(
        `OAuth login for MCP server '${params.name}' is not available: this Switchyard deployment does not start MCP servers`,
      );
    },
  };
}
