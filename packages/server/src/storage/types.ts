/**
 * What the delivery service stores, independent of the database behind it. One implementation
 * (SqlStorage) runs the same SQL over PGlite or PostgreSQL.
 */

export type MessageKind =
  | "full-commit"
  | "partial-commit"
  | "proposal"
  | "application"
  | "external-join";

export const COMMIT_KINDS: ReadonlySet<MessageKind> = new Set([
  "full-commit",
  "partial-commit",
  "external-join",
]);

export interface ClientRecord {
  readonly clientId: string;
  readonly identity: Uint8Array;
  readonly signatureKey: Uint8Array;
  readonly createdAt: number;
}

export type RegisterResult =
  | { readonly ok: true; readonly client: ClientRecord; readonly created: boolean }
  | { readonly ok: false; readonly reason: "identity_taken" | "key_in_use" };

export interface NewKeyPackage {
  readonly pair: Uint8Array;
  /** KeyPackageRef of the T KeyPackage (addresses Welcomes). */
  readonly tRef: Uint8Array;
  readonly lastResort: boolean;
}

export interface GroupRecord {
  readonly groupId: string;
  readonly tGroupId: Uint8Array;
  readonly pqGroupId: Uint8Array;
  readonly tSuite: number;
  readonly pqSuite: number;
  readonly mode: number;
  readonly tEpoch: number;
  readonly pqEpoch: number;
  readonly lastSeq: number;
  readonly policy: unknown;
  readonly createdAt: number;
  readonly lastFullAt: number | null;
  readonly lastCommitAt: number | null;
  readonly commitsSinceFull: number;
  readonly messagesSinceCommit: number;
}

export interface NewGroup {
  readonly groupId: string;
  readonly tGroupId: Uint8Array;
  readonly pqGroupId: Uint8Array;
  readonly tSuite: number;
  readonly pqSuite: number;
  readonly mode: number;
  readonly tEpoch: number;
  readonly pqEpoch: number;
  readonly policy: unknown;
  readonly creator: Uint8Array;
  readonly groupInfo: StoredGroupInfoInput;
  readonly now: number;
}

export interface MemberRecord {
  readonly identity: Uint8Array;
  readonly joinedAt: number;
  readonly lastCommitAt: number | null;
  /** Null while a member; else the seq of the commit that removed it. */
  readonly removedSeq: number | null;
}

export interface StoredMessage {
  readonly groupId: string;
  readonly seq: number;
  readonly kind: MessageKind;
  readonly tEpoch: number;
  readonly pqEpoch: number;
  /** clientId of the poster. */
  readonly sender: string | null;
  readonly body: Uint8Array;
  readonly createdAt: number;
}

export interface NewMessage {
  readonly groupId: string;
  readonly kind: MessageKind;
  /** The epochs the message was sent in; must be the group's current ones. */
  readonly tEpoch: number;
  /** The PQ epoch for pairs; null for plain T messages (any current PQ epoch). */
  readonly pqEpoch: number | null;
  readonly sender: { readonly clientId: string; readonly identity: Uint8Array };
  readonly body: Uint8Array;
  /** A Welcome pair for the listed joiner identities (FULL commits that add members). */
  readonly welcome?: { readonly body: Uint8Array; readonly recipients: readonly Uint8Array[] };
  /** Leaves removed by a PublicMessage commit (mapped through the stored GroupInfo's tree). */
  readonly removedLeaves?: readonly number[];
  readonly now: number;
}

export type AppendResult =
  /** `duplicate`: these bytes were stored before, by the same client; `message` is that copy. */
  | { readonly ok: true; readonly message: StoredMessage; readonly duplicate?: true }
  /** These bytes were stored before, sent by another client (a replay): refused. */
  | { readonly ok: false; readonly reason: "duplicate"; readonly seq: number }
  | {
      readonly ok: false;
      readonly reason: "epoch_conflict";
      readonly tEpoch: number;
      readonly pqEpoch: number;
    }
  | { readonly ok: false; readonly reason: "not_found" }
  | { readonly ok: false; readonly reason: "not_member" };

export interface StoredGroupInfoInput {
  readonly pair: Uint8Array;
  readonly tEpoch: number;
  readonly pqEpoch: number;
  /** Identity by leaf index of the T tree (null: blank or non-basic leaf), if the tree is known. */
  readonly leaves: readonly (Uint8Array | null)[] | null;
}

export interface StoredGroupInfo {
  readonly pair: Uint8Array;
  readonly tEpoch: number;
  readonly pqEpoch: number;
}

export type PutGroupInfoResult =
  | {
      readonly ok: true;
      readonly stored: boolean;
      readonly tEpoch: number;
      readonly pqEpoch: number;
    }
  | {
      readonly ok: false;
      readonly reason: "epoch_ahead";
      readonly tEpoch: number;
      readonly pqEpoch: number;
    }
  | { readonly ok: false; readonly reason: "not_found" }
  | { readonly ok: false; readonly reason: "not_member" };

export interface WaitingWelcome {
  readonly groupId: string;
  readonly seq: number;
  readonly body: Uint8Array;
}

/** A message was accepted in a group (`groupId: "*"`: re-check every group). */
export interface MessageEvent {
  readonly groupId: string;
  readonly seq: number;
}

export interface Storage {
  readonly kind: "pglite" | "postgres";
  /** Answers when the database does (throws StorageUnavailableError otherwise). */
  ping(): Promise<void>;
  close(): Promise<void>;

  // clients and signed requests
  registerClient(c: {
    clientId: string;
    identity: Uint8Array;
    signatureKey: Uint8Array;
    now: number;
  }): Promise<RegisterResult>;
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  /** Records a nonce; false if the client already used it (a replay). */
  useNonce(clientId: string, nonce: string, expiresAt: number, now: number): Promise<boolean>;

  // key packages
  addKeyPackages(
    client: ClientRecord,
    pairs: readonly NewKeyPackage[],
    now: number,
  ): Promise<number>;
  /** Consumes one unused pair of the identity, else returns its last-resort pair. */
  claimKeyPackage(
    identity: Uint8Array,
  ): Promise<{ pair: Uint8Array; lastResort: boolean } | undefined>;
  countKeyPackages(clientId: string): Promise<{ remaining: number; lastResort: boolean }>;
  /** The identities of published T KeyPackages by reference (unknown refs are skipped). */
  identitiesOfKeyPackageRefs(refs: readonly Uint8Array[]): Promise<Uint8Array[]>;

  // groups
  /** False if a group with this id exists. */
  createGroup(g: NewGroup): Promise<boolean>;
  getGroup(groupId: string): Promise<GroupRecord | undefined>;
  /** Groups where the identity is a (current) member. */
  groupsOf(identity: Uint8Array): Promise<GroupRecord[]>;
  /** Current members (removedSeq null) unless `includeFormer`. */
  members(groupId: string, includeFormer?: boolean): Promise<MemberRecord[]>;
  member(groupId: string, identity: Uint8Array): Promise<MemberRecord | undefined>;
  setPolicy(groupId: string, policy: unknown): Promise<boolean>;

  // messages
  appendMessage(m: NewMessage): Promise<AppendResult>;
  readMessages(
    groupId: string,
    after: number,
    limit: number,
    upTo?: number | null,
  ): Promise<StoredMessage[]>;

  // welcomes and GroupInfo
  welcomesFor(identity: Uint8Array): Promise<WaitingWelcome[]>;
  /** Deletes the identity's Welcomes with this seq (in one group, or any); returns how many. */
  deleteWelcome(identity: Uint8Array, seq: number, groupId?: string): Promise<number>;
  putGroupInfo(
    groupId: string,
    by: Uint8Array,
    gi: StoredGroupInfoInput,
    now: number,
  ): Promise<PutGroupInfoResult>;
  getGroupInfo(groupId: string): Promise<StoredGroupInfo | undefined>;

  /** Calls `listener` for every message accepted by this or (PostgreSQL) any other instance. */
  subscribe(listener: (e: MessageEvent) => void): () => void;
}
