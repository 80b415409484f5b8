import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { b64 } from "../base64.js";
import {
  mapDriverError,
  type Row,
  type SqlDriver,
  type SqlExecutor,
  StorageUnavailableError,
  sqlState,
} from "./driver.js";
import { GROUP_COLUMNS, toClient, toGroup, toMember, toMessage } from "./rows.js";
import { migrate } from "./sql.js";
import type {
  AppendResult,
  ClientRecord,
  GroupRecord,
  MemberRecord,
  MessageEvent,
  NewGroup,
  NewKeyPackage,
  NewMessage,
  PutGroupInfoResult,
  RegisterResult,
  Storage,
  StoredGroupInfo,
  StoredGroupInfoInput,
  WaitingWelcome,
} from "./types.js";

const UNIQUE_VIOLATION = "23505";
/** How often (in nonce insertions) expired nonces are deleted. */
const NONCE_SWEEP_EVERY = 500;

/** Thrown inside a transaction to roll it back and answer with a result instead. */
class Abort<T> {
  constructor(readonly result: T) {}
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function leavesJson(leaves: StoredGroupInfoInput["leaves"]): string | null {
  return leaves === null ? null : JSON.stringify(leaves.map((l) => (l === null ? null : b64(l))));
}

/**
 * The Storage of the delivery service over any SqlDriver: every query is here, shared by the
 * PGlite and PostgreSQL backends. Ordering is the database's job: a message is accepted by an
 * `UPDATE groups ... WHERE t_epoch = $expected` that also assigns its `seq`, inside the
 * transaction that stores it, and unique indexes refuse a second commit for an epoch.
 */
export class SqlStorage implements Storage {
  private readonly events = new EventEmitter();
  private unlisten: (() => Promise<void>) | undefined;
  private nonceCount = 0;
  private closed = false;

  private constructor(
    readonly driver: SqlDriver,
    private readonly channel: string,
  ) {
    this.events.setMaxListeners(0);
  }

  get kind(): "pglite" | "postgres" {
    return this.driver.name;
  }

  /** Migrates the schema and starts listening for messages accepted by other instances. */
  static async open(driver: SqlDriver, channel = "hpqmls_messages"): Promise<SqlStorage> {
    const s = new SqlStorage(driver, channel);
    try {
      await migrate(driver);
      if (driver.shared)
        s.unlisten = await driver.listen(
          channel,
          (payload) => s.onNotification(payload),
          () => s.events.emit("message", { groupId: "*", seq: 0 }),
        );
    } catch (e) {
      await driver.close().catch(() => {});
      mapDriverError(e);
    }
    return s;
  }

  private onNotification(payload: string): void {
    try {
      const { g, s } = JSON.parse(payload) as { g: string; s: number };
      if (typeof g === "string" && typeof s === "number")
        this.events.emit("message", { groupId: g, seq: s });
    } catch {
      // not ours
    }
  }

  subscribe(listener: (e: MessageEvent) => void): () => void {
    this.events.on("message", listener);
    return () => this.events.off("message", listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.removeAllListeners();
    await this.unlisten?.().catch(() => {});
    await this.driver.close();
  }

  private async q<T extends Row = Row>(sql: string, params: readonly unknown[] = []) {
    if (this.closed) throw new StorageUnavailableError(new Error("the storage is closed"));
    try {
      return await this.driver.query<T>(sql, params);
    } catch (e) {
      return mapDriverError(e);
    }
  }

  /** `q` as an executor (outside a transaction, driver errors mapped). */
  private readonly executor: SqlExecutor = {
    query: <T extends Row = Row>(sql: string, params?: readonly unknown[]) =>
      this.q<T>(sql, params),
  };

  private async tx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.closed) throw new StorageUnavailableError(new Error("the storage is closed"));
    try {
      return await this.driver.transaction(fn);
    } catch (e) {
      if (e instanceof Abort) return e.result as T;
      return mapDriverError(e);
    }
  }

  async ping(): Promise<void> {
    await this.q("SELECT 1 AS ok");
  }

  // ------------------------------------------------------------------ clients

  async registerClient(c: {
    clientId: string;
    identity: Uint8Array;
    signatureKey: Uint8Array;
    now: number;
  }): Promise<RegisterResult> {
    const inserted = await this.q(
      `INSERT INTO clients (client_id, identity, signature_key, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING client_id, identity, signature_key, created_at`,
      [c.clientId, c.identity, c.signatureKey, c.now],
    );
    if (inserted[0] !== undefined)
      return { ok: true, client: toClient(inserted[0]), created: true };
    const [byKey] = await this.q("SELECT * FROM clients WHERE signature_key = $1", [
      c.signatureKey,
    ]);
    if (byKey !== undefined) {
      const client = toClient(byKey);
      return sameBytes(client.identity, c.identity)
        ? { ok: true, client, created: false }
        : { ok: false, reason: "key_in_use" };
    }
    return { ok: false, reason: "identity_taken" };
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const [r] = await this.q("SELECT * FROM clients WHERE client_id = $1", [clientId]);
    return r === undefined ? undefined : toClient(r);
  }

  async useNonce(clientId: string, nonce: string, expiresAt: number, now: number) {
    if (++this.nonceCount % NONCE_SWEEP_EVERY === 0)
      await this.q("DELETE FROM nonces WHERE expires_at < $1", [now]);
    const r = await this.q(
      `INSERT INTO nonces (client_id, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1 AS ok`,
      [clientId, nonce, expiresAt],
    );
    return r.length === 1;
  }

  // ------------------------------------------------------------------ key packages

  async addKeyPackages(client: ClientRecord, pairs: readonly NewKeyPackage[], now: number) {
    if (pairs.length === 0) return 0;
    // Two concurrent uploads of a last-resort pair: the unique index refuses one; redo it.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.storeKeyPackages(client, pairs, now);
      } catch (e) {
        if (sqlState(e) !== UNIQUE_VIOLATION || attempt >= 3) throw e;
      }
    }
  }

  private storeKeyPackages(client: ClientRecord, pairs: readonly NewKeyPackage[], now: number) {
    return this.tx(async (tx) => {
      // Only the last last-resort pair of a request is kept (it replaces the older one).
      const lastResortIndex = pairs.map((p) => p.lastResort).lastIndexOf(true);
      for (const [i, p] of pairs.entries()) {
        await tx.query(
          `INSERT INTO key_package_refs (ref, identity, created_at) VALUES ($1, $2, $3)
           ON CONFLICT (ref) DO UPDATE SET identity = EXCLUDED.identity`,
          [p.tRef, client.identity, now],
        );
        if (p.lastResort) {
          if (i !== lastResortIndex) continue;
          await tx.query("DELETE FROM key_packages WHERE client_id = $1 AND last_resort", [
            client.clientId,
          ]);
        }
        await tx.query(
          `INSERT INTO key_packages (client_id, identity, pair, last_resort, created_at)
           VALUES ($1, $2, $3, $4, $5)`,
          [client.clientId, client.identity, p.pair, p.lastResort, now],
        );
      }
      return pairs.length;
    });
  }

  async claimKeyPackage(identity: Uint8Array) {
    const [claimed] = await this.q<{ pair: Uint8Array }>(
      `DELETE FROM key_packages WHERE id = (
         SELECT id FROM key_packages WHERE identity = $1 AND NOT last_resort
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING pair`,
      [identity],
    );
    if (claimed !== undefined) return { pair: claimed.pair, lastResort: false };
    const [lr] = await this.q<{ pair: Uint8Array }>(
      "SELECT pair FROM key_packages WHERE identity = $1 AND last_resort ORDER BY id DESC LIMIT 1",
      [identity],
    );
    return lr === undefined ? undefined : { pair: lr.pair, lastResort: true };
  }

  async countKeyPackages(clientId: string) {
    const [r] = await this.q<{ remaining: number; last_resort: number }>(
      `SELECT count(*) FILTER (WHERE NOT last_resort)::int AS remaining,
              count(*) FILTER (WHERE last_resort)::int AS last_resort
       FROM key_packages WHERE client_id = $1`,
      [clientId],
    );
    return { remaining: r?.remaining ?? 0, lastResort: (r?.last_resort ?? 0) > 0 };
  }

  async identitiesOfKeyPackageRefs(refs: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const out = new Map<string, Uint8Array>();
    for (const ref of refs) {
      const [r] = await this.q<{ identity: Uint8Array }>(
        "SELECT identity FROM key_package_refs WHERE ref = $1",
        [ref],
      );
      if (r !== undefined) out.set(b64(r.identity), r.identity);
    }
    return [...out.values()];
  }

  // ------------------------------------------------------------------ groups

  async createGroup(g: NewGroup): Promise<boolean> {
    try {
      return await this.tx(async (tx) => {
        const r = await tx.query(
          `INSERT INTO groups (group_id, t_group_id, pq_group_id, t_suite, pq_suite, mode, t_epoch,
             pq_epoch, policy, created_at, group_info, group_info_t_epoch, group_info_pq_epoch,
             group_info_leaves)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT DO NOTHING RETURNING group_id`,
          [
            g.groupId,
            g.tGroupId,
            g.pqGroupId,
            g.tSuite,
            g.pqSuite,
            g.mode,
            g.tEpoch,
            g.pqEpoch,
            JSON.stringify(g.policy),
            g.now,
            g.groupInfo.pair,
            g.groupInfo.tEpoch,
            g.groupInfo.pqEpoch,
            leavesJson(g.groupInfo.leaves),
          ],
        );
        if (r.length === 0) throw new Abort(false);
        await tx.query("INSERT INTO members (group_id, identity, joined_at) VALUES ($1, $2, $3)", [
          g.groupId,
          g.creator,
          g.now,
        ]);
        return true;
      });
    } catch (e) {
      if (sqlState(e) === UNIQUE_VIOLATION) return false;
      throw e;
    }
  }

  async getGroup(groupId: string): Promise<GroupRecord | undefined> {
    const [r] = await this.q(`SELECT ${GROUP_COLUMNS} FROM groups WHERE group_id = $1`, [groupId]);
    return r === undefined ? undefined : toGroup(r);
  }

  async groupsOf(identity: Uint8Array): Promise<GroupRecord[]> {
    const rows = await this.q(
      `SELECT ${GROUP_COLUMNS} FROM groups
       WHERE group_id IN (SELECT group_id FROM members WHERE identity = $1 AND removed_seq IS NULL)
       ORDER BY created_at, group_id`,
      [identity],
    );
    return rows.map(toGroup);
  }

  async members(groupId: string, includeFormer = false): Promise<MemberRecord[]> {
    const rows = await this.q(
      `SELECT * FROM members WHERE group_id = $1 AND ($2::boolean OR removed_seq IS NULL)
       ORDER BY joined_at, identity`,
      [groupId, includeFormer],
    );
    return rows.map(toMember);
  }

  async member(groupId: string, identity: Uint8Array): Promise<MemberRecord | undefined> {
    const [r] = await this.q("SELECT * FROM members WHERE group_id = $1 AND identity = $2", [
      groupId,
      identity,
    ]);
    return r === undefined ? undefined : toMember(r);
  }

  async setPolicy(groupId: string, policy: unknown): Promise<boolean> {
    const r = await this.q("UPDATE groups SET policy = $2 WHERE group_id = $1 RETURNING group_id", [
      groupId,
      JSON.stringify(policy),
    ]);
    return r.length === 1;
  }

  // ------------------------------------------------------------------ messages

  async appendMessage(m: NewMessage): Promise<AppendResult> {
    const isCommit = m.kind !== "proposal" && m.kind !== "application";
    const full = m.kind === "full-commit" || m.kind === "external-join";
    const bodyHash = new Uint8Array(createHash("sha256").update(m.body).digest());
    let result: AppendResult;
    try {
      result = await this.tx(async (tx): Promise<AppendResult> => {
        const copy = await this.storedCopy(tx, m, bodyHash);
        if (copy !== undefined) return copy;
        const [member] = await tx.query<{ removed_seq: number | null }>(
          "SELECT removed_seq FROM members WHERE group_id = $1 AND identity = $2",
          [m.groupId, m.sender.identity],
        );
        const isMember = member !== undefined && member.removed_seq === null;
        if (!isMember && m.kind !== "external-join") {
          const [g] = await tx.query("SELECT 1 AS ok FROM groups WHERE group_id = $1", [m.groupId]);
          return { ok: false, reason: g === undefined ? "not_found" : "not_member" };
        }
        // The ordering rule: accepted iff sent in the current epoch(s); a commit advances them.
        const [advanced] = await tx.query<{ last_seq: number; pq_epoch: number; leaves: unknown }>(
          `UPDATE groups SET
             t_epoch = t_epoch + $4::int,
             pq_epoch = pq_epoch + $5::int,
             last_seq = last_seq + 1,
             commits_since_full = CASE WHEN $5::int = 1 THEN 0
               WHEN $4::int = 1 THEN commits_since_full + 1 ELSE commits_since_full END,
             messages_since_commit = CASE WHEN $4::int = 1 THEN 0
               ELSE messages_since_commit + $6::int END,
             last_full_at = CASE WHEN $5::int = 1 THEN $7::bigint ELSE last_full_at END,
             last_commit_at = CASE WHEN $4::int = 1 THEN $7::bigint ELSE last_commit_at END
           WHERE group_id = $1 AND t_epoch = $2::bigint
             AND ($3::bigint IS NULL OR pq_epoch = $3::bigint)
           RETURNING last_seq, pq_epoch - $5::int AS pq_epoch,
             CASE WHEN group_info_t_epoch = $2::bigint THEN group_info_leaves END AS leaves`,
          [
            m.groupId,
            m.tEpoch,
            m.pqEpoch,
            isCommit ? 1 : 0,
            full ? 1 : 0,
            m.kind === "application" ? 1 : 0,
            m.now,
          ],
        );
        if (advanced === undefined) {
          // A copy of these bytes may have been accepted while this transaction waited for the
          // group's row (a retry racing its first attempt): that copy is the answer, not a 409.
          const raced = await this.storedCopy(tx, m, bodyHash);
          if (raced !== undefined) return raced;
          const [g] = await tx.query<{ t_epoch: number; pq_epoch: number }>(
            "SELECT t_epoch, pq_epoch FROM groups WHERE group_id = $1",
            [m.groupId],
          );
          return g === undefined
            ? { ok: false, reason: "not_found" }
            : { ok: false, reason: "epoch_conflict", tEpoch: g.t_epoch, pqEpoch: g.pq_epoch };
        }
        const seq = advanced.last_seq;
        const [row] = await tx.query(
          `INSERT INTO messages
             (group_id, seq, kind, t_epoch, pq_epoch, sender, body, body_hash, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
          [
            m.groupId,
            seq,
            m.kind,
            m.tEpoch,
            advanced.pq_epoch,
            m.sender.clientId,
            m.body,
            bodyHash,
            m.now,
          ],
        );
        await this.afterAccept(tx, m, seq, isCommit, advanced.leaves);
        await tx.query("SELECT pg_notify($1, $2)", [
          this.channel,
          JSON.stringify({ g: m.groupId, s: seq }),
        ]);
        return { ok: true, message: toMessage(row!) };
      });
    } catch (e) {
      // A unique index refused a second commit for the epoch (a race the UPDATE did not see),
      // or a second copy of the same bytes posted concurrently.
      if (sqlState(e) !== UNIQUE_VIOLATION) throw e;
      const copy = await this.storedCopy(this.executor, m, bodyHash);
      if (copy !== undefined) return copy;
      const g = await this.getGroup(m.groupId);
      if (g === undefined) return { ok: false, reason: "not_found" };
      return { ok: false, reason: "epoch_conflict", tEpoch: g.tEpoch, pqEpoch: g.pqEpoch };
    }
    if (result.ok) this.events.emit("message", { groupId: m.groupId, seq: result.message.seq });
    return result;
  }

  /** The stored copy of these bytes: the same client's earlier post, or another's replay. */
  private async storedCopy(
    q: SqlExecutor,
    m: NewMessage,
    bodyHash: Uint8Array,
  ): Promise<AppendResult | undefined> {
    const [row] = await q.query("SELECT * FROM messages WHERE group_id = $1 AND body_hash = $2", [
      m.groupId,
      bodyHash,
    ]);
    if (row === undefined) return undefined;
    const message = toMessage(row);
    if (message.sender === m.sender.clientId) return { ok: true, message, duplicate: true };
    return { ok: false, reason: "duplicate", seq: message.seq };
  }

  /** Membership bookkeeping and Welcomes of an accepted message. */
  private async afterAccept(
    tx: SqlExecutor,
    m: NewMessage,
    seq: number,
    isCommit: boolean,
    leaves: unknown,
  ): Promise<void> {
    const upsertMember = `INSERT INTO members (group_id, identity, joined_at, last_commit_at)
      VALUES ($1, $2, $3, $4)
      ON CONFLICT (group_id, identity) DO UPDATE SET removed_seq = NULL,
        joined_at = CASE WHEN members.removed_seq IS NULL THEN members.joined_at
          ELSE EXCLUDED.joined_at END,
        last_commit_at = COALESCE(EXCLUDED.last_commit_at, members.last_commit_at)`;
    if (m.removedLeaves !== undefined && m.removedLeaves.length > 0 && Array.isArray(leaves)) {
      for (const leaf of m.removedLeaves) {
        const id = leaves[leaf];
        if (typeof id !== "string") continue;
        await tx.query(
          `UPDATE members SET removed_seq = $3
           WHERE group_id = $1 AND identity = $2 AND removed_seq IS NULL`,
          [m.groupId, Buffer.from(id, "base64url"), seq],
        );
      }
    }
    // After the removals: an external join may remove the joiner's own old leaf (a resync).
    if (m.kind === "external-join")
      await tx.query(upsertMember, [m.groupId, m.sender.identity, m.now, m.now]);
    else if (isCommit)
      await tx.query(
        "UPDATE members SET last_commit_at = $3 WHERE group_id = $1 AND identity = $2",
        [m.groupId, m.sender.identity, m.now],
      );
    if (m.welcome !== undefined && m.welcome.recipients.length > 0) {
      await tx.query(
        "INSERT INTO welcomes (group_id, seq, body, created_at) VALUES ($1, $2, $3, $4)",
        [m.groupId, seq, m.welcome.body, m.now],
      );
      for (const identity of m.welcome.recipients) {
        await tx.query(
          `INSERT INTO welcome_recipients (identity, group_id, seq) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
          [identity, m.groupId, seq],
        );
        await tx.query(upsertMember, [m.groupId, identity, m.now, null]);
      }
    }
  }

  async readMessages(groupId: string, after: number, limit: number, upTo: number | null = null) {
    const rows = await this.q(
      `SELECT * FROM messages WHERE group_id = $1 AND seq > $2::bigint
         AND ($4::bigint IS NULL OR seq <= $4::bigint)
       ORDER BY seq LIMIT $3`,
      [groupId, after, limit, upTo],
    );
    return rows.map(toMessage);
  }

  // ------------------------------------------------------------------ welcomes, GroupInfo

  async welcomesFor(identity: Uint8Array): Promise<WaitingWelcome[]> {
    const rows = await this.q(
      `SELECT w.group_id, w.seq, w.body FROM welcome_recipients r
       JOIN welcomes w ON w.group_id = r.group_id AND w.seq = r.seq
       WHERE r.identity = $1 ORDER BY w.created_at, w.group_id, w.seq`,
      [identity],
    );
    return rows.map((r) => ({
      groupId: r.group_id as string,
      seq: r.seq as number,
      body: r.body as Uint8Array,
    }));
  }

  async deleteWelcome(identity: Uint8Array, seq: number, groupId?: string): Promise<number> {
    return this.tx(async (tx) => {
      const gone = await tx.query<{ group_id: string }>(
        `DELETE FROM welcome_recipients WHERE identity = $1 AND seq = $2::bigint
           AND ($3::text IS NULL OR group_id = $3::text)
         RETURNING group_id`,
        [identity, seq, groupId ?? null],
      );
      for (const g of gone)
        await tx.query(
          `DELETE FROM welcomes w WHERE group_id = $1 AND seq = $2::bigint AND NOT EXISTS
             (SELECT 1 FROM welcome_recipients r WHERE r.group_id = w.group_id AND r.seq = w.seq)`,
          [g.group_id, seq],
        );
      return gone.length;
    });
  }

  async putGroupInfo(
    groupId: string,
    by: Uint8Array,
    gi: StoredGroupInfoInput,
    now: number,
  ): Promise<PutGroupInfoResult> {
    return this.tx(async (tx): Promise<PutGroupInfoResult> => {
      const [g] = await tx.query<{
        t_epoch: number;
        pq_epoch: number;
        group_info_t_epoch: number | null;
      }>(
        "SELECT t_epoch, pq_epoch, group_info_t_epoch FROM groups WHERE group_id = $1 FOR UPDATE",
        [groupId],
      );
      if (g === undefined) return { ok: false, reason: "not_found" };
      const [member] = await tx.query<{ removed_seq: number | null }>(
        "SELECT removed_seq FROM members WHERE group_id = $1 AND identity = $2",
        [groupId, by],
      );
      if (member === undefined || member.removed_seq !== null)
        return { ok: false, reason: "not_member" };
      if (gi.tEpoch > g.t_epoch || gi.pqEpoch > g.pq_epoch)
        return { ok: false, reason: "epoch_ahead", tEpoch: g.t_epoch, pqEpoch: g.pq_epoch };
      // An older GroupInfo than the stored one (a slower committer) changes nothing.
      if (g.group_info_t_epoch !== null && gi.tEpoch < g.group_info_t_epoch)
        return { ok: true, stored: false, tEpoch: g.t_epoch, pqEpoch: g.pq_epoch };
      await tx.query(
        `UPDATE groups SET group_info = $2, group_info_t_epoch = $3, group_info_pq_epoch = $4,
           group_info_leaves = $5 WHERE group_id = $1`,
        [groupId, gi.pair, gi.tEpoch, gi.pqEpoch, leavesJson(gi.leaves)],
      );
      if (gi.leaves !== null && gi.tEpoch === g.t_epoch && gi.pqEpoch === g.pq_epoch)
        await this.syncMembers(tx, groupId, gi, now);
      return { ok: true, stored: true, tEpoch: g.t_epoch, pqEpoch: g.pq_epoch };
    });
  }

  /** Membership := the identities in the tree of a GroupInfo of the current epoch. */
  private async syncMembers(
    tx: SqlExecutor,
    groupId: string,
    gi: StoredGroupInfoInput,
    now: number,
  ): Promise<void> {
    const inTree = new Map<string, Uint8Array>();
    for (const l of gi.leaves ?? []) if (l !== null) inTree.set(b64(l), l);
    const current = await tx.query<{ identity: Uint8Array }>(
      "SELECT identity FROM members WHERE group_id = $1 AND removed_seq IS NULL",
      [groupId],
    );
    const gone = current.filter((r) => !inTree.has(b64(r.identity)));
    if (gone.length > 0) {
      // They were removed by the commit that created this epoch; they may read up to it.
      const [c] = await tx.query<{ seq: number }>(
        `SELECT seq FROM messages WHERE group_id = $1 AND t_epoch = $2::bigint - 1
           AND kind IN ('full-commit', 'partial-commit', 'external-join')`,
        [groupId, gi.tEpoch],
      );
      const [last] = await tx.query<{ last_seq: number }>(
        "SELECT last_seq FROM groups WHERE group_id = $1",
        [groupId],
      );
      const removedSeq = c?.seq ?? last?.last_seq ?? 0;
      for (const r of gone)
        await tx.query(
          "UPDATE members SET removed_seq = $3 WHERE group_id = $1 AND identity = $2",
          [groupId, r.identity, removedSeq],
        );
    }
    const known = new Set(current.map((r) => b64(r.identity)));
    for (const [key, identity] of inTree)
      if (!known.has(key))
        await tx.query(
          `INSERT INTO members (group_id, identity, joined_at) VALUES ($1, $2, $3)
           ON CONFLICT (group_id, identity) DO UPDATE SET removed_seq = NULL, joined_at = $3`,
          [groupId, identity, now],
        );
  }

  async getGroupInfo(groupId: string): Promise<StoredGroupInfo | undefined> {
    const [r] = await this.q<{
      group_info: Uint8Array | null;
      group_info_t_epoch: number;
      group_info_pq_epoch: number;
    }>(
      "SELECT group_info, group_info_t_epoch, group_info_pq_epoch FROM groups WHERE group_id = $1",
      [groupId],
    );
    if (r === undefined || r.group_info === null) return undefined;
    return { pair: r.group_info, tEpoch: r.group_info_t_epoch, pqEpoch: r.group_info_pq_epoch };
  }
}
