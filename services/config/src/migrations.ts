import { fileURLToPath } from "node:url";

export const configMigrationsDirectory = fileURLToPath(new URL("../migrations", import.meta.url));
