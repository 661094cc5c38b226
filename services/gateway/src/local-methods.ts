// Methods the gateway answers itself, without a bus hop: Codex's test-only experimental method and
// the interim start-up answers (see protocol/methods/session.ts). Until the config service exists,
// the effective config is one packagedDefaults layer: the deployment's default model and provider,
// the same values the thread service gives a thread that names none.
import { configLayerVersion, Method } from "@switchyard/protocol";

type LocalMethod = (params: Record<string, unknown>) => unknown;

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
  return new Map<string, LocalMethod>([
    [Method.mockExperimentalMethod, (params) => ({ echoed: (params.value as string | null | undefined) ?? null })],
    [Method.accountRead, () => ({ account: null, requiresOpenaiAuth: false, userId: null })],
    [Method.modelList, () => ({ data: [], nextCursor: null })],
    [
      Method.configRead,
      (params) => ({ config, origins, layers: params.includeLayers ? [{ name: layerName, version, config }] : null }),
    ],
    [Method.configRequirementsRead, () => ({ requirements: null })],
    [Method.skillsList, () => ({ data: [] })],
    [Method.hooksList, () => ({ data: [] })],
  ]);
}
