// Projects in Postgres (migration 0040): the tenant's projects in their order, the idempotency keys
// they were created under (kept after a deletion), and each thread's project (threads.project_id,
// which a foreign key holds to an existing project). A project's recencyAt is read with it: the
// latest recency of its threads with content (a thread's recency is its creation until it has some).
import type { Project, ProjectSortKey } from "@switchyard/protocol";
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";

interface ProjectRow {
  id: string;
  name: string;
  roots: { path: string }[];
  metadata: Record<string, string>;
  /** bigint columns arrive as text. */
  position: string;
  created_s: string;
  updated_s: string;
  /** Milliseconds since the epoch; null while none of its threads has content. */
  recency_ms: string | null;
}

/** Where a page of project/list starts: after the project a cursor names, as it was sorted. */
export type ProjectAnchor =
  | { sortKey: "position"; position: number; id: string }
  | { sortKey: "recencyAt"; recencyMs: number | null; id: string };

/** A project's own fields, normalized by the caller (names trimmed, roots normalized, metadata keys sorted). */
export interface ProjectChanges {
  name: string;
  roots: { path: string }[];
  metadata: Record<string, string>;
}

/** What project/create and project/import store. */
export interface NewProject extends ProjectChanges {
  id: string;
  idempotencyKey: string;
}

/** A project as it is stored, and its place and recency (what list cursors are made of). */
export interface StoredProject {
  project: Project;
  position: number;
  recencyMs: number | null;
}

/** A thread was to be put in a project that no longer exists (the foreign key of migration 0040 refused it). */
export const isProjectGone = (error: unknown): boolean =>
  (error as { code?: string; constraint?: string } | null)?.code === "23503" &&
  (error as { constraint?: string }).constraint === "threads_project_fk";

const PROJECT_COLUMNS = `p.id, p.name, p.roots, p.metadata, p.position,
  floor(extract(epoch FROM p.created_at))::bigint AS created_s, floor(extract(epoch FROM p.updated_at))::bigint AS updated_s,
  (SELECT floor(extract(epoch FROM max(coalesce(t.recency_at, t.created_at))) * 1000)::bigint
     FROM thread.threads AS t
    WHERE t.tenant = p.tenant AND t.project_id = p.id AND t.materialized_at IS NOT NULL) AS recency_ms`;

function stored(row: ProjectRow): StoredProject {
  const recencyMs = row.recency_ms === null ? null : Number(row.recency_ms);
  return {
    project: {
      id: row.id,
      name: row.name,
      roots: row.roots,
      metadata: row.metadata,
      createdAt: Number(row.created_s),
      updatedAt: Number(row.updated_s),
      recencyAt: recencyMs === null ? null : Math.floor(recencyMs / 1000),
    },
    position: Number(row.position),
    recencyMs,
  };
}

/**
 * The order of each sort (`direction` flips every part but the empty-last one): by position, or by
 * recency with projects without any (no thread with content) last either way; the id breaks ties.
 */
const ORDER: Record<ProjectSortKey, (direction: "ASC" | "DESC") => string> = {
  position: (direction) => `position ${direction}, id COLLATE "C" ${direction}`,
  recencyAt: (direction) => `(recency_ms IS NULL), recency_ms ${direction}, id COLLATE "C" ${direction}`,
};

const PROJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The project a client's text names: only a project id's own spelling names it (as Codex matches ids). */
export const projectIdOf = (text: string): string | undefined => (PROJECT_ID.test(text) ? text : undefined);

export class ProjectStore {
  constructor(private readonly db: TenantDb) {}

  /** The id of the tenant's project `text` names, or undefined when it names none of the tenant's. */
  async named(tenant: string, text: string): Promise<string | undefined> {
    const id = projectIdOf(text);
    if (id === undefined) return undefined;
    // An existence check by primary key: the project's recency (a scan of its threads) is not needed.
    const found = await this.db.query(tenant, "project exists", "SELECT 1 FROM thread.projects WHERE tenant = $1 AND id = $2", [
      tenant,
      id,
    ]);
    return found.rows.length > 0 ? id : undefined;
  }

  /** One page of the tenant's projects in `sortKey` order, after `anchor`; `limit` rows at most. */
  async list(
    tenant: string,
    page: { sortKey: ProjectSortKey; direction: "asc" | "desc"; anchor: ProjectAnchor | null; limit: number },
  ): Promise<StoredProject[]> {
    const direction = page.direction === "asc" ? "ASC" : "DESC";
    const after = page.direction === "asc" ? ">" : "<";
    const params: unknown[] = [tenant, page.limit];
    let where = "true";
    const { anchor } = page;
    if (anchor?.sortKey === "position") {
      params.push(anchor.position, anchor.id);
      where = `(position, id COLLATE "C") ${after} ($3, $4::text COLLATE "C")`;
    } else if (anchor?.sortKey === "recencyAt") {
      params.push(anchor.recencyMs, anchor.id);
      // Rows with a recency come before those without one, in either direction.
      where =
        anchor.recencyMs === null
          ? `$3::bigint IS NULL AND recency_ms IS NULL AND id COLLATE "C" ${after} $4::text COLLATE "C"`
          : `(recency_ms IS NULL OR (recency_ms, id COLLATE "C") ${after} ($3::bigint, $4::text COLLATE "C"))`;
    }
    const result = await this.db.query<ProjectRow>(
      tenant,
      "list projects",
      `SELECT * FROM (SELECT ${PROJECT_COLUMNS} FROM thread.projects AS p WHERE p.tenant = $1) AS listed
        WHERE ${where}
        ORDER BY ${ORDER[page.sortKey](direction)}
        LIMIT $2`,
      params,
    );
    return result.rows.map(stored);
  }

  /**
   * The project, or undefined: in `tx` when given, and then `lock` holds it until the transaction
   * ends (against its deletion, and against threads being put in it).
   */
  async read(
    tenant: string,
    projectId: string,
    { tx, lock = false }: { tx?: TenantQueryable; lock?: boolean } = {},
  ): Promise<StoredProject | undefined> {
    const sql = `SELECT ${PROJECT_COLUMNS} FROM thread.projects AS p WHERE p.tenant = $1 AND p.id = $2${lock ? " FOR UPDATE OF p" : ""}`;
    const result = tx
      ? await tx.query<ProjectRow>("read project", sql, [tenant, projectId])
      : await this.db.query<ProjectRow>(tenant, "read project", sql, [tenant, projectId]);
    const row = result.rows[0];
    return row && stored(row);
  }

  /** The project an idempotency key was used for (deleted or not), or undefined for a new key. */
  async keyOwner(tx: TenantQueryable, tenant: string, idempotencyKey: string): Promise<string | undefined> {
    const result = await tx.query<{ project_id: string }>(
      "project key",
      "SELECT project_id FROM thread.project_keys WHERE tenant = $1 AND idempotency_key = $2",
      [tenant, idempotencyKey],
    );
    return result.rows[0]?.project_id;
  }

  /** Stores a new project last in the tenant's order, with its idempotency key. */
  async create(tx: TenantQueryable, tenant: string, project: NewProject): Promise<StoredProject> {
    await tx.query(
      "project key insert",
      "INSERT INTO thread.project_keys (tenant, idempotency_key, project_id) VALUES ($1, $2, $3)",
      [tenant, project.idempotencyKey, project.id],
    );
    await tx.query(
      "create project",
      `INSERT INTO thread.projects (tenant, id, name, roots, metadata, position)
       SELECT $1, $2, $3, $4::json, $5::json, coalesce(max(position) + 1, 0) FROM thread.projects WHERE tenant = $1`,
      [tenant, project.id, project.name, JSON.stringify(project.roots), JSON.stringify(project.metadata)],
    );
    return (await this.read(tenant, project.id, { tx })) as StoredProject;
  }

  async update(tx: TenantQueryable, tenant: string, projectId: string, changes: ProjectChanges): Promise<StoredProject> {
    await tx.query(
      "update project",
      "UPDATE thread.projects SET name = $3, roots = $4::json, metadata = $5::json, updated_at = now() WHERE tenant = $1 AND id = $2",
      [tenant, projectId, changes.name, JSON.stringify(changes.roots), JSON.stringify(changes.metadata)],
    );
    return (await this.read(tenant, projectId, { tx })) as StoredProject;
  }

  /** The tenant's project ids in their order. */
  async order(tx: TenantQueryable, tenant: string): Promise<string[]> {
    const result = await tx.query<{ id: string }>(
      "project order",
      'SELECT id FROM thread.projects WHERE tenant = $1 ORDER BY position, id COLLATE "C"',
      [tenant],
    );
    return result.rows.map((row) => row.id);
  }

  /** Numbers the tenant's projects 0, 1, … in `ids`' order; `moved` counts as changed (its updatedAt). */
  async reorder(tx: TenantQueryable, tenant: string, ids: string[], moved: string): Promise<void> {
    await tx.query(
      "reorder projects",
      `UPDATE thread.projects AS p
          SET position = o.ordinality - 1, updated_at = CASE WHEN p.id = $3 THEN now() ELSE p.updated_at END
         FROM unnest($2::text[]) WITH ORDINALITY AS o(id, ordinality)
        WHERE p.tenant = $1 AND p.id = o.id`,
      [tenant, ids, moved],
    );
  }

  /**
   * Takes the project's threads out of it and deletes it (locked by `read` first). Returns the
   * threads it had, in id order (creation order), and which of them have content: Codex keeps a
   * thread's project only once the thread is stored, so only those are announced leaving it.
   */
  async delete(tx: TenantQueryable, tenant: string, projectId: string): Promise<{ id: string; hasContent: boolean }[]> {
    const threads = await tx.query<{ id: string; has_content: boolean }>(
      "leave deleted project",
      `UPDATE thread.threads SET project_id = NULL WHERE tenant = $1 AND project_id = $2
       RETURNING id::text, materialized_at IS NOT NULL AS has_content`,
      [tenant, projectId],
    );
    await tx.query("delete project", "DELETE FROM thread.projects WHERE tenant = $1 AND id = $2", [tenant, projectId]);
    return threads.rows
      .map((row) => ({ id: row.id, hasContent: row.has_content }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Which of `threadIds` (UUIDs) are threads of the tenant. */
  async existingThreads(tx: TenantQueryable, tenant: string, threadIds: string[]): Promise<Set<string>> {
    const result = await tx.query<{ id: string }>(
      "threads exist",
      "SELECT id::text FROM thread.threads WHERE tenant = $1 AND id = ANY($2::uuid[])",
      [tenant, threadIds],
    );
    return new Set(result.rows.map((row) => row.id));
  }

  /** Puts the threads in the project. */
  async assign(tx: TenantQueryable, tenant: string, projectId: string, threadIds: string[]): Promise<void> {
    await tx.query("assign project", "UPDATE thread.threads SET project_id = $2 WHERE tenant = $1 AND id = ANY($3::uuid[])", [
      tenant,
      projectId,
      threadIds,
    ]);
  }
}
