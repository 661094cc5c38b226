// What other packages (the CLI, tests) use of the config service without running it.

export { type ConfigAdmin, ConfigAdminError, IMPORT_TARGETS, type ImportTarget, openConfigAdmin } from "./admin.js";
export { assignEndpointPort, endpointUrl } from "./endpoints.js";
export { type ConfigAdminEnv, loadConfigAdminEnv } from "./env.js";
export { configMigrationsDirectory } from "./migrations.js";
export { configToToml, parseConfigToml, parseRequirements } from "./model/index.js";
