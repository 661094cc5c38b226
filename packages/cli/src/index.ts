// What other packages (tests, tools) may reuse from the CLI.
export { ensureDevSecret, parseTtl, resolveSigningSecret, signDevToken } from "./auth/dev-token.js";
export { collectStatus, isHealthy, type StatusReport } from "./commands/status.js";
export { isLoopbackHost, parseEndpoints } from "./infra/endpoints.js";
export { probeNats, probePostgres, probeRedis } from "./infra/probes.js";
export { discoverMigrations, discoverServices } from "./paths.js";
