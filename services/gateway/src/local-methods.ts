// Methods the gateway answers itself, without a bus hop: Codex's test-only experimental method and
// the interim start-up answers (see protocol/methods/session.ts). Until the config service exists,
// the effective config is one packagedDefaults layer: the deployment's default model and provider,
// the same values the thread service gives a thread that names none.
import { configLayerVersion, Method, type MethodParams, type MethodResult, type MethodsOwnedBy } from "@switchyard/protocol";

/** Gateway-owned methods other than `initialize` (which the connection handles itself). */
type LocalMethodName = Exclude<MethodsOwnedBy<"gateway">, typeof Method.initialize>;
/** One synchronous handler per local method, exactly: a missing or extra one does not compile. */
type LocalHandlers = { [M in LocalMethodName]: (params: MethodParams<M>) => MethodResult<M> };
type LocalMethod = (params: unknown) => unknown;

export interface DeploymentDefaults {
  model: string;
  modelProvider: string;
}

const PACKAGED_DEFAULTS_FILE = "/etc/switchyard/defaults.toml";

export function localMethods(defaults: DeploymentDefaults): ReadonlyMap<string, LocalMethod> {
  const config = { model: defaults.model, model_provider: defaults.modelProvider };
  const layerName = { type: "packagedDefaults", file: PACKAGED_DEFAULTS_FILE };
  const version = configLayerVersion(config);
  const origins = Object.fromEntries(Object.keys(config).map((key) => [key, { name: layerName, version }]));
  const handlers: LocalHandlers = {
    [Method.mockExperimentalMethod]: (params) => ({ echoed: params.value ?? null }),
    [Method.accountRead]: () => ({ account: null, requiresOpenaiAuth: false, userId: null }),
    [Method.modelList]: () => ({ data: [], nextCursor: null }),
    [Method.configRead]: (params) => ({
      config,
      origins,
      layers: params.includeLayers ? [{ name: layerName, version, config }] : null,
    }),
    [Method.configRequirementsRead]: () => ({ requirements: null }),
    [Method.skillsList]: () => ({ data: [] }),
    [Method.hooksList]: () => ({ data: [] }),
  };
  return new Map(Object.entries(handlers) as [string, LocalMethod][]);
}
