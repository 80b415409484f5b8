import type { Row } from "./driver.js";
import type {
  ClientRecord,
  GroupRecord,
  MemberRecord,
  MessageKind,
  StoredMessage,
} from "./types.js";

/** Rows of the SQL schema (./sql.ts) as the storage's records; shared by every query module. */

export const GROUP_COLUMNS = `group_id, t_group_id, pq_group_id, t_suite, pq_suite, mode, t_epoch, pq_epoch,
  last_seq, policy, created_at, last_full_at, last_commit_at, commits_since_full,
  messages_since_commit`;

export function toGroup(r: Row): GroupRecord {
  return {
    groupId: r.group_id as string,
    tGroupId: r.t_group_id as Uint8Array,
    pqGroupId: r.pq_group_id as Uint8Array,
    tSuite: r.t_suite as number,
    pqSuite: r.pq_suite as number,
    mode: r.mode as number,
    tEpoch: r.t_epoch as number,
    pqEpoch: r.pq_epoch as number,
    lastSeq: r.last_seq as number,
    policy: r.policy,
    createdAt: r.created_at as number,
    lastFullAt: (r.last_full_at as number | null) ?? null,
    lastCommitAt: (r.last_commit_at as number | null) ?? null,
    commitsSinceFull: r.commits_since_full as number,
    messagesSinceCommit: r.messages_since_commit as number,
  };
}

export function toMessage(r: Row): StoredMessage {
  return {
    groupId: r.group_id as string,
    seq: r.seq as number,
    kind: r.kind as MessageKind,
    tEpoch: r.t_epoch as number,
    pqEpoch: r.pq_epoch as number,
    sender: (r.sender as string | null) ?? null,
    body: r.body as Uint8Array,
    createdAt: r.created_at as number,
  };
}

export function toMember(r: Row): MemberRecord {
  return {
    identity: r.identity as Uint8Array,
    joinedAt: r.joined_at as number,
    lastCommitAt: (r.last_commit_at as number | null) ?? null,
    removedSeq: (r.removed_seq as number | null) ?? null,
  };
}

export function toClient(r: Row): ClientRecord {
  return {
    clientId: r.client_id as string,
    identity: r.identity as Uint8Array,
    signatureKey: r.signature_key as Uint8Array,
    createdAt: r.created_at as number,
  };
}
