// initialize: the first message of every connection (handled by the gateway itself), and Codex's
// test-only experimental method.
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { EnvironmentStatus } from "./remote-control.js";

export const ClientInfo = z.object({
  name: z.string(),
  title: z.string().nullish(),
  version: z.string(),
});

export const InitializeCapabilities = z.object({
  experimentalApi: z.boolean().nullish(),
  optOutNotificationMethods: z.array(z.string()).nullish(),
  requestAttestation: z.boolean().nullish(),
  explicitGatewayOauth: z.boolean().nullish(),
  mcpServerOpenaiFormElicitation: z.boolean().nullish(),
  requiredHumanApproval: z.boolean().nullish(),
  extensions: z.record(z.string(), z.unknown()).nullish(),
});

export const InitializeParams = z.object({
  clientInfo: ClientInfo,
  capabilities: InitializeCapabilities.nullish(),
});
export type InitializeParams = z.infer<typeof InitializeParams>;

export const InitializeResponse = z.object({
  userAgent: z.string(),
  codexHome: z.string(),
  platformFamily: z.string(),
  platformOs: z.string(),
});
export type InitializeResponse = z.infer<typeof InitializeResponse>;

/** A server's own remote control: what `remoteControl/status/changed` announces and `remoteControl/status/read` answers. */
export const RemoteControlStatus = z.object({
  status: EnvironmentStatus,
  serverName: z.string(),
  installationId: z.string(),
  environmentId: z.string().nullish(),
});
export type RemoteControlStatus = z.infer<typeof RemoteControlStatus>;
export const RemoteControlStatusChanged = RemoteControlStatus;

// Codex's test-only experimental method: echoes `value`. Gated by experimentalApi like any other.
export const MockExperimentalMethodParams = z.object({ value: z.string().nullish() });
export const MockExperimentalMethodResponse = z.object({ echoed: z.string().nullable() });

export const InitializeMethod = {
  initialize: "initialize",
  mockExperimentalMethod: "mock/experimentalMethod",
} as const;

export const InitializeNotification = {
  remoteControlStatusChanged: "remoteControl/status/changed",
} as const;

export const initializeMethods = defineMethods({
  [InitializeMethod.initialize]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: InitializeParams,
    result: InitializeResponse,
    summary: "Opens the session: client info and capabilities (experimentalApi, notification opt-outs).",
  },
  [InitializeMethod.mockExperimentalMethod]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: true,
    paramsRequired: true,
    params: MockExperimentalMethodParams,
    result: MockExperimentalMethodResponse,
    summary: "Codex's test-only experimental method; echoes `value`.",
  },
});

export const initializeNotifications = defineNotifications({
  [InitializeNotification.remoteControlStatusChanged]: {
    params: RemoteControlStatusChanged,
    audience: "connection",
    experimental: false,
    critical: false,
    summary: "Remote-control status, sent right after initialize.",
  },
});
