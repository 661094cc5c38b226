// The one start-up method the gateway answers itself: account/read. No OpenAI account is involved
// (clients authenticate to the gateway), so it always says so. Everything else a client asks at
// start-up (config, requirements, models, skills, hooks) is the config service's (methods/config.ts).
import { z } from "zod";
import { defineMethods } from "../define.js";

export const GetAccountParams = z.object({ refreshToken: z.boolean().nullish() });
export const GetAccountResponse = z.object({
  account: z.null(),
  requiresOpenaiAuth: z.boolean(),
  userId: z.string().nullable(),
});

export const SessionMethod = {
  accountRead: "account/read",
} as const;

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
});
