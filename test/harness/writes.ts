// Helpers for write-ordering checks: names carry their writer and sequence number, and the order
// in which writes were applied is read back from thread.name_changes (revision order).
import type pg from "pg";

export const writeName = (writer: string, sequence: number) => `${writer}#${sequence}`;

export function parseWriteName(name: string): { writer: string; sequence: number } | undefined {
  const match = /^(.+)#(\d+)$/.exec(name);
  return match ? { writer: match[1] as string, sequence: Number(match[2]) } : undefined;
}

export interface AppliedWrite {
  threadId: string;
  revision: number;
  name: string;
  commandId: string;
}

export async function appliedWrites(pool: pg.Pool): Promise<AppliedWrite[]> {
  const result = await pool.query<{ thread_id: string; revision: string; name: string; command_id: string }>(
    "SELECT thread_id, revision, name, command_id FROM thread.name_changes ORDER BY thread_id, revision",
  );
  return result.rows.map((row) => ({
    threadId: row.thread_id,
    revision: Number(row.revision),
    name: row.name,
    commandId: row.command_id,
  }));
}

/** Per thread and writer, sequences must rise in the order writes were applied. Returns violations. */
export function orderViolations(sequenceOfEvents: { threadId: string; name: string }[]): string[] {
  const lastSeen = new Map<string, number>();
  const violations: string[] = [];
  for (const event of sequenceOfEvents) {
    const parsed = parseWriteName(event.name);
    if (!parsed) continue;
    const key = `${event.threadId}|${parsed.writer}`;
    const previous = lastSeen.get(key) ?? -1;
    if (parsed.sequence <= previous) violations.push(`${key}: ${parsed.sequence} after ${previous}`);
    lastSeen.set(key, parsed.sequence);
  }
  return violations;
}
