import { randomBytes, randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";

/** Time-ordered UUIDv7, as Codex uses for thread and turn ids. */
export const newId = (): string => uuidv7();

/** Random UUIDv4 for command ids: node's pooled entropy, no clock reads (hot path: one per request). */
export const newCommandId = (): string => randomUUID();

/** Short random token for instance and connection ids (subject-safe). */
export const newToken = (bytes = 8): string => randomBytes(bytes).toString("hex");
