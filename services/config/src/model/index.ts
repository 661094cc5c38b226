// The config model: Codex's layered configuration, requirements, features and lockfiles as pure
// functions over plain tables. Storage, the bus and the wire live elsewhere in the service.
export * from "./codex-config-view.js";
export * from "./errors.js";
export * from "./features.js";
export * from "./key-path.js";
export * from "./layers.js";
export * from "./lockfile.js";
export * from "./requirements.js";
export * from "./schema.js";
export * from "./toml.js";
export * from "./trust.js";
export * from "./write.js";
