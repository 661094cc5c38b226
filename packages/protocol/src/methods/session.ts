// Start-up methods the official TUI cannot start without (specs/tui-client.md). Until the config
// service exists the gateway answers them for the deployment: no OpenAI account is needed (clients
// authenticate to the gateway), no model catalog, no config layers and no requirements.
import { z } from "zod";
import { defineMethods } from "../define.js";

export const GetAccountParams = z.object({ refreshToken: z.boolean().nullish() });
export const GetAccountResponse = z.object({
  account: z.null(),
  requiresOpenaiAuth: z.boolean(),
  userId: z.string().nullable(),
});

export const ModelListParams = z.object({
  cursor: z.string().nullish(),
  limit: z.number().int().min(0).nullish(),
  includeHidden: z.boolean().nullish(),
  modelProvider: z.string().nullish(),
});
export const ModelListResponse = z.object({ data: z.array(z.unknown()), nextCursor: z.string().nullable() });

export const ConfigReadParams = z.object({ includeLayers: z.boolean().nullish(), cwd: z.string().nullish() });
export const ConfigReadResponse = z.object({
  config: z.record(z.string(), z.unknown()),
  origins: z.record(z.string(), z.unknown()),
  layers: z.array(z.unknown()).nullable(),
});

export const ConfigRequirementsReadParams = z.object({}).nullish();
export const ConfigRequirementsReadResponse = z.object({ requirements: z.null() });

// Skills and hooks live on a user's machine; a cloud session has none (an empty list, not an error).
export const SkillsListParams = z.object({ cwds: z.array(z.string()).nullish(), forceReload: z.boolean().nullish() });
export const SkillsListResponse = z.object({ data: z.array(z.unknown()) });
export const HooksListParams = z.object({ cwds: z.array(z.string()).nullish(), threadId: z.string().nullish() });
export const HooksListResponse = z.object({ data: z.array(z.unknown()) });

export const SessionMethod = {
  accountRead: "account/read",
  modelList: "model/list",
  configRead: "config/read",
  configRequirementsRead: "configRequirements/read",
  skillsList: "skills/list",
  hooksList: "hooks/list",
} as const;

// Interim gateway answers for the TUI's start-up calls; config/* move to the config service.
export const sessionMethods = defineMethods({
  [SessionMethod.accountRead]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: GetAccountParams,
    result: GetAccountResponse,
    summary: "No OpenAI account is involved: clients authenticate to the gateway.",
  },
  [SessionMethod.modelList]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: ModelListParams,
    result: ModelListResponse,
    summary: "The deployment's model catalog (none is configured yet).",
  },
  [SessionMethod.configRead]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: ConfigReadParams,
    result: ConfigReadResponse,
    summary: "Effective config (no layers until the config service exists).",
  },
  [SessionMethod.configRequirementsRead]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: ConfigRequirementsReadParams,
    result: ConfigRequirementsReadResponse,
    summary: "Tenant requirements (none until the config service exists).",
  },
  [SessionMethod.skillsList]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: SkillsListParams,
    result: SkillsListResponse,
    summary: "Skills available to the session (a cloud session has none).",
  },
  [SessionMethod.hooksList]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: HooksListParams,
    result: HooksListResponse,
    summary: "Hooks configured for the session (a cloud session has none).",
  },
});
