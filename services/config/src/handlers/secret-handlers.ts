// Handlers for tenant secrets (switchyard/secret/*) and the thread service's
// internal/config/modelProvider, which is the only reader of a secret's value.
//
// Secrets belong to orchestrators (the `orchestrator` role), as session config does: they are the
// tenant's environment variables, named by providers' `env_key` and `env_http_headers`. Writes run
// once (the ledger keeps `{name, updatedAt}`, never the value).
import { Method, SwitchyardError, TENANT_SECRET_MAX_BYTES } from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import type { ConfigStore } from "../store/config-store.js";
import type { SecretEntry, TenantSecretStore } from "../store/secret-store.js";
import type { ModelProviders } from "./model-providers.js";
import { requireOrchestrator } from "./session-handlers.js";

type SecretMethodName =
  | "switchyard/secret/set"
  | "switchyard/secret/delete"
  | "switchyard/secret/list"
  | "internal/config/modelProvider";

/** A secret value the store accepts (the message never echoes it). */
export function checkSecretValue(value: string): void {
  const bytes = Buffer.byteLength(value, "utf8");
  if (value.trim() === "") throw new SwitchyardError({ reason: "invalidArgument", message: "a secret value must not be empty" });
  if (bytes > TENANT_SECRET_MAX_BYTES) {
    throw new SwitchyardError({
      reason: "invalidArgument",
      message: `a secret value is at most ${TENANT_SECRET_MAX_BYTES} bytes; this one is ${bytes}`,
    });
  }
}

export function secretHandlers(deps: {
  store: ConfigStore;
  secrets: TenantSecretStore;
  providers: ModelProviders;
}): Pick<HandlersFor<"config">, SecretMethodName> {
  const { store, secrets, providers } = deps;
  const once = <T>(context: HandlerContext, apply: Parameters<ConfigStore["applyOnce"]>[2]) =>
    store
      .applyOnce(context.request.caller.tenant, { commandId: context.request.commandId, method: context.request.method }, apply)
      .then(({ result }) => result as T);

  return {
    [Method.secretSet]: async (params, context) => {
      requireOrchestrator(context);
      checkSecretValue(params.value);
      const { tenant, subject } = context.request.caller;
      return once<SecretEntry>(context, (tx) => secrets.set(tx, tenant, params.name, params.value, subject));
    },

    [Method.secretDelete]: async (params, context) => {
      requireOrchestrator(context);
      const { tenant } = context.request.caller;
      return once<{ deleted: boolean }>(context, async (tx) => ({ deleted: await secrets.delete(tx, tenant, params.name) }));
    },

    [Method.secretList]: async (_params, context) => {
      requireOrchestrator(context);
      return { data: await secrets.list(context.request.caller.tenant) };
    },

    [Method.resolveModelProvider]: (params, context) =>
      providers.resolve({ tenant: context.request.caller.tenant, subject: context.request.caller.subject }, params),
  };
}
