// The keyed scenario's correctness check. Every writer (one per websocket connection) names its
// threads `bench w<writer> s<seq>` with a sequence number increasing per (thread, writer). After the
// run the applied history is read back from Postgres: per thread and per writer the sequence numbers
// must rise in the order the writes were applied (revision order), and every acknowledged write
// must be there exactly once. Either failure fails the bench.
import type pg from "pg";

export interface AppliedWrite {
  threadId: string;
  /** Application order within the thread (thread.name_changes.revision, or the floor's serial id). */
  order: number;
  name: string;
}

export interface WriteCheck {
  applied: number;
  acknowledged: number;
  orderViolations: number;
  lost: number;
  duplicates: number;
  /** Applied although the client never saw an ack (a timeout or error reply): allowed, reported. */
  appliedWithoutAck: number;
  /** Rows no writer issued (a corrupted name): counted as failures. */
  unknown: number;
  examples: string[];
  isCorrect: boolean;
}

const NAME_PATTERN = /^bench w(\d+) s(\d+)$/;

export class NameWriteLedger {
  private readonly nextSeq = new Map<string, number>();
  private readonly acknowledged = new Set<string>();

  /** The next write `writer` makes to `threadId`, with its name. */
  issue(threadId: string, writer: number): { seq: number; name: string } {
    const stream = `${threadId}|${writer}`;
    const seq = (this.nextSeq.get(stream) ?? 0) + 1;
    this.nextSeq.set(stream, seq);
    return { seq, name: `bench w${writer} s${seq}` };
  }

  acknowledge(threadId: string, writer: number, seq: number): void {
    this.acknowledged.add(`${threadId}|${writer}|${seq}`);
  }

  get acknowledgedCount(): number {
    return this.acknowledged.size;
  }

  check(rows: AppliedWrite[]): WriteCheck {
    const sorted = [...rows].sort((a, b) => (a.threadId === b.threadId ? a.order - b.order : a.threadId < b.threadId ? -1 : 1));
    const lastSeq = new Map<string, number>();
    const seen = new Set<string>();
    const examples: string[] = [];
    const note = (text: string) => {
      if (examples.length < 10) examples.push(text);
    };
    let orderViolations = 0;
    let duplicates = 0;
    let unknown = 0;
    let appliedWithoutAck = 0;
    for (const row of sorted) {
      const match = NAME_PATTERN.exec(row.name);
      if (!match) {
        unknown++;
        note(`thread ${row.threadId} revision ${row.order}: unexpected name ${JSON.stringify(row.name)}`);
        continue;
      }
      const writer = Number(match[1]);
      const seq = Number(match[2]);
      const stream = `${row.threadId}|${writer}`;
      const write = `${stream}|${seq}`;
      if (seq > (this.nextSeq.get(stream) ?? 0)) {
        unknown++;
        note(`thread ${row.threadId}: writer ${writer} never issued seq ${seq}`);
      }
      if (seen.has(write)) {
        duplicates++;
        note(`thread ${row.threadId}: writer ${writer} seq ${seq} applied twice (revision ${row.order})`);
        continue;
      }
      seen.add(write);
      if (!this.acknowledged.has(write)) appliedWithoutAck++;
      const previous = lastSeq.get(stream) ?? 0;
      if (seq <= previous) {
        orderViolations++;
        note(`thread ${row.threadId}: writer ${writer} seq ${seq} applied after seq ${previous} (revision ${row.order})`);
      }
      lastSeq.set(stream, Math.max(previous, seq));
    }
    let lost = 0;
    for (const write of this.acknowledged) {
      if (seen.has(write)) continue;
      lost++;
      const [threadId, writer, seq] = write.split("|");
      note(`thread ${threadId}: writer ${writer} seq ${seq} was acknowledged but never applied`);
    }
    return {
      applied: rows.length,
      acknowledged: this.acknowledged.size,
      orderViolations,
      lost,
      duplicates,
      appliedWithoutAck,
      unknown,
      examples,
      isCorrect: orderViolations === 0 && lost === 0 && duplicates === 0 && unknown === 0,
    };
  }
}

/** What thread/name/set applied for a tenant: its rename history, plus a cross-check of each thread's revision. */
export async function readSetNameWrites(
  pool: pg.Pool,
  tenant: string,
): Promise<{ rows: AppliedWrite[]; revisionMismatches: string[] }> {
  const history = await pool.query<{ thread_id: string; revision: string; name: string }>(
    "SELECT thread_id, revision, name FROM thread.name_changes WHERE tenant = $1",
    [tenant],
  );
  // Each applied write bumps the thread's revision once and leaves one history row with that revision.
  const mismatches = await pool.query<{ id: string; revision: string; changes: string; last_revision: string | null }>(
    `SELECT t.id, t.revision, count(n.revision) AS changes, max(n.revision) AS last_revision
       FROM thread.threads t LEFT JOIN thread.name_changes n ON n.tenant = t.tenant AND n.thread_id = t.id
      WHERE t.tenant = $1
      GROUP BY t.tenant, t.id, t.revision
     HAVING t.revision <> count(n.revision) OR t.revision <> coalesce(max(n.revision), 0)`,
    [tenant],
  );
  return {
    rows: history.rows.map((row) => ({ threadId: row.thread_id, order: Number(row.revision), name: row.name })),
    revisionMismatches: mismatches.rows.map(
      (row) => `thread ${row.id}: revision ${row.revision} but ${row.changes} recorded changes (last ${row.last_revision})`,
    ),
  };
}

/** What the (one-INSERT) keyed floor applied, in insertion order. */
export async function readFloorWrites(pool: pg.Pool): Promise<AppliedWrite[]> {
  const result = await pool.query<{ thread_id: string; id: string; name: string }>(
    "SELECT thread_id, id, name FROM bench_floor.name_writes",
  );
  return result.rows.map((row) => ({ threadId: row.thread_id, order: Number(row.id), name: row.name }));
}
