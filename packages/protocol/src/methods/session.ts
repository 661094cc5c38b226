// Start-up methods the gateway answers itself. account/read: no OpenAI account is involved (clients
// authenticate to the gateway), so `account` is null and `userId` is the caller's subject. The others
// are honest empty answers to what the official TUI asks about things a cloud session does not have
// (installed plugins, Bedrock GovCloud, a thread's background terminals), so it sees data, not errors.
// Everything else a client asks at start-up (config, requirements, models, skills, hooks) is the
// config service's (methods/config.ts).
import { z } from "zod";
import { defineMethods } from "../define.js";
import { U32 } from "../serde-types.js";

export const GetAccountParams = z.object({ refreshToken: z.boolean().nullish() });
export const GetAccountResponse = z.object({
  account: z.null(),
  requiresOpenaiAuth: z.boolean(),
  userId: z.string().nullable(),
  /** No ChatGPT workspace routes a cloud session: null, as Codex answers without one. */
  workspaceRouting: z.null(),
});

/** Codex's v1 auth query (still answered by Codex 0.171.0, not in its schema): the same facts as account/read. */
export const GetAuthStatusParams = z.object({ includeToken: z.boolean().nullish(), refreshToken: z.boolean().nullish() });
export const GetAuthStatusResponse = z.object({
  authMethod: z.null(),
  authToken: z.null(),
  requiresOpenaiAuth: z.boolean(),
});

export const PluginInstalledParams = z.object({
  cwds: z.array(z.string()).nullish(),
  installSuggestionPluginNames: z.array(z.string()).nullish(),
});
export const PluginInstalledResponse = z.object({
  marketplaces: z.array(z.unknown()),
  marketplaceLoadErrors: z.array(z.unknown()),
});
export const BedrockCheckGovCloudResponse = z.object({ isGovCloud: z.boolean(), shouldWarn: z.boolean() });
export const BackgroundTerminalsListParams = z.object({
  threadId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export const BackgroundTerminalsListResponse = z.object({ data: z.array(z.unknown()), nextCursor: z.string().nullable() });

export const SessionMethod = {
  accountRead: "account/read",
  getAuthStatus: "getAuthStatus",
  pluginInstalled: "plugin/installed",
  bedrockCheckGovCloud: "account/bedrock/checkGovCloudRequirements",
  backgroundTerminalsList: "thread/backgroundTerminals/list",
} as const;

export const sessionMethods = defineMethods({
  [SessionMethod.accountRead]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: GetAccountParams,
    result: GetAccountResponse,
    summary: "No OpenAI account is involved: clients authenticate to the gateway; userId is the caller's subject.",
  },
  [SessionMethod.getAuthStatus]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: GetAuthStatusParams,
    result: GetAuthStatusResponse,
    summary:
      "Codex's v1 auth status: no OpenAI sign-in is involved (clients authenticate to the gateway), so no method and no token.",
  },
  [SessionMethod.pluginInstalled]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: PluginInstalledParams,
    result: PluginInstalledResponse,
    summary: "Installed plugins: none (a cloud session has no plugin marketplaces).",
  },
  [SessionMethod.bedrockCheckGovCloud]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: z.object({}).nullish(),
    result: BedrockCheckGovCloudResponse,
    summary: "Bedrock GovCloud check: not GovCloud, nothing to warn about (no Bedrock account is involved).",
  },
  [SessionMethod.backgroundTerminalsList]: {
    owner: "gateway",
    // Unkeyed: a cloud thread never has background terminals, so there is nothing to order against.
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: BackgroundTerminalsListParams,
    result: BackgroundTerminalsListResponse,
    summary: "A thread's background terminals: none (a cloud thread has no shell).",
  },
});
