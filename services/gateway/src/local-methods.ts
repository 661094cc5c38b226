// Methods the gateway answers itself, without a bus hop: Codex's test-only experimental method,
// account/read (no OpenAI account is involved: clients authenticate to the gateway) and Codex's
// collaboration-mode presets (fixed data, the same as Codex 0.171.0 lists).
import { Method, type MethodParams, type MethodResult, type MethodsOwnedBy } from "@switchyard/protocol";
import type { Caller } from "@switchyard/runtime";

/** Gateway-owned methods other than `initialize` (which the connection handles itself). */
type LocalMethodName = Exclude<MethodsOwnedBy<"gateway">, typeof Method.initialize>;
/** One synchronous handler per local method, exactly: a missing or extra one does not compile. */
type LocalHandlers = { [M in LocalMethodName]: (params: MethodParams<M>, caller: Caller) => MethodResult<M> };
type LocalMethod = (params: unknown, caller: Caller) => unknown;

export function localMethods(): ReadonlyMap<string, LocalMethod> {
  const handlers: LocalHandlers = {
    [Method.mockExperimentalMethod]: (params) => ({ echoed: params.value ?? null }),
    [Method.accountRead]: (_params, caller) => ({
      account: null,
      requiresOpenaiAuth: false,
      userId: caller.subject,
      workspaceRouting: null,
    }),
    // Codex 0.171.0's answer without a sign-in, whatever the params ask for.
    [Method.getAuthStatus]: () => ({ authMethod: null, authToken: null, requiresOpenaiAuth: false }),
    [Method.pluginInstalled]: () => ({ marketplaces: [], marketplaceLoadErrors: [] }),
    [Method.bedrockCheckGovCloud]: () => ({ isGovCloud: false, shouldWarn: false }),
    [Method.backgroundTerminalsList]: () => ({ data: [], nextCursor: null }),
    [Method.collaborationModeList]: () => ({
      data: [
        { name: "Plan", mode: "plan", model: null, reasoning_effort: "medium" },
        { name: "Default", mode: "default", model: null, reasoning_effort: null },
      ],
    }),
  };
  return new Map(Object.entries(handlers) as [string, LocalMethod][]);
}
