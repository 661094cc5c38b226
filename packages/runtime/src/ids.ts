import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";

/** Time-ordered UUIDv7, as Codex uses for thread and turn ids. */
export const newId = (): string => uuidv7();

/** Short random token for instance and connection ids (subject-safe). */
export const newToken = (bytes = 8): string => randomBytes(bytes).toString("hex");
