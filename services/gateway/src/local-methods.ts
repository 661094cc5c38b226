// Methods the gateway answers itself, without a bus hop: Codex's test-only experimental method and
// the interim start-up answers (see protocol/methods/session.ts). Each returns the result object.
import { Method } from "@switchyard/protocol";

type LocalMethod = (params: Record<string, unknown>) => unknown;

export const localMethods: ReadonlyMap<string, LocalMethod> = new Map<string, LocalMethod>([
  [Method.mockExperimentalMethod, (params) => ({ echoed: (params.value as string | null | undefined) ?? null })],
  [Method.accountRead, () => ({ account: null, requiresOpenaiAuth: false, userId: null })],
  [Method.modelList, () => ({ data: [], nextCursor: null })],
  [Method.configRead, (params) => ({ config: {}, origins: {}, layers: params.includeLayers ? [] : null })],
  [Method.configRequirementsRead, () => ({ requirements: null })],
]);
