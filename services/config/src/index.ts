// What other packages (the CLI, tests) use of the config service without running it.

export { ConfigAdminError, IMPORT_TARGETS, type ImportTarget, openConfigAdmin } from "./admin.js";
export { assignEndpointPort, endpointUrl } from "./endpoints.js";
export { configMigrationsDirectory } from "./migrations.js";
export { configToToml, parseConfigToml, parseRequirements } from "./model/index.js";
