// Projects, as Codex 0.171.0 keeps them: named groups of a user's threads with the folders they work
// in (`roots`, absolute paths kept normalized) and any string metadata, in an order the user chooses
// (a sidebar's project list). A thread belongs to at most one project: thread/start names it,
// thread/metadata/update moves a thread into or out of one, project/import creates a project with
// threads in it, and deleting a project leaves its threads in none. A project's `recencyAt` is the
// latest activity among its threads with content. Creation is idempotent by the client's
// `idempotencyKey`: the same key answers the project it made, and a key whose project was deleted is
// refused rather than reused. Projects are the tenant's, as its threads are.
//
// The project writes are exclusive on one key per tenant (`thread:<tenant>:projects`, no thread id
// can be that), so creations, renames, moves and deletions run in order and exactly once; a thread's
// own assignment (thread/start, thread/metadata/update) is ordered with that thread's writes, and
// Postgres keeps it consistent with a concurrent deletion (migration 0040's foreign key).
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { serdeEnum, serdeStruct, U32 } from "../serde-types.js";
import { SortDirection } from "./thread.js";

export const ProjectRoot = serdeStruct("ProjectRoot", { path: z.string() });
export type ProjectRoot = z.infer<typeof ProjectRoot>;

export const Project = z.object({
  id: z.string(),
  name: z.string(),
  roots: z.array(z.object({ path: z.string() })),
  metadata: z.record(z.string(), z.string()),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  recencyAt: z.number().int().nullable(),
});
export type Project = z.infer<typeof Project>;

export const ProjectSortKey = serdeEnum(["position", "recencyAt"]);
export type ProjectSortKey = z.infer<typeof ProjectSortKey>;

export const ProjectListParams = z.object({
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  sortKey: ProjectSortKey.nullish(),
  sortDirection: SortDirection.nullish(),
});
export type ProjectListParams = z.infer<typeof ProjectListParams>;
export const ProjectListResponse = z.object({ data: z.array(Project), nextCursor: z.string().nullable() });
export type ProjectListResponse = z.infer<typeof ProjectListResponse>;

const Metadata = z.record(z.string(), z.string());

/** In Codex's field order, which names the first missing field (probed: name, roots, then the key). */
export const ProjectCreateParams = z.object({
  name: z.string(),
  roots: z.array(ProjectRoot),
  metadata: Metadata.nullish(),
  idempotencyKey: z.string(),
});
export type ProjectCreateParams = z.infer<typeof ProjectCreateParams>;
/** project/create's params plus the threads the new project takes in (each must exist, once). */
export const ProjectImportParams = ProjectCreateParams.extend({ threads: z.array(z.string()).nullish() });
export type ProjectImportParams = z.infer<typeof ProjectImportParams>;

/** Each field: absent or null keeps it, a value replaces it. */
export const ProjectUpdateParams = z.object({
  projectId: z.string(),
  name: z.string().nullish(),
  roots: z.array(ProjectRoot).nullish(),
  metadata: Metadata.nullish(),
});
export type ProjectUpdateParams = z.infer<typeof ProjectUpdateParams>;

/** `beforeProjectId` absent or null: last. */
export const ProjectMoveParams = z.object({ projectId: z.string(), beforeProjectId: z.string().nullish() });
export type ProjectMoveParams = z.infer<typeof ProjectMoveParams>;
export const ProjectIdParams = z.object({ projectId: z.string() });
export type ProjectIdParams = z.infer<typeof ProjectIdParams>;
export const ProjectResponse = z.object({ project: Project });
export type ProjectResponse = z.infer<typeof ProjectResponse>;

export const ProjectChangeType = z.enum(["created", "updated", "deleted"]);
export const ProjectChangedNotification = z.object({ projectId: z.string(), changeType: ProjectChangeType });
export type ProjectChangedNotification = z.infer<typeof ProjectChangedNotification>;
export const ThreadProjectUpdatedNotification = z.object({ threadId: z.string(), projectId: z.string().nullable() });
export type ThreadProjectUpdatedNotification = z.infer<typeof ThreadProjectUpdatedNotification>;

export const ProjectMethod = {
  projectList: "project/list",
  projectRead: "project/read",
  projectCreate: "project/create",
  projectImport: "project/import",
  projectUpdate: "project/update",
  projectMove: "project/move",
  projectDelete: "project/delete",
} as const;

export const ProjectNotification = {
  projectChanged: "project/changed",
  threadProjectUpdated: "thread/project/updated",
} as const;

/** The one keyed-lane key of a tenant's project writes (not a UUID, so no thread's key). */
export const PROJECTS_KEY_ID = "projects";
const onTheTenantsProjects = { kind: "exclusive", family: "thread", id: () => PROJECTS_KEY_ID } as const;
// Unkeyed: reads of committed state; a connection's earlier project writes were answered (committed)
// before it could send them.
const unkeyed = { kind: "unkeyed" } as const;

const M = ProjectMethod;
// Every project method is experimental in Codex 0.171.0 (the binary gates them).
export const projectMethods = defineMethods({
  [M.projectList]: {
    owner: "thread",
    scope: unkeyed,
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: ProjectListParams,
    result: ProjectListResponse,
    summary: "Lists the tenant's projects in the user's order, or by their threads' latest activity.",
  },
  [M.projectRead]: {
    owner: "thread",
    scope: unkeyed,
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: ProjectIdParams,
    result: ProjectResponse,
    summary: "Reads one project.",
  },
  [M.projectCreate]: {
    owner: "thread",
    scope: onTheTenantsProjects,
    experimental: true,
    paramsRequired: true,
    params: ProjectCreateParams,
    result: ProjectResponse,
    summary: "Creates a project last in the order (once per idempotency key; the key's project answers again).",
  },
  [M.projectImport]: {
    owner: "thread",
    scope: onTheTenantsProjects,
    experimental: true,
    paramsRequired: true,
    params: ProjectImportParams,
    result: ProjectResponse,
    summary: "Creates a project with existing threads in it (once per idempotency key, as project/create).",
  },
  [M.projectUpdate]: {
    owner: "thread",
    scope: onTheTenantsProjects,
    experimental: true,
    paramsRequired: true,
    params: ProjectUpdateParams,
    result: ProjectResponse,
    summary: "Renames a project, or replaces its roots or its metadata.",
  },
  [M.projectMove]: {
    owner: "thread",
    scope: onTheTenantsProjects,
    experimental: true,
    paramsRequired: true,
    params: ProjectMoveParams,
    result: z.object({}),
    summary: "Moves a project before another one, or last.",
  },
  [M.projectDelete]: {
    owner: "thread",
    scope: onTheTenantsProjects,
    experimental: true,
    paramsRequired: true,
    params: ProjectIdParams,
    result: z.object({}),
    summary: "Deletes a project; its threads are left in none (each announced).",
  },
});

export const projectNotifications = defineNotifications({
  [ProjectNotification.projectChanged]: {
    params: ProjectChangedNotification,
    audience: "tenant",
    experimental: true,
    critical: false,
    summary: "A project was created, changed (renamed, re-rooted, moved) or deleted.",
  },
  [ProjectNotification.threadProjectUpdated]: {
    params: ThreadProjectUpdatedNotification,
    audience: "tenant",
    experimental: true,
    critical: false,
    summary: "A thread was put in a project or taken out of one.",
  },
});
