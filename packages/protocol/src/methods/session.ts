// Start-up methods the official TUI cannot start without (specs/tui-client.md). Until the config
// service exists the gateway answers them for the deployment: no OpenAI account is needed (clients
// authenticate to the gateway), no model catalog, no config layers and no requirements.
import { z } from "zod";

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
