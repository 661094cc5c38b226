// project/* as Codex 0.171.0 runs them (methods/projects.ts says how they are keyed; the store,
// store/project-store.ts, how projects are kept). Writes go through the ledger (`applyOnce`): a
// redelivered command changes nothing twice and announces again what its first delivery announced
// (which may have died before announcing it); a new command that changes nothing announces nothing.
// Announcements go out before the answer, as Codex sends them.
import { posix } from "node:path";
import {
  canonicalUuid,
  codexUuidError,
  Method,
  Notification,
  type Project,
  type ProjectCreateParams,
  type ProjectImportParams,
  type ProjectSortKey,
  SwitchyardError,
} from "@switchyard/protocol";
import { type HandlerContext, type HandlersFor, newId, type TenantQueryable } from "@switchyard/runtime";
import { type LifecycleStore, NO_THREAD } from "../store/lifecycle-store.js";
import { type ProjectAnchor, type ProjectStore, projectIdOf, type StoredProject } from "../store/project-store.js";
import { pageSize } from "./page-size.js";

type ProjectMethodName =
  | typeof Method.projectList
  | typeof Method.projectRead
  | typeof Method.projectCreate
  | typeof Method.projectImport
  | typeof Method.projectUpdate
  | typeof Method.projectMove
  | typeof Method.projectDelete;

// Codex's words: -32602 for the project methods' refusals; a root that is not absolute fails to
// deserialize (-32600).
const invalidParams = (message: string) => new SwitchyardError({ reason: "invalidParams", message });
export const projectNotFound = (projectId: string) => `project not found: ${projectId}`;
const INVALID_CURSOR = "invalid project cursor: malformed or mismatched sort anchor";

/** A project name as Codex keeps it: trimmed, and not empty. */
function projectName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw invalidParams("project name must not be empty");
  return trimmed;
}

/** Roots as Codex keeps them: absolute, normalized (`.`, `..`, doubled and trailing slashes), each once. */
export function projectRoots(roots: { path: string }[]): { path: string }[] {
  const seen = new Set<string>();
  return roots.map(({ path }) => {
    if (!path.startsWith("/")) {
      throw new SwitchyardError({ reason: "invalidRequest", detail: "AbsolutePathBuf deserialized without a base path" });
    }
    const normalized = posix.normalize(path);
    const kept = normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
    if (seen.has(kept)) throw invalidParams(`duplicate project root: ${kept}`);
    seen.add(kept);
    return { path: kept };
  });
}

/** Metadata with its keys in byte order (Codex keeps it in a sorted map and answers it so). */
export function sortedMetadata(metadata: Record<string, string> | null | undefined): Record<string, string> {
  const entries = Object.entries(metadata ?? {});
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(entries);
}

/** A cursor for the page after `last`: its position, or (versioned) its sort, direction and recency. */
function cursorAfter(last: StoredProject, sortKey: ProjectSortKey, direction: "asc" | "desc"): string {
  if (sortKey === "position") return `${last.position}|${last.project.id}`;
  return `v1|recencyAt|${direction}|${last.recencyMs ?? "null"}|${last.project.id}`;
}

function anchorOf(cursor: string, sortKey: ProjectSortKey, direction: "asc" | "desc"): ProjectAnchor {
  const invalid = () => invalidParams(INVALID_CURSOR);
  const parts = cursor.split("|");
  const id = parts[parts.length - 1] ?? "";
  if (!isUuid(id)) throw invalid();
  if (sortKey === "position") {
    const [position] = parts;
    if (parts.length !== 2 || !/^\d+$/.test(position as string)) throw invalid();
    return { sortKey, position: Number(position), id };
  }
  const [version, key, given, recency] = parts;
  if (parts.length !== 5 || version !== "v1" || key !== "recencyAt" || given !== direction) throw invalid();
  if (recency !== "null" && !/^-?\d+$/.test(recency as string)) throw invalid();
  return { sortKey, recencyMs: recency === "null" ? null : Number(recency), id };
}

/** What a project write announces, kept with its answer in the ledger (so a redelivery announces it again). */
interface Announced<T> {
  answer: T;
  changed: { projectId: string; changeType: "created" | "updated" | "deleted" } | null;
  threads: { threadId: string; projectId: string | null }[];
}

export function projectHandlers(
  lifecycle: LifecycleStore,
  projects: ProjectStore,
): Pick<HandlersFor<"thread">, ProjectMethodName> {
  const tenantOf = (context: HandlerContext) => context.request.caller.tenant;
  const command = (context: HandlerContext) => ({
    commandId: context.request.commandId,
    method: context.request.method,
    threadId: NO_THREAD,
  });

  /** Runs a project write once and announces what it changed (again on a redelivery); its answer. */
  async function write<T>(context: HandlerContext, apply: (tx: TenantQueryable) => Promise<Announced<T>>): Promise<T> {
    const tenant = tenantOf(context);
    const { result } = await lifecycle.applyOnce(tenant, command(context), apply);
    if (result.changed) context.events.emit(Notification.projectChanged, result.changed, { tenant });
    for (const thread of result.threads) context.events.emit(Notification.threadProjectUpdated, thread, { tenant });
    return result.answer;
  }

  /** project/create and project/import: a new project (last), or the one its idempotency key made. */
  async function create(params: ProjectImportParams | ProjectCreateParams, context: HandlerContext) {
    if (params.idempotencyKey.trim().length === 0) throw invalidParams("idempotencyKey must not be empty");
    const fields = {
      name: projectName(params.name),
      roots: projectRoots(params.roots),
      metadata: sortedMetadata(params.metadata),
    };
    const threadIds = "threads" in params && params.threads ? importedThreadIds(params.threads) : [];
    const tenant = tenantOf(context);
    return write<{ project: Project }>(context, async (tx) => {
      const owner = await projects.keyOwner(tx, tenant, params.idempotencyKey);
      if (owner !== undefined) {
        const existing = await projects.read(tenant, owner, { tx });
        if (!existing) throw invalidParams(`idempotency key refers to deleted project: ${params.idempotencyKey}`);
        return { answer: { project: existing.project }, changed: null, threads: [] };
      }
      const found = await projects.existingThreads(tx, tenant, threadIds.filter(isUuid));
      const missing = threadIds.find((id) => !found.has(id));
      if (missing !== undefined) throw invalidParams(`thread not found: ${missing}`);
      const id = newId();
      await projects.create(tx, tenant, { id, idempotencyKey: params.idempotencyKey, ...fields });
      await projects.assign(tx, tenant, id, threadIds);
      lifecycle.changes.mark(tx, threadIds);
      // Read after the threads joined it: an imported project has their recency.
      const created = (await projects.read(tenant, id, { tx })) as StoredProject;
      return {
        answer: { project: created.project },
        changed: { projectId: id, changeType: "created" },
        threads: threadIds.map((threadId) => ({ threadId, projectId: id })),
      };
    });
  }

  /**
   * The project `text` names, or Codex's refusal when it names none of the tenant's; `lock` holds it
   * for the rest of the transaction (a deletion's: no thread joins it meanwhile). The project writes
   * themselves need no lock: they are serialized by their key.
   */
  async function projectNamed(tx: TenantQueryable, tenant: string, text: string, lock = false) {
    const id = projectIdOf(text);
    const found = id === undefined ? undefined : await projects.read(tenant, id, { tx, lock });
    if (!found) throw invalidParams(projectNotFound(text));
    return found;
  }

  return {
    async [Method.projectList](params, context) {
      if (params.sortDirection != null && params.sortKey == null) throw invalidParams("sortDirection requires sortKey");
      const sortKey = params.sortKey ?? "position";
      const direction = params.sortDirection ?? (sortKey === "position" ? "asc" : "desc");
      const anchor = params.cursor ? anchorOf(params.cursor, sortKey, direction) : null;
      const tenant = tenantOf(context);
      const limit = pageSize(params.limit);
      const page = await projects.list(tenant, { sortKey, direction, anchor, limit: limit + 1 });
      const data = page.slice(0, limit);
      const last = data[data.length - 1];
      return {
        data: data.map((stored) => stored.project),
        nextCursor: page.length > limit && last ? cursorAfter(last, sortKey, direction) : null,
      };
    },

    async [Method.projectRead](params, context) {
      const id = projectIdOf(params.projectId);
      const found = id === undefined ? undefined : await projects.read(tenantOf(context), id);
      if (!found) throw invalidParams(projectNotFound(params.projectId));
      return { project: found.project };
    },

    [Method.projectCreate]: create,
    [Method.projectImport]: create,

    async [Method.projectUpdate](params, context) {
      const name = params.name == null ? undefined : projectName(params.name);
      const roots = params.roots == null ? undefined : projectRoots(params.roots);
      const metadata = params.metadata == null ? undefined : sortedMetadata(params.metadata);
      const tenant = tenantOf(context);
      return write<{ project: Project }>(context, async (tx) => {
        const current = await projectNamed(tx, tenant, params.projectId);
        const next = {
          name: name ?? current.project.name,
          roots: roots ?? current.project.roots,
          metadata: metadata ?? current.project.metadata,
        };
        const { project } = current;
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        if (next.name === project.name && same(next.roots, project.roots) && same(next.metadata, project.metadata)) {
          return { answer: { project }, changed: null, threads: [] };
        }
        const updated = await projects.update(tx, tenant, project.id, next);
        return { answer: { project: updated.project }, changed: { projectId: project.id, changeType: "updated" }, threads: [] };
      });
    },

    async [Method.projectMove](params, context) {
      const { projectId } = params;
      const before = params.beforeProjectId ?? null;
      const tenant = tenantOf(context);
      return write<Record<string, never>>(context, async (tx) => {
        const order = await projects.order(tx, tenant);
        // Codex 0.171.0's order: the project, then where it goes.
        if (!order.includes(projectId)) throw invalidParams(projectNotFound(projectId));
        if (before === projectId) throw invalidParams(`project ${projectId} cannot be moved before itself`);
        if (before !== null && !order.includes(before)) throw invalidParams(`before project not found: ${before}`);
        const rest = order.filter((id) => id !== projectId);
        const at = before === null ? rest.length : rest.indexOf(before);
        const next = [...rest.slice(0, at), projectId, ...rest.slice(at)];
        // Already there: nothing changes and nothing is announced.
        if (next.every((id, index) => id === order[index])) return { answer: {}, changed: null, threads: [] };
        await projects.reorder(tx, tenant, next, projectId);
        return { answer: {}, changed: { projectId, changeType: "updated" }, threads: [] };
      });
    },

    async [Method.projectDelete](params, context) {
      const tenant = tenantOf(context);
      return write<Record<string, never>>(context, async (tx) => {
        const { project } = await projectNamed(tx, tenant, params.projectId, true);
        const threads = await projects.delete(tx, tenant, project.id);
        lifecycle.changes.mark(
          tx,
          threads.map((thread) => thread.id),
        );
        return {
          answer: {},
          changed: { projectId: project.id, changeType: "deleted" },
          threads: threads.filter((thread) => thread.hasContent).map((thread) => ({ threadId: thread.id, projectId: null })),
        };
      });
    },
  };
}

const isUuid = (text: string) => codexUuidError(text) === undefined;

/** project/import's threads by their canonical ids, each once (Codex refuses a repeated one). */
function importedThreadIds(threads: string[]): string[] {
  const seen = new Set<string>();
  return threads.map((text) => {
    const id = isUuid(text) ? canonicalUuid(text) : text;
    if (seen.has(id)) throw invalidParams(`duplicate thread id: ${text}`);
    seen.add(id);
    return id;
  });
}
