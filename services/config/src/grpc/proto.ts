// Loads `thread_config.proto` (beside this module) once and names its messages as grpc-js hands them
// over with our loader options: field names as in the .proto, uint64 as number, enums by name, unset
// fields absent (not defaulted), and the `source` oneof named.
import { fileURLToPath } from "node:url";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const protoPath = fileURLToPath(new URL("./thread_config.proto", import.meta.url));

const packageDefinition = loadSync(protoPath, {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
});

/** Fully qualified service name, as it appears in the HTTP/2 path. */
export const threadConfigServiceName = "codex.thread_config.v1.ThreadConfigLoader";
/** The one method's path; Codex 0.148.0 always calls exactly this, whatever path its endpoint URL had. */
export const loadMethodPath = `/${threadConfigServiceName}/Load`;

export type WireApiName = "WIRE_API_UNSPECIFIED" | "WIRE_API_RESPONSES";

export interface LoadThreadConfigRequestMessage {
  thread_id?: string | null;
  cwd?: string | null;
}

export interface StringMapMessage {
  values?: Record<string, string>;
}

export interface ModelProviderAuthInfoMessage {
  command?: string;
  args?: string[];
  timeout_ms?: number;
  refresh_interval_ms?: number;
  cwd?: string;
}

export interface ModelProviderMessage {
  id?: string;
  name?: string;
  base_url?: string | null;
  env_key?: string | null;
  env_key_instructions?: string | null;
  experimental_bearer_token?: string | null;
  auth?: ModelProviderAuthInfoMessage | null;
  /** An enum name; a number when the sender used a value this proto does not know. */
  wire_api?: WireApiName | number;
  query_params?: StringMapMessage | null;
  http_headers?: StringMapMessage | null;
  env_http_headers?: StringMapMessage | null;
  request_max_retries?: number | null;
  stream_max_retries?: number | null;
  stream_idle_timeout_ms?: number | null;
  websocket_connect_timeout_ms?: number | null;
  requires_openai_auth?: boolean;
  supports_websockets?: boolean;
  bedrock_mantle_additional_regions?: string[];
}

export interface SessionThreadConfigMessage {
  model_provider?: string | null;
  model_providers?: ModelProviderMessage[];
  features?: Record<string, boolean>;
}

export type UserThreadConfigMessage = Record<string, never>;

export interface ThreadConfigSourceMessage {
  session?: SessionThreadConfigMessage | null;
  user?: UserThreadConfigMessage | null;
  /** Set by the loader on decode: which member of the oneof is present. */
  source?: "session" | "user";
}

export interface LoadThreadConfigResponseMessage {
  sources?: ThreadConfigSourceMessage[];
}

export type LoadMethodDefinition = MethodDefinition<LoadThreadConfigRequestMessage, LoadThreadConfigResponseMessage>;

function loadServiceDefinition(): ServiceDefinition & { Load: LoadMethodDefinition } {
  const definition = packageDefinition[threadConfigServiceName];
  if (!definition || !("Load" in definition)) {
    throw new Error(`${protoPath} does not define the ${threadConfigServiceName} service with a Load method`);
  }
  return definition as unknown as ServiceDefinition & { Load: LoadMethodDefinition };
}

/** The service definition for `Server.addService` and the serializers for a client's unary call. */
export const threadConfigLoaderService = loadServiceDefinition();
