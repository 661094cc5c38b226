// Thread sections in Postgres (migration 0036): the tenant's sections, and each thread's place in
// one. The built-in Pinned section is not stored (every tenant has it, under Codex's fixed id). A
// thread in a section carries the section's view, which a rename rewrites and a delete clears, so
// thread/read and thread/list show it without a join. Section writes and moves into a section hold
// that section's transaction lock (`lockSection`): a move never lands in a section being deleted, and
// never reads a name a rename is replacing; moves into one section take positions one at a time.
import { PINNED_SECTION_ID, PINNED_SECTION_NAME, type ThreadSection, type ThreadSectionAppearance } from "@switchyard/protocol";
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";

/** A new last thread goes this far after the section's last one (Codex's spacing). */
export const POSITION_STEP = 1_000_000;

interface SectionRow {
  id: string;
  name: string;
  appearance: ThreadSection["appearance"];
}

/** A section as the wire shows it: appearance's fields always both present, icon first (as Codex). */
export function sectionView(row: SectionRow): ThreadSection {
  return {
    id: row.id,
    name: row.name,
    appearance: row.appearance ? { icon: row.appearance.icon ?? null, color: row.appearance.color ?? null } : null,
  };
}

/** An appearance as it is stored: both fields, null for one not given (unknown fields dropped). */
export function storedAppearance(appearance: ThreadSectionAppearance | null | undefined): ThreadSection["appearance"] {
  return appearance ? { icon: appearance.icon ?? null, color: appearance.color ?? null } : null;
}

const SECTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * The section a client's text names: Codex matches section ids as given, so only the id's own
 * spelling (lower-case, hyphenated) names it; undefined for any other text.
 */
export const sectionIdOf = (text: string): string | undefined => (SECTION_ID.test(text) ? text : undefined);

export const PINNED_SECTION: ThreadSection = { id: PINNED_SECTION_ID, name: PINNED_SECTION_NAME, appearance: null };

export class SectionStore {
  constructor(private readonly db: TenantDb) {}

  /**
   * One page of the tenant's sections in id order (creation order; Pinned's id sorts first), after
   * `cursor` (compared as text, as Codex compares it); `limit` + 1 are read to know if more follow.
   */
  async list(tenant: string, cursor: string | null, limit: number): Promise<ThreadSection[]> {
    const result = await this.db.query<SectionRow>(
      tenant,
      "list sections",
      `SELECT id, name, appearance FROM (
         SELECT $2::text AS id, $3::text AS name, NULL::jsonb AS appearance
         UNION ALL
         SELECT id::text, name, appearance FROM thread.sections WHERE tenant = $1
       ) AS s
       WHERE $4::text IS NULL OR s.id > $4::text COLLATE "C"
       ORDER BY s.id COLLATE "C"
       LIMIT $5`,
      [tenant, PINNED_SECTION_ID, PINNED_SECTION_NAME, cursor, limit],
    );
    return result.rows.map(sectionView);
  }

  /** Serializes the writes to one section (and moves into it) until the transaction ends. */
  async lockSection(tx: TenantQueryable, tenant: string, sectionId: string): Promise<void> {
    await tx.query("lock section", "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/section/' || $2, 0))", [
      tenant,
      sectionId,
    ]);
  }

  /** The section (Pinned included), or undefined; `sectionId` must be a UUID. */
  async find(tx: TenantQueryable, tenant: string, sectionId: string): Promise<ThreadSection | undefined> {
    if (sectionId === PINNED_SECTION_ID) return PINNED_SECTION;
    const result = await tx.query<SectionRow>(
      "find section",
      "SELECT id::text, name, appearance FROM thread.sections WHERE tenant = $1 AND id = $2",
      [tenant, sectionId],
    );
    const row = result.rows[0];
    return row && sectionView(row);
  }

  async create(tx: TenantQueryable, tenant: string, section: ThreadSection): Promise<void> {
    await tx.query("create section", "INSERT INTO thread.sections (tenant, id, name, appearance) VALUES ($1, $2, $3, $4)", [
      tenant,
      section.id,
      section.name,
      section.appearance === null ? null : JSON.stringify(section.appearance),
    ]);
  }

  /**
   * Renames the section and sets its appearance (`keepAppearance`: leaves it as it is), and rewrites
   * the view its threads carry; undefined when there is no such section. Returns the threads changed.
   */
  async update(
    tx: TenantQueryable,
    tenant: string,
    sectionId: string,
    name: string,
    appearance: ThreadSection["appearance"],
    keepAppearance: boolean,
  ): Promise<{ section: ThreadSection; threadIds: string[] } | undefined> {
    const updated = await tx.query<SectionRow>(
      "update section",
      `UPDATE thread.sections SET name = $3, appearance = CASE WHEN $5 THEN appearance ELSE $4::jsonb END
        WHERE tenant = $1 AND id = $2 RETURNING id::text, name, appearance`,
      [tenant, sectionId, name, appearance === null ? null : JSON.stringify(appearance), keepAppearance],
    );
    const row = updated.rows[0];
    if (!row) return undefined;
    const section = sectionView(row);
    const threads = await tx.query<{ id: string }>(
      "rewrite section view",
      "UPDATE thread.threads SET section = $3 WHERE tenant = $1 AND section_id = $2 RETURNING id",
      [tenant, sectionId, JSON.stringify(section)],
    );
    return { section, threadIds: threads.rows.map((thread) => thread.id) };
  }

  /** Deletes the section and takes its threads out of it; undefined when there is no such section. */
  async delete(tx: TenantQueryable, tenant: string, sectionId: string): Promise<string[] | undefined> {
    const deleted = await tx.query("delete section", "DELETE FROM thread.sections WHERE tenant = $1 AND id = $2", [
      tenant,
      sectionId,
    ]);
    if (deleted.rowCount === 0) return undefined;
    const threads = await tx.query<{ id: string }>(
      "leave deleted section",
      `UPDATE thread.threads SET section_id = NULL, section = NULL, section_position = NULL, section_entered_at = NULL
        WHERE tenant = $1 AND section_id = $2 RETURNING id`,
      [tenant, sectionId],
    );
    return threads.rows.map((thread) => thread.id);
  }

  /** The position of `threadId` in the section, or undefined when it is not in it. */
  async positionOf(tx: TenantQueryable, tenant: string, sectionId: string, threadId: string): Promise<number | undefined> {
    const result = await tx.query<{ section_position: string }>(
      "section position",
      "SELECT section_position FROM thread.threads WHERE tenant = $1 AND id = $2 AND section_id = $3",
      [tenant, threadId, sectionId],
    );
    const row = result.rows[0];
    return row ? Number(row.section_position) : undefined;
  }

  /**
   * Where `threadId` goes in the section, as Codex places it: last (the section's last position plus
   * POSITION_STEP), or halfway between `before` and the thread ahead of it (0 for none). When no
   * whole position is left between them, the section's other threads are renumbered a step apart
   * first, in their order.
   */
  async place(
    tx: TenantQueryable,
    tenant: string,
    sectionId: string,
    threadId: string,
    before: { threadId: string; position: number } | null,
  ): Promise<number> {
    if (!before) {
      const last = await tx.query<{ last: string }>(
        "last section position",
        "SELECT coalesce(max(section_position), 0) AS last FROM thread.threads WHERE tenant = $1 AND section_id = $2",
        [tenant, sectionId],
      );
      return Number(last.rows[0]?.last ?? 0) + POSITION_STEP;
    }
    const ahead = async (beforePosition: number) => {
      const result = await tx.query<{ ahead: string }>(
        "section position ahead",
        `SELECT coalesce(max(section_position), 0) AS ahead FROM thread.threads
          WHERE tenant = $1 AND section_id = $2 AND section_position < $3 AND id <> $4`,
        [tenant, sectionId, beforePosition, threadId],
      );
      return Number(result.rows[0]?.ahead ?? 0);
    };
    const low = await ahead(before.position);
    if (before.position - low >= 2) return low + Math.floor((before.position - low) / 2);
    // Positions are shown nowhere but in thread/list's order (and its cursors): nothing to announce.
    const renumbered = await tx.query<{ id: string; section_position: string }>(
      "renumber section",
      `UPDATE thread.threads AS t SET section_position = ordered.rank * $4
         FROM (SELECT id, row_number() OVER (ORDER BY section_position, id) AS rank
                 FROM thread.threads WHERE tenant = $1 AND section_id = $2 AND id <> $3) AS ordered
        WHERE t.tenant = $1 AND t.id = ordered.id
        RETURNING t.id, t.section_position`,
      [tenant, sectionId, threadId, POSITION_STEP],
    );
    const beforePosition = Number(renumbered.rows.find((row) => row.id === before.threadId)?.section_position);
    const newLow = await ahead(beforePosition);
    return newLow + Math.floor((beforePosition - newLow) / 2);
  }
}
