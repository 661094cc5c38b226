// A tenant's upstream thread-config endpoint for tests: a gRPC ThreadConfigLoader on loopback that
// answers every Load with one session config and counts the calls it got.
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { threadConfigLoaderService } from "../../services/config/src/grpc/proto.js";
import { loadResponseFor } from "../../services/config/src/grpc/server.js";
import type { SessionConfigToml } from "../../services/config/src/grpc/session-config-codec.js";

export interface UpstreamThreadConfig {
  /** `http://127.0.0.1:<port>`, as `experimental_thread_config_endpoint` names it. */
  endpoint: string;
  calls(): number;
  stop(): void;
}

export async function startUpstreamThreadConfig(session: SessionConfigToml): Promise<UpstreamThreadConfig> {
  let calls = 0;
  const server = new Server();
  server.addService(threadConfigLoaderService, {
    Load: (_call: unknown, callback: (error: null, value: unknown) => void) => {
      calls++;
      callback(null, loadResponseFor(session));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { endpoint: `http://127.0.0.1:${port}`, calls: () => calls, stop: () => server.forceShutdown() };
}
