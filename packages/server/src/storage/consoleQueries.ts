import { mapDriverError, type Row, type SqlExecutor } from "./driver.js";
import { toGroup } from "./rows.js";
import type { GroupRecord, MessageKind } from "./types.js";

/**
 * Read-only queries of the operator console (packages/server/src/console/): every group with its
 * member count, and a group's commit timeline with the size of each message. Plain SQL that runs
 * the same on PGlite and PostgreSQL (count(*) and octet_length are cast to int, BIGINT columns
 * come back as numbers from both drivers).
 */

/** A group as the console lists it: its record without ids, policy or message counter. */
export type ConsoleGroupRow = Omit<
  GroupRecord,
  "tGroupId" | "pqGroupId" | "policy" | "messagesSinceCommit"
> & { readonly members: number };

export interface TimelineEntry {
  readonly seq: number;
  readonly kind: MessageKind;
  readonly tEpoch: number;
  readonly pqEpoch: number;
  /** clientId of the poster. */
  readonly sender: string | null;
  /** Size of the stored message (a FULL commit: the whole APQMessagePair). */
  readonly bytes: number;
  /** Size of the Welcome pair stored with it, while it waits for its joiners (else 0). */
  readonly welcomeBytes: number;
  readonly createdAt: number;
}

export interface KindTotal {
  readonly kind: MessageKind;
  readonly count: number;
  readonly bytes: number;
}

const COMMITS = "('full-commit', 'partial-commit', 'external-join')";

async function q<T extends Row>(db: SqlExecutor, sql: string, params: readonly unknown[]) {
  try {
    return await db.query<T>(sql, params);
  } catch (e) {
    return mapDriverError(e);
  }
}

/** Groups, newest first, with their current member count. */
export async function consoleGroups(
  db: SqlExecutor,
  limit: number,
  offset: number,
): Promise<{ groups: ConsoleGroupRow[]; total: number }> {
  const rows = await q(
    db,
    `SELECT g.*,
       (SELECT count(*)::int FROM members m
          WHERE m.group_id = g.group_id AND m.removed_seq IS NULL) AS members
     FROM groups g ORDER BY g.created_at DESC, g.group_id LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  const [total] = await q<{ n: number }>(db, "SELECT count(*)::int AS n FROM groups", []);
  return {
    total: total?.n ?? 0,
    groups: rows.map((r) => {
      const { tGroupId, pqGroupId, policy, messagesSinceCommit, ...g } = toGroup(r);
      return { ...g, members: r.members as number };
    }),
  };
}

/**
 * A group's commits (FULL, PARTIAL, external joins), newest first, with seq < `before` (null:
 * from the newest); `limit` at most.
 */
export async function commitTimeline(
  db: SqlExecutor,
  groupId: string,
  before: number | null,
  limit: number,
): Promise<TimelineEntry[]> {
  const rows = await q(
    db,
    `SELECT m.seq, m.kind, m.t_epoch, m.pq_epoch, m.sender, octet_length(m.body)::int AS bytes,
       COALESCE(octet_length(w.body), 0)::int AS welcome_bytes, m.created_at
     FROM messages m LEFT JOIN welcomes w ON w.group_id = m.group_id AND w.seq = m.seq
     WHERE m.group_id = $1 AND m.kind IN ${COMMITS}
       AND ($2::bigint IS NULL OR m.seq < $2::bigint)
     ORDER BY m.seq DESC LIMIT $3`,
    [groupId, before, limit],
  );
  return rows.map((r) => ({
    seq: r.seq as number,
    kind: r.kind as MessageKind,
    tEpoch: r.t_epoch as number,
    pqEpoch: r.pq_epoch as number,
    sender: (r.sender as string | null) ?? null,
    bytes: r.bytes as number,
    welcomeBytes: r.welcome_bytes as number,
    createdAt: r.created_at as number,
  }));
}

/** Message count and bytes by kind in a group. */
export async function messageTotals(db: SqlExecutor, groupId: string): Promise<KindTotal[]> {
  const rows = await q(
    db,
    `SELECT kind, count(*)::int AS n, COALESCE(sum(octet_length(body)), 0)::bigint AS bytes
     FROM messages WHERE group_id = $1 GROUP BY kind ORDER BY kind`,
    [groupId],
  );
  return rows.map((r) => ({
    kind: r.kind as MessageKind,
    count: r.n as number,
    bytes: Number(r.bytes),
  }));
}

/** Identity of each registered client id (for labelling senders). */
export async function clientIdentities(
  db: SqlExecutor,
  clientIds: readonly string[],
): Promise<Map<string, Uint8Array>> {
  if (clientIds.length === 0) return new Map();
  const rows = await q(
    db,
    "SELECT client_id, identity FROM clients WHERE client_id = ANY($1::text[])",
    [clientIds],
  );
  return new Map(rows.map((r) => [r.client_id as string, r.identity as Uint8Array]));
}
