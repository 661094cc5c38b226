// Thread attachments in Postgres (migration 0037): one row per (thread, type, identity key), its
// payload as given (JSON null too). A thread's attachments are paged by (createdAt in seconds, id),
// as Codex pages them; their owners by thread id.
import type { ThreadAttachment } from "@switchyard/protocol";
import { newId, type TenantDb, type TenantQueryable } from "@switchyard/runtime";

interface AttachmentRow {
  id: string;
  attachment_type: string;
  identity_key: string;
  payload: unknown;
  created_at_seconds: string;
}

const COLUMNS =
  "id::text, attachment_type, identity_key, payload, floor(extract(epoch FROM created_at))::bigint AS created_at_seconds";

const view = (row: AttachmentRow): ThreadAttachment => ({
  id: row.id,
  attachmentType: row.attachment_type,
  identityKey: row.identity_key,
  payload: row.payload,
  createdAt: Number(row.created_at_seconds),
});

/** Where a page of a thread's attachments starts: after this one. */
export interface AttachmentPosition {
  createdAt: number;
  id: string;
}

export class AttachmentStore {
  constructor(private readonly db: TenantDb) {}

  /** `limit` attachments of the thread after `after`, oldest first (none for a thread it does not know). */
  async list(tenant: string, threadId: string, after: AttachmentPosition | null, limit: number): Promise<ThreadAttachment[]> {
    const result = await this.db.query<AttachmentRow>(
      tenant,
      "list attachments",
      `SELECT ${COLUMNS} FROM thread.attachments
        WHERE tenant = $1 AND thread_id = $2
          AND ($3::bigint IS NULL OR (floor(extract(epoch FROM created_at))::bigint, id) > ($3::bigint, $4::uuid))
        ORDER BY floor(extract(epoch FROM created_at)), id
        LIMIT $5`,
      [tenant, threadId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return result.rows.map(view);
  }

  /** `limit` threads holding an attachment with this identity, after `afterThreadId`, by thread id. */
  async owners(
    tenant: string,
    identity: { attachmentType: string; identityKey: string },
    archived: boolean | null,
    afterThreadId: string | null,
    limit: number,
  ): Promise<{ threadId: string; archived: boolean }[]> {
    const result = await this.db.query<{ thread_id: string; archived: boolean }>(
      tenant,
      "attachment owners",
      `SELECT a.thread_id::text AS thread_id, t.archived_at IS NOT NULL AS archived
         FROM thread.attachments AS a JOIN thread.threads AS t ON t.tenant = a.tenant AND t.id = a.thread_id
        WHERE a.tenant = $1 AND a.attachment_type = $2 AND a.identity_key = $3
          AND ($4::boolean IS NULL OR (t.archived_at IS NOT NULL) = $4)
          AND ($5::uuid IS NULL OR a.thread_id > $5::uuid)
        ORDER BY a.thread_id
        LIMIT $6`,
      [tenant, identity.attachmentType, identity.identityKey, archived, afterThreadId, limit],
    );
    return result.rows.map((row) => ({ threadId: row.thread_id, archived: row.archived }));
  }

  /** Whether the thread can hold attachments: it exists here, has a rollout in Codex's terms (anything recorded) and is not ephemeral. */
  async canHold(tx: TenantQueryable, tenant: string, threadId: string): Promise<boolean> {
    const result = await tx.query<{ id: string }>(
      "attachment owner",
      `SELECT id FROM thread.threads
        WHERE tenant = $1 AND id = $2 AND NOT is_ephemeral AND (has_read_state OR archived_at IS NOT NULL)`,
      [tenant, threadId],
    );
    return result.rows.length > 0;
  }

  /** Files the attachment, or finds the one with its type and key already there (left as it is). */
  async add(
    tx: TenantQueryable,
    tenant: string,
    threadId: string,
    attachment: { attachmentType: string; identityKey: string; payload: unknown },
  ): Promise<{ outcome: "created" | "existing"; attachment: ThreadAttachment }> {
    const inserted = await tx.query<AttachmentRow>(
      "add attachment",
      `INSERT INTO thread.attachments (tenant, thread_id, id, attachment_type, identity_key, payload)
       VALUES ($1, $2, $3, $4, $5, $6::json)
       ON CONFLICT (tenant, thread_id, attachment_type, identity_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenant, threadId, newId(), attachment.attachmentType, attachment.identityKey, JSON.stringify(attachment.payload)],
    );
    if (inserted.rows[0]) return { outcome: "created", attachment: view(inserted.rows[0]) };
    const existing = await tx.query<AttachmentRow>(
      "existing attachment",
      `SELECT ${COLUMNS} FROM thread.attachments WHERE tenant = $1 AND thread_id = $2 AND attachment_type = $3 AND identity_key = $4`,
      [tenant, threadId, attachment.attachmentType, attachment.identityKey],
    );
    return { outcome: "existing", attachment: view(existing.rows[0] as AttachmentRow) };
  }

  /** Removes the attachment with this type and key; its id, or null when there was none. */
  async remove(
    tx: TenantQueryable,
    tenant: string,
    threadId: string,
    identity: { attachmentType: string; identityKey: string },
  ): Promise<string | null> {
    const result = await tx.query<{ id: string }>(
      "remove attachment",
      `DELETE FROM thread.attachments WHERE tenant = $1 AND thread_id = $2 AND attachment_type = $3 AND identity_key = $4
       RETURNING id::text`,
      [tenant, threadId, identity.attachmentType, identity.identityKey],
    );
    return result.rows[0]?.id ?? null;
  }

  /** A fork's copies of its source's attachments: new ids, filed now, payloads as they are. */
  async copy(tx: TenantQueryable, tenant: string, fromThreadId: string, toThreadId: string): Promise<void> {
    const source = await tx.query<{ id: string }>(
      "attachments to copy",
      "SELECT id::text FROM thread.attachments WHERE tenant = $1 AND thread_id = $2 ORDER BY created_at, id",
      [tenant, fromThreadId],
    );
    if (source.rows.length === 0) return;
    await tx.query(
      "copy attachments",
      `INSERT INTO thread.attachments (tenant, thread_id, id, attachment_type, identity_key, payload)
       SELECT a.tenant, $3, copy.new_id, a.attachment_type, a.identity_key, a.payload
         FROM unnest($4::uuid[], $5::uuid[]) AS copy(old_id, new_id)
         JOIN thread.attachments AS a ON a.tenant = $1 AND a.thread_id = $2 AND a.id = copy.old_id`,
      [tenant, fromThreadId, toThreadId, source.rows.map((row) => row.id), source.rows.map(() => newId())],
    );
  }
}
