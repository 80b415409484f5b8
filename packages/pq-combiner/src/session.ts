import {
  AppDataUpdateOperation,
  type Credential,
  constantTimeEqual,
  ExtProposalType,
  ExtPSKType,
  encodeBytes,
  encodeSafeAAD,
  type GroupConfig,
  type GroupInfo,
  generateKeyPackage,
  getCipherSuite,
  InternalError,
  type KeyPackage,
  type KeyPackageBundle,
  type KeyPair,
  type MLSMessage,
  MlsGroup,
  mlsMessageCodec,
  type PreSharedKeyID,
  type Proposal,
  ProposalType,
  ProtocolVersion,
  type PskStore,
  Reader,
  type StagedCommit,
  safeAADItem,
  stagedSafeExportSecret,
  UsageError,
  ValidationError,
  WireFormat,
  Writer,
} from "@hpqmls/mls-core";
import { decodeActivityRecord, encodeActivityRecord } from "./activityRecord.js";
import {
  type ApqInfo,
  type ApqInfoUpdate,
  ApqMode,
  ApqUpdateType,
  apqInfoFromExtensions,
  apqInfoUpdateCodec,
  sameApqInfo,
  sameApqSession,
} from "./apqInfo.js";
import { type ApqPsk, ApqPskStore, apqPskId, deriveApqPsk } from "./apqPsk.js";
import { apqCodePoints } from "./codepoints.js";
import {
  apqCapabilities,
  apqGroupConfig,
  apqGroupContextExtensions,
  apqLeafExtensions,
  requiresMessagePair,
} from "./groupSetup.js";
import { checkMembership, defaultIdentityOf, type IdentityOf, leafOf } from "./membership.js";
import {
  type ApqMessagePair,
  checkMessagePair,
  decodeApqMessage,
  encodeMessagePair,
} from "./messagePair.js";
import { type Decision, decide, type SessionSnapshot } from "./policy/engine.js";
import type { Policy } from "./policy/schema.js";
import { validateSuitePair } from "./suitePair.js";

/**
 * An APQ-MLS session (draft-ietf-mls-combiner): one traditional (T) MLS group that carries the
 * application traffic and one post-quantum (PQ) MLS group over the same members. A FULL commit
 * advances both groups and injects a secret of the new PQ epoch into the T key schedule; a
 * PARTIAL commit advances the T group only. Every operation that touches both groups stages
 * both and merges both, or neither.
 */

const RULE = "draft-ietf-mls-combiner";

/** A client's long-lived material: one credential, a signature key pair per group. */
export interface ApqClient {
  readonly credential: Credential;
  readonly tSignatureKeyPair: KeyPair;
  readonly pqSignatureKeyPair: KeyPair;
}

export interface ApqSessionOptions {
  /** T suite (default 0x0001). */
  readonly tSuite?: number;
  /** PQ suite (default 0xF00A, ML-KEM-768 + ML-DSA-65). */
  readonly pqSuite?: number;
  /** Default 1: PQ/T confidentiality and authenticity. */
  readonly mode?: ApqMode;
  /** Group behaviour for both groups (the `apq_mls_info` component is added). */
  readonly config?: Partial<GroupConfig>;
  /** The application's own PSKs (external, resumption, other components). */
  readonly psks?: PskStore;
  /** How credentials map to identities when comparing the two groups' members. */
  readonly identityOf?: IdentityOf;
  /** Milliseconds since the Unix epoch (for the activity record the policy engine reads). */
  readonly now?: () => number;
  /** Send handshake messages as PublicMessage (default false: PrivateMessage). */
  readonly publicHandshakes?: boolean;
  /**
   * "Auto" mode: every `encrypt` first asks the policy engine and performs the update that is
   * due, handing the commit to `deliver` (true if the delivery service accepted it).
   */
  readonly auto?: {
    readonly policy: Policy;
    deliver(commit: PendingCommit): Promise<boolean>;
  };
}

/** What the policy engine needs to know about a session (see policy/engine.ts). */
export interface SessionActivity {
  /** T-group commits since the last FULL commit (PARTIAL ones). */
  readonly commitsSinceFull: number;
  /** Application messages sent or received since the last commit of either kind. */
  readonly messagesSinceUpdate: number;
  readonly lastFullAt: number;
  readonly lastUpdateAt: number;
  /** Per member identity: when it last committed or had its leaf updated. */
  readonly lastActive: Readonly<Record<string, number>>;
}

/** A pair of KeyPackages, as published (decision E9). */
export interface KeyPackagePair {
  readonly t: KeyPackage;
  readonly pq: KeyPackage;
}

/** A commit created by this member, waiting for the delivery service's verdict. */
export interface PendingCommit {
  readonly kind: "full" | "partial";
  /** What to send: an APQMessagePair (FULL) or a plain T MLSMessage (PARTIAL). */
  readonly message: Uint8Array;
  /** For FULL commits that add members: the APQMessagePair of the two Welcomes. */
  readonly welcome?: Uint8Array;
  /** Applies the commit once the delivery service accepted it. */
  merge(): Promise<void>;
  /** Drops it (another commit won); nothing changed. */
  discard(): void;
}

/** The result of processing one incoming message. */
export type ApqReceived =
  | {
      readonly kind: "application";
      readonly data: Uint8Array;
      readonly sender: string;
      readonly authenticatedData: Uint8Array;
    }
  | { readonly kind: "proposal"; readonly full: boolean; readonly sender: string | undefined }
  | {
      readonly kind: "commit";
      readonly commitKind: "full" | "partial";
      readonly sender: string | undefined;
      readonly added: string[];
      readonly removed: string[];
      /** True if this member was removed: the session is over. */
      readonly removedSelf: boolean;
    };

interface Staged {
  readonly t: StagedCommit;
  readonly pq?: StagedCommit;
}

const encodeMessage = (m: MLSMessage) => encodeBytes(mlsMessageCodec, m);

/** One byte in the T Update's SafeAAD under component 0x0006: 1 = FULL commit wanted (E7). */
const FULL_REQUEST = new Uint8Array([1]);

export class ApqSession {
  private readonly tPsks: ApqPskStore;
  private stats: {
    commitsSinceFull: number;
    messagesSinceUpdate: number;
    lastFullAt: number;
    lastUpdateAt: number;
    lastActive: Record<string, number>;
  };
  /** Pending T proposals that ask for a FULL commit, by proposer identity. */
  private readonly fullRequests = new Set<string>();
  private status: "active" | "removed" = "active";

  private constructor(
    private t: MlsGroup,
    private pq: MlsGroup,
    private info: ApqInfo,
    tPsks: ApqPskStore,
    private readonly options: Required<Pick<ApqSessionOptions, "identityOf" | "now">> &
      ApqSessionOptions,
    private established_: boolean,
    private mustCommitFull_: boolean,
  ) {
    this.tPsks = tPsks;
    const now = options.now();
    this.stats = {
      commitsSinceFull: 0,
      messagesSinceUpdate: 0,
      lastFullAt: now,
      lastUpdateAt: now,
      // Keys are member identities: no prototype, so "__proto__" is just another identity.
      lastActive: Object.create(null),
    };
  }

  // ------------------------------------------------------------------ setup

  private static resolve(o: ApqSessionOptions) {
    const tSuite = o.tSuite ?? 0x0001;
    const pqSuite = o.pqSuite ?? 0xf00a;
    const mode = o.mode ?? ApqMode.confidentialityAndAuthenticity;
    validateSuitePair(tSuite, pqSuite, mode);
    return {
      tSuite: getCipherSuite(tSuite),
      pqSuite: getCipherSuite(pqSuite),
      mode,
      options: {
        ...o,
        identityOf: o.identityOf ?? defaultIdentityOf,
        now: o.now ?? Date.now,
      },
      config: apqGroupConfig(o.config),
    };
  }

  /** Signature key pairs for a new client of a session with these suites. */
  static async newClient(credential: Credential, o: ApqSessionOptions = {}): Promise<ApqClient> {
    const r = ApqSession.resolve(o);
    return {
      credential,
      tSignatureKeyPair: await r.tSuite.signature.generateKeyPair(),
      pqSignatureKeyPair: await r.pqSuite.signature.generateKeyPair(),
    };
  }

  /**
   * Creates a session (decision E5): the PQ group first, then the T group, both carrying
   * APQInfo{epochs 0, 0}. The session is established by its first FULL commit; until then no
   * application message may be sent.
   */
  static async create(client: ApqClient, o: ApqSessionOptions = {}): Promise<ApqSession> {
    const r = ApqSession.resolve(o);
    const info: ApqInfo = {
      tGroupId: r.tSuite.randomBytes(16),
      pqGroupId: r.pqSuite.randomBytes(16),
      mode: r.mode,
      tCipherSuite: r.tSuite.id,
      pqCipherSuite: r.pqSuite.id,
      tEpoch: 0n,
      pqEpoch: 0n,
    };
    const pq = await MlsGroup.create({
      suite: r.pqSuite,
      credential: client.credential,
      signatureKeyPair: client.pqSignatureKeyPair,
      groupId: info.pqGroupId,
      capabilities: apqCapabilities(r.pqSuite.id),
      leafExtensions: apqLeafExtensions(),
      groupContextExtensions: apqGroupContextExtensions(info, false),
      config: r.config,
    });
    const tPsks = new ApqPskStore(o.psks);
    const t = await MlsGroup.create({
      suite: r.tSuite,
      credential: client.credential,
      signatureKeyPair: client.tSignatureKeyPair,
      groupId: info.tGroupId,
      capabilities: apqCapabilities(r.tSuite.id),
      leafExtensions: apqLeafExtensions(),
      groupContextExtensions: apqGroupContextExtensions(info, true),
      config: r.config,
      psks: tPsks,
    });
    return new ApqSession(t, pq, info, tPsks, r.options, false, false);
  }

  /**
   * The KeyPackage pair a client publishes to be added (decision E9): one KeyPackage per group,
   * same credential, sent as APQMessagePair{mls_key_package}.
   */
  static async keyPackagePair(
    client: ApqClient,
    o: ApqSessionOptions = {},
  ): Promise<{ message: Uint8Array; t: KeyPackageBundle; pq: KeyPackageBundle }> {
    const r = ApqSession.resolve(o);
    const [t, pq] = await Promise.all([
      generateKeyPackage({
        suite: r.tSuite,
        credential: client.credential,
        signatureKeyPair: client.tSignatureKeyPair,
        capabilities: apqCapabilities(r.tSuite.id),
        leafExtensions: apqLeafExtensions(),
      }),
      generateKeyPackage({
        suite: r.pqSuite,
        credential: client.credential,
        signatureKeyPair: client.pqSignatureKeyPair,
        capabilities: apqCapabilities(r.pqSuite.id),
        leafExtensions: apqLeafExtensions(),
      }),
    ]);
    const message = encodeMessagePair({
      wireFormat: WireFormat.mls_key_package,
      t: {
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mls_key_package,
        keyPackage: t.keyPackage,
      },
      pq: {
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mls_key_package,
        keyPackage: pq.keyPackage,
      },
    });
    return { message, t, pq };
  }

  /** Reads a published KeyPackage pair; both must carry the same identity. */
  decodeKeyPackagePair(bytes: Uint8Array): KeyPackagePair {
    const m = decodeApqMessage(bytes);
    if (m.kind !== "pair" || m.pair.wireFormat !== WireFormat.mls_key_package)
      throw new ValidationError(RULE, "not a KeyPackage pair");
    const t = m.pair.t as MLSMessage & { keyPackage: KeyPackage };
    const pq = m.pair.pq as MLSMessage & { keyPackage: KeyPackage };
    const id = this.options.identityOf;
    if (id(t.keyPackage.leafNode.credential) !== id(pq.keyPackage.leafNode.credential))
      throw new ValidationError(RULE, "the two KeyPackages of a pair name different clients");
    return { t: t.keyPackage, pq: pq.keyPackage };
  }

  /**
   * Joins from a Welcome pair (Figure 2): the PQ Welcome first, then the apq_psk of the joined
   * PQ epoch, then the T Welcome. The joiner should issue a FULL commit as soon as it can
   * (`mustCommitFull`).
   */
  static async join(
    welcomePair: Uint8Array,
    keyPackages: { t: KeyPackageBundle; pq: KeyPackageBundle },
    o: ApqSessionOptions = {},
  ): Promise<ApqSession> {
    const r = ApqSession.resolve(o);
    const m = decodeApqMessage(welcomePair);
    if (m.kind !== "pair" || m.pair.wireFormat !== WireFormat.mls_welcome)
      throw new ValidationError(RULE, "not a Welcome pair");
    const pq = await MlsGroup.join({
      suite: r.pqSuite,
      welcome: m.pair.pq,
      keyPackage: keyPackages.pq,
      config: r.config,
    });
    const tPsks = new ApqPskStore(o.psks);
    tPsks.arm(await deriveApqPsk(r.tSuite, await pq.safeExportSecret(apqCodePoints().componentId)));
    let t: MlsGroup;
    try {
      t = await MlsGroup.join({
        suite: r.tSuite,
        welcome: m.pair.t,
        keyPackage: keyPackages.t,
        config: r.config,
        psks: tPsks,
      });
    } finally {
      tPsks.disarm();
    }
    const info = ApqSession.checkJoined(t, pq, r.options.identityOf);
    if (
      info.tCipherSuite !== r.tSuite.id ||
      info.pqCipherSuite !== r.pqSuite.id ||
      info.mode !== r.mode
    )
      throw new ValidationError(RULE, "the session's suites or mode differ from the ones expected");
    return new ApqSession(t, pq, info, tPsks, r.options, true, true);
  }

  /** The checks after any join: APQInfo equal in both groups, current epochs, same members. */
  private static checkJoined(t: MlsGroup, pq: MlsGroup, identityOf: IdentityOf): ApqInfo {
    const ti = apqInfoFromExtensions(t.groupContext.extensions);
    const pi = apqInfoFromExtensions(pq.groupContext.extensions);
    if (ti === undefined || pi === undefined)
      throw new ValidationError(
        `${RULE} §Welcome Message Validation`,
        "both groups must carry APQInfo",
      );
    if (!sameApqInfo(ti, pi))
      throw new ValidationError(`${RULE} §Validating APQInfo`, "the two groups' APQInfo differ");
    validateSuitePair(ti.tCipherSuite, ti.pqCipherSuite, ti.mode);
    if (
      !bytesEq(ti.tGroupId, t.groupId) ||
      !bytesEq(ti.pqGroupId, pq.groupId) ||
      ti.tCipherSuite !== t.suite.id ||
      ti.pqCipherSuite !== pq.suite.id ||
      ti.tEpoch !== t.epoch ||
      ti.pqEpoch !== pq.epoch
    )
      throw new ValidationError(
        `${RULE} §Validating APQInfo`,
        "APQInfo does not describe these two groups",
      );
    checkMembership(t.currentState.tree, pq.currentState.tree, identityOf);
    return ti;
  }

  /**
   * External join (draft "External Joins"): one external commit per group from a GroupInfo
   * pair, the PQ one first; the T one injects the apq_psk of the new PQ epoch. Both carry the
   * APQInfo epoch update. Returns the session and the commit pair to send; if the delivery
   * service refuses it, drop the session and retry with a fresh GroupInfo pair.
   */
  static async joinExternal(
    client: ApqClient,
    groupInfoPair: Uint8Array,
    o: ApqSessionOptions = {},
  ): Promise<{ session: ApqSession; message: Uint8Array }> {
    const r = ApqSession.resolve(o);
    const m = decodeApqMessage(groupInfoPair);
    if (m.kind !== "pair" || m.pair.wireFormat !== WireFormat.mls_group_info)
      throw new ValidationError(RULE, "not a GroupInfo pair");
    const giT = (m.pair.t as MLSMessage & { groupInfo: GroupInfo }).groupInfo;
    const giPq = (m.pair.pq as MLSMessage & { groupInfo: GroupInfo }).groupInfo;
    const ti = apqInfoFromExtensions(giT.groupContext.extensions);
    const pi = apqInfoFromExtensions(giPq.groupContext.extensions);
    if (ti === undefined || pi === undefined || !sameApqInfo(ti, pi))
      throw new ValidationError(
        `${RULE} §External Joins`,
        "both GroupInfos must carry the same APQInfo",
      );
    validateSuitePair(ti.tCipherSuite, ti.pqCipherSuite, ti.mode);
    if (ti.tCipherSuite !== r.tSuite.id || ti.pqCipherSuite !== r.pqSuite.id || ti.mode !== r.mode)
      throw new ValidationError(RULE, "the session's suites or mode differ from the ones expected");
    const next: ApqInfo = {
      ...ti,
      tEpoch: giT.groupContext.epoch + 1n,
      pqEpoch: giPq.groupContext.epoch + 1n,
    };
    const updates = epochUpdates(next);
    const pqJoin = await MlsGroup.joinExternal({
      suite: r.pqSuite,
      groupInfo: giPq,
      credential: client.credential,
      signatureKeyPair: client.pqSignatureKeyPair,
      capabilities: apqCapabilities(r.pqSuite.id),
      leafExtensions: apqLeafExtensions(),
      proposals: updates,
      config: r.config,
    });
    const tPsks = new ApqPskStore(o.psks);
    const apq = await deriveApqPsk(
      r.tSuite,
      await pqJoin.group.safeExportSecret(apqCodePoints().componentId),
    );
    tPsks.arm(apq);
    let tJoin: Awaited<ReturnType<typeof MlsGroup.joinExternal>>;
    try {
      tJoin = await MlsGroup.joinExternal({
        suite: r.tSuite,
        groupInfo: giT,
        credential: client.credential,
        signatureKeyPair: client.tSignatureKeyPair,
        capabilities: apqCapabilities(r.tSuite.id),
        leafExtensions: apqLeafExtensions(),
        pskIds: [apqPskId(r.tSuite, apq.pskId)],
        proposals: updates,
        psks: tPsks,
        config: r.config,
      });
    } finally {
      tPsks.disarm();
    }
    const info = ApqSession.checkJoined(tJoin.group, pqJoin.group, r.options.identityOf);
    const session = new ApqSession(tJoin.group, pqJoin.group, info, tPsks, r.options, true, false);
    const message = encodeMessagePair({
      wireFormat: WireFormat.mls_public_message,
      t: tJoin.commit,
      pq: pqJoin.commit,
    });
    return { session, message };
  }

  /** A GroupInfo pair (with ratchet trees and external_pub) for external joiners. */
  async groupInfoPair(): Promise<Uint8Array> {
    const [t, pq] = await Promise.all([this.t.groupInfo(), this.pq.groupInfo()]);
    return encodeMessagePair({
      wireFormat: WireFormat.mls_group_info,
      t: { version: ProtocolVersion.mls10, wireFormat: WireFormat.mls_group_info, groupInfo: t },
      pq: { version: ProtocolVersion.mls10, wireFormat: WireFormat.mls_group_info, groupInfo: pq },
    });
  }

  // ------------------------------------------------------------------ inspection

  get apqInfo(): ApqInfo {
    return this.info;
  }
  /** True once the first FULL commit happened (application messages allowed). */
  get established(): boolean {
    return this.established_;
  }
  /** True for a member that joined and has not yet made its first FULL commit. */
  get mustCommitFull(): boolean {
    return this.mustCommitFull_;
  }
  get isActive(): boolean {
    return this.status === "active";
  }
  get tEpoch(): bigint {
    return this.t.epoch;
  }
  get pqEpoch(): bigint {
    return this.pq.epoch;
  }
  /** The traditional group (read access for diagnostics; do not commit to it directly). */
  get traditional(): MlsGroup {
    return this.t;
  }
  /** The post-quantum group (read access for diagnostics; do not commit to it directly). */
  get postQuantum(): MlsGroup {
    return this.pq;
  }
  get ownIdentity(): string {
    return this.identityOfLeaf(this.t, this.t.ownLeafIndex)!;
  }
  members(): string[] {
    return this.t.members().map((m) => this.options.identityOf(m.credential));
  }
  activity(): SessionActivity {
    return { ...this.stats, lastActive: { ...this.stats.lastActive } };
  }
  /** Identities whose pending T Update asks for a FULL commit. */
  pendingFullRequests(): string[] {
    return [...this.fullRequests];
  }

  /** What the policy engine needs to know about this session. */
  snapshot(): SessionSnapshot {
    return {
      established: this.established_,
      mustCommitFull: this.mustCommitFull_,
      commitsSinceFull: this.stats.commitsSinceFull,
      messagesSinceUpdate: this.stats.messagesSinceUpdate,
      lastFullAt: this.stats.lastFullAt,
      lastUpdateAt: this.stats.lastUpdateAt,
      lastActive: { ...this.stats.lastActive },
    };
  }

  /** Which update the policy says is due now. */
  decide(policy: Policy, now = this.options.now()): Decision {
    return decide(policy, this.snapshot(), now, { fullRequests: this.pendingFullRequests() });
  }

  /**
   * Performs the update the policy says is due (if any): creates the commit, hands it to
   * `deliver`, merges it if delivered. Returns the decision. If the delivery service refused the
   * commit (another one won), process the incoming messages and call again.
   */
  async runPolicy(
    policy: Policy,
    deliver: (c: PendingCommit) => Promise<boolean>,
  ): Promise<Decision> {
    const d = this.decide(policy);
    if (d.update === "none") return d;
    const pending = d.update === "FULL" ? await this.fullCommit() : await this.partialCommit();
    if (await deliver(pending)) await pending.merge();
    else {
      pending.discard();
      throw new UsageError(
        `a ${d.update} commit was due (${d.reason}) but the delivery service refused it: process the incoming messages, then retry`,
      );
    }
    return d;
  }

  /** MLS-Exporter of the T group, which carries the session's application keys. */
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
    return this.t.exportSecret(label, context, length);
  }

  private identityOfLeaf(g: MlsGroup, leaf: number): string | undefined {
    const m = g.members().find((x) => x.leafIndex === leaf);
    return m === undefined ? undefined : this.options.identityOf(m.credential);
  }

  private assertActive(): void {
    if (this.status === "removed") throw new UsageError("this member was removed from the session");
  }

  // ------------------------------------------------------------------ sending

  /** Encrypts application data in the T group (only once the session is established). */
  async encrypt(data: Uint8Array, authenticatedData?: Uint8Array): Promise<Uint8Array> {
    this.assertActive();
    if (this.options.auto !== undefined)
      await this.runPolicy(this.options.auto.policy, this.options.auto.deliver);
    if (!this.established_)
      throw new UsageError(
        "the session is not established yet: the first FULL commit must happen before application messages",
      );
    const m = await this.t.encrypt(data, authenticatedData ?? encodeSafeAAD([]));
    this.stats.messagesSinceUpdate++;
    return encodeMessage(m);
  }

  /**
   * Proposes a fresh leaf key. With `full: true` the Update goes to both groups as a pair and its
   * T half carries the FULL-request flag (decision E7); otherwise it is a T-only Update.
   */
  async proposeUpdate(o: { full?: boolean } = {}): Promise<Uint8Array> {
    this.assertActive();
    const publicMessage = this.options.publicHandshakes ?? false;
    if (!o.full) {
      const { message } = await this.t.proposeUpdate({ publicMessage });
      return encodeMessage(message);
    }
    const pqm = await this.pq.proposeUpdate({ publicMessage });
    const tm = await this.t.proposeUpdate({
      publicMessage,
      authenticatedData: encodeSafeAAD([
        { componentId: apqCodePoints().componentId, data: FULL_REQUEST },
      ]),
    });
    this.fullRequests.add(this.ownIdentity);
    return encodeMessagePair({
      wireFormat: publicMessage ? WireFormat.mls_public_message : WireFormat.mls_private_message,
      t: tm.message,
      pq: pqm.message,
    });
  }

  private nextInfo(): ApqInfo {
    return { ...this.info, tEpoch: this.t.epoch + 1n, pqEpoch: this.pq.epoch + 1n };
  }

  /**
   * A FULL commit (decision E12: always with an UpdatePath in both groups): stage the PQ commit,
   * export apq_psk from the staged PQ epoch, stage the T commit with the PSK, send both as one
   * APQMessagePair. Adds and removes are always FULL.
   */
  async fullCommit(
    o: { add?: readonly KeyPackagePair[]; remove?: readonly string[] } = {},
  ): Promise<PendingCommit> {
    this.assertActive();
    const id = this.options.identityOf;
    const removeT: number[] = [];
    const removePq: number[] = [];
    for (const who of o.remove ?? []) {
      const lt = leafOf(this.t.currentState.tree, who, id);
      const lp = leafOf(this.pq.currentState.tree, who, id);
      if (lt === undefined || lp === undefined)
        throw new UsageError(`${who} is not a member of both groups`);
      if (lt === this.t.ownLeafIndex)
        throw new UsageError(
          "a member cannot remove itself; propose an Update or leave out of band",
        );
      removeT.push(lt);
      removePq.push(lp);
    }
    for (const kp of o.add ?? [])
      if (id(kp.t.leafNode.credential) !== id(kp.pq.leafNode.credential))
        throw new UsageError("the two KeyPackages of a pair name different clients");

    const next = this.nextInfo();
    const updates = this.established_ ? epochUpdates(next) : fullUpdate(next);
    const publicMessage = this.options.publicHandshakes ?? false;
    const pqRes = await this.pq.commit({
      add: (o.add ?? []).map((k) => k.pq),
      remove: removePq,
      proposals: updates,
      path: true,
      publicMessage,
    });
    const apq = await deriveApqPsk(
      this.t.suite,
      await stagedSafeExportSecret(pqRes.staged, apqCodePoints().componentId),
    );
    this.tPsks.arm(apq);
    let tRes: Awaited<ReturnType<MlsGroup["commit"]>>;
    try {
      tRes = await this.t.commit({
        add: (o.add ?? []).map((k) => k.t),
        remove: removeT,
        psks: [apqPskId(this.t.suite, apq.pskId)],
        proposals: updates,
        path: true,
        publicMessage,
      });
    } finally {
      this.tPsks.disarm();
    }
    checkMembership(tRes.staged.next.tree, pqRes.staged.next.tree, id);
    const wireFormat = publicMessage
      ? WireFormat.mls_public_message
      : WireFormat.mls_private_message;
    const message = encodeMessagePair({ wireFormat, t: tRes.commit, pq: pqRes.commit });
    const welcome =
      tRes.welcome !== undefined && pqRes.welcome !== undefined
        ? encodeMessagePair({
            wireFormat: WireFormat.mls_welcome,
            t: tRes.welcome,
            pq: pqRes.welcome,
          })
        : undefined;
    return this.pending("full", message, { t: tRes.staged, pq: pqRes.staged }, next, welcome);
  }

  /** A PARTIAL commit: T group only, no Add or Remove, plain MLSMessage. */
  async partialCommit(): Promise<PendingCommit> {
    this.assertActive();
    if (!this.established_)
      throw new UsageError(
        "the first commit of a session must be FULL (it establishes the session)",
      );
    if (this.fullRequests.size > 0)
      throw new UsageError(
        `a FULL commit was requested (by ${[...this.fullRequests].join(", ")}); make a FULL commit`,
      );
    const res = await this.t.commit({
      path: true,
      publicMessage: this.options.publicHandshakes ?? false,
    });
    if (res.staged.added.length > 0 || res.staged.removed.length > 0)
      throw new UsageError("a pending Add or Remove cannot go into a PARTIAL commit");
    return this.pending("partial", encodeMessage(res.commit), { t: res.staged }, undefined);
  }

  /** Wraps a staged own commit: merged at most once, never after `discard()`. */
  private pending(
    kind: "full" | "partial",
    message: Uint8Array,
    staged: Staged,
    next: ApqInfo | undefined,
    welcome?: Uint8Array,
  ): PendingCommit {
    let state: "staged" | "merged" | "discarded" = "staged";
    return {
      kind,
      message,
      ...(welcome === undefined ? {} : { welcome }),
      merge: async () => {
        if (state !== "staged") throw new UsageError(`this commit was already ${state}`);
        await this.mergeOwn(staged, next);
        state = "merged";
      },
      discard: () => {
        if (state === "staged") state = "discarded";
      },
    };
  }

  private async mergeOwn(staged: Staged, next: ApqInfo | undefined): Promise<void> {
    // Both halves must still start from the current epochs: a commit that lost the race to
    // another one (e.g. a PARTIAL commit moved T but not PQ) must change neither group.
    if (
      staged.t.fromEpoch !== this.t.epoch ||
      (staged.pq !== undefined && staged.pq.fromEpoch !== this.pq.epoch)
    )
      throw new UsageError(
        "this commit is for an epoch the session has left (another commit was accepted); discard it",
      );
    if (staged.pq !== undefined) await this.pq.merge(staged.pq);
    await this.t.merge(staged.t);
    this.afterCommit(staged, next, this.ownIdentity);
  }

  private afterCommit(
    staged: Staged,
    next: ApqInfo | undefined,
    committer: string | undefined,
  ): void {
    const now = this.options.now();
    if (staged.pq !== undefined) {
      this.info = next ?? this.info;
      this.established_ = true;
      if (committer === this.ownIdentity) this.mustCommitFull_ = false;
      this.stats.commitsSinceFull = 0;
      this.stats.lastFullAt = now;
    } else this.stats.commitsSinceFull++;
    this.stats.messagesSinceUpdate = 0;
    this.stats.lastUpdateAt = now;
    if (committer !== undefined) this.stats.lastActive[committer] = now;
    for (const l of staged.t.updated) {
      const who = this.identityOfLeaf(this.t, l);
      if (who !== undefined) this.stats.lastActive[who] = now;
    }
    const members = new Set(this.members());
    for (const k of Object.keys(this.stats.lastActive))
      if (!members.has(k)) delete this.stats.lastActive[k];
    for (const m of members) this.stats.lastActive[m] ??= now;
    // A FULL request (flagged Update) is only satisfied by a FULL commit.
    if (staged.pq !== undefined) this.fullRequests.clear();
  }

  // ------------------------------------------------------------------ receiving

  /**
   * Processes a message from the delivery service: an APQMessagePair (FULL commit, external
   * join, paired Update) or a plain T message (PARTIAL commit, Update, application data).
   * Commits are applied at once; a message that fails any check changes nothing in either group.
   */
  async process(bytes: Uint8Array): Promise<ApqReceived> {
    this.assertActive();
    const m = decodeApqMessage(bytes);
    return m.kind === "pair" ? this.processPair(m.pair) : this.processPlain(m.message);
  }

  private messageGroupId(m: MLSMessage): Uint8Array | undefined {
    if (m.wireFormat === WireFormat.mls_public_message) return m.publicMessage.content.groupId;
    if (m.wireFormat === WireFormat.mls_private_message) return m.privateMessage.groupId;
    return undefined;
  }

  private async processPlain(m: MLSMessage): Promise<ApqReceived> {
    const gid = this.messageGroupId(m);
    if (gid !== undefined && bytesEq(gid, this.pq.groupId))
      throw new ValidationError(RULE, "PQ-group messages travel in pairs with their T counterpart");
    const r = await this.t.process(m, { acceptProposal: onlyUpdates });
    switch (r.kind) {
      case "application":
        if (!this.established_)
          throw new ValidationError(RULE, "application data before the first FULL commit");
        this.stats.messagesSinceUpdate++;
        return {
          kind: "application",
          data: r.data,
          sender: this.identityOfLeaf(this.t, r.sender) ?? "",
          authenticatedData: r.authenticatedData,
        };
      case "proposal":
        return this.acceptProposal(r.proposal, r.sender, m);
      case "commit": {
        const staged = r.staged;
        // A PARTIAL commit: no Add/Remove (they must be FULL), no APQ PSK, APQInfo unchanged.
        const ok =
          staged.added.length === 0 &&
          staged.removed.length === 0 &&
          !staged.psks.some(isApqPsk) &&
          (staged.selfRemoved ||
            (sameApqInfo(apqInfoFromExtensions(staged.next.groupContext.extensions)!, this.info) &&
              requiresMessagePair(staged.next.groupContext.extensions)));
        if (!ok)
          throw new ValidationError(
            RULE,
            "a T-only (PARTIAL) commit may not add or remove members, inject the APQ PSK, change APQInfo or drop required_wire_formats",
          );
        const who = this.identityOfLeaf(this.t, staged.committerLeaf);
        await this.t.merge(staged);
        this.afterCommit({ t: staged }, undefined, who);
        return {
          kind: "commit",
          commitKind: "partial",
          sender: who,
          added: [],
          removed: [],
          removedSelf: false,
        };
      }
    }
  }

  private acceptProposal(
    proposal: Proposal,
    sender: { senderType: number },
    m: MLSMessage,
  ): ApqReceived {
    if (proposal.proposalType !== ProposalType.update)
      throw new ValidationError(
        RULE,
        "only Update proposals may be sent on their own; adds and removes are FULL commits",
      );
    const leaf = (sender as { leafIndex?: number }).leafIndex;
    const who = leaf === undefined ? undefined : this.identityOfLeaf(this.t, leaf);
    const aad =
      m.wireFormat === WireFormat.mls_public_message
        ? m.publicMessage.content.authenticatedData
        : m.wireFormat === WireFormat.mls_private_message
          ? m.privateMessage.authenticatedData
          : new Uint8Array(0);
    const flag = safeAADItem(aad, apqCodePoints().componentId);
    const full = flag !== undefined && flag.length === 1 && flag[0] === 1;
    if (full && who !== undefined) this.fullRequests.add(who);
    return { kind: "proposal", full, sender: who };
  }

  private async processPair(p: ApqMessagePair): Promise<ApqReceived> {
    checkMessagePair(p);
    if (
      p.wireFormat !== WireFormat.mls_public_message &&
      p.wireFormat !== WireFormat.mls_private_message
    )
      throw new ValidationError(RULE, "a group member receives commit or proposal pairs only");
    if (
      !bytesEq(this.messageGroupId(p.t)!, this.t.groupId) ||
      !bytesEq(this.messageGroupId(p.pq)!, this.pq.groupId)
    )
      throw new ValidationError(RULE, "the pair's messages are not for this session's two groups");

    // PQ first (receivers derive the new PQ epoch, then the T one). For a proposal pair, the T
    // half is processed inside the PQ half's acceptProposal hook, which MlsGroup.process runs
    // after authenticating the PQ proposal and before it consumes its key or stores it: a T half
    // that fails leaves both groups as they were (nothing half-applied, RFC 9420 §9.2 keys
    // included).
    let tProposal: Awaited<ReturnType<MlsGroup["process"]>> | undefined;
    const pqr = await this.pq.process(p.pq, {
      acceptProposal: async (proposal) => {
        onlyUpdates(proposal);
        tProposal = await this.t.process(p.t, { acceptProposal: onlyUpdates });
        if (tProposal.kind !== "proposal")
          throw new ValidationError(RULE, "both halves of a proposal pair must be proposals");
      },
    });
    if (pqr.kind === "application")
      throw new ValidationError(RULE, "a pair must not carry application data");
    if (pqr.kind === "proposal") {
      if (tProposal?.kind !== "proposal")
        throw new InternalError("the T half of a proposal pair was not processed");
      return this.acceptProposal(tProposal.proposal, tProposal.sender, p.t);
    }

    const stagedPq = pqr.staged;
    let apq: ApqPsk | undefined;
    if (!stagedPq.selfRemoved)
      apq = await deriveApqPsk(
        this.t.suite,
        await stagedSafeExportSecret(stagedPq, apqCodePoints().componentId),
      );
    if (apq !== undefined) this.tPsks.arm(apq);
    let tr: Awaited<ReturnType<MlsGroup["process"]>>;
    try {
      tr = await this.t.process(p.t, { acceptProposal: refuseProposal });
    } finally {
      this.tPsks.disarm();
    }
    if (tr.kind !== "commit")
      throw new ValidationError(RULE, "both halves of a commit pair must be commits");
    const stagedT = tr.staged;
    const id = this.options.identityOf;

    if (stagedT.selfRemoved || stagedPq.selfRemoved) {
      if (!(stagedT.selfRemoved && stagedPq.selfRemoved))
        throw new ValidationError(RULE, "a member must be removed from both groups at once");
      await this.pq.merge(stagedPq);
      await this.t.merge(stagedT);
      this.status = "removed";
      return {
        kind: "commit",
        commitKind: "full",
        sender: undefined,
        added: [],
        removed: [this.ownIdentity],
        removedSelf: true,
      };
    }

    // The FULL commit's checks (digest §1.13): an UpdatePath in both groups (decision E12), PSK
    // present, APQInfo consistent, pairs still required, same members.
    if (!stagedT.pathIncluded || !stagedPq.pathIncluded)
      throw new ValidationError(RULE, "a FULL commit must carry an UpdatePath in both groups");
    if (
      !requiresMessagePair(stagedT.next.groupContext.extensions) ||
      !requiresMessagePair(stagedPq.next.groupContext.extensions)
    )
      throw new ValidationError(
        RULE,
        "both GroupContexts must keep requiring the apq_message_pair wire format",
      );
    const psk = stagedT.psks.find(isApqPsk);
    if (
      psk === undefined ||
      apq === undefined ||
      psk.psktype !== ExtPSKType.application ||
      !constantTimeEqual(psk.pskId, apq.pskId)
    )
      throw new ValidationError(
        `${RULE} §Key Schedule`,
        "the T commit of a FULL commit must inject the APQ PSK",
      );
    const ti = apqInfoFromExtensions(stagedT.next.groupContext.extensions);
    const pi = apqInfoFromExtensions(stagedPq.next.groupContext.extensions);
    if (ti === undefined || pi === undefined || !sameApqInfo(ti, pi))
      throw new ValidationError(`${RULE} §Validating APQInfo`, "the two groups' APQInfo differ");
    if (!sameApqSession(ti, this.info))
      throw new ValidationError(
        `${RULE} §Updating APQInfo`,
        "only the epochs of APQInfo may change",
      );
    if (
      ti.tEpoch !== stagedT.next.groupContext.epoch ||
      ti.pqEpoch !== stagedPq.next.groupContext.epoch
    )
      throw new ValidationError(
        `${RULE} §Updating APQInfo`,
        "APQInfo must record the two new epochs",
      );
    checkMembership(stagedT.next.tree, stagedPq.next.tree, id);
    const tCommitter = this.committerIdentity(stagedT);
    const pqCommitter = this.committerIdentity(stagedPq);
    if (tCommitter !== pqCommitter)
      throw new ValidationError(RULE, "the two commits of a pair come from different clients");

    const before = new Set(this.members());
    await this.pq.merge(stagedPq);
    await this.t.merge(stagedT);
    this.afterCommit({ t: stagedT, pq: stagedPq }, ti, tCommitter);
    const after = new Set(this.members());
    return {
      kind: "commit",
      commitKind: "full",
      sender: tCommitter,
      added: [...after].filter((x) => !before.has(x)),
      removed: [...before].filter((x) => !after.has(x)),
      removedSelf: false,
    };
  }

  /** The identity of a staged commit's sender (external joiners: in the new tree). */
  private committerIdentity(staged: StagedCommit): string | undefined {
    const leaf = staged.next.tree.leaf(staged.committerLeaf);
    return leaf === undefined ? undefined : this.options.identityOf(leaf.credential);
  }

  // ------------------------------------------------------------------ persistence

  /** The whole session (both groups, APQInfo, activity) as a versioned blob containing secrets. */
  serialize(): Uint8Array {
    const w = new Writer(16384);
    w.u32(0x4150514d); // "APQM"
    w.u16(1);
    w.u8(this.status === "active" ? 0 : 1);
    w.bool(this.established_);
    w.bool(this.mustCommitFull_);
    w.opaque(encodeActivityRecord(this.stats));
    w.vector([...this.fullRequests], (w2, s) => w2.opaque(new TextEncoder().encode(s)));
    w.opaque(this.t.serialize());
    w.opaque(this.pq.serialize());
    return w.finish();
  }

  static deserialize(bytes: Uint8Array, o: ApqSessionOptions = {}): ApqSession {
    const r = new Reader(bytes);
    if (r.u32() !== 0x4150514d) throw new UsageError("not an APQ session blob");
    const v = r.u16();
    if (v !== 1) throw new UsageError(`unsupported APQ session blob version ${v}`);
    const removed = r.u8() === 1;
    const established = r.bool();
    const mustCommitFull = r.bool();
    const activity = decodeActivityRecord(r.opaque());
    const requests = r.vector((r2) => new TextDecoder().decode(r2.opaque()));
    const tBytes = r.opaque();
    const pqBytes = r.opaque();
    r.expectEnd();
    const tPsks = new ApqPskStore(o.psks);
    const config = apqGroupConfig(o.config);
    const t = MlsGroup.deserialize(tBytes, { config, psks: tPsks });
    const pq = MlsGroup.deserialize(pqBytes, { config });
    const info = apqInfoFromExtensions(pq.groupContext.extensions);
    if (info === undefined) throw new UsageError("the saved PQ group has no APQInfo");
    const s = new ApqSession(
      t,
      pq,
      info,
      tPsks,
      { ...o, identityOf: o.identityOf ?? defaultIdentityOf, now: o.now ?? Date.now },
      established,
      mustCommitFull,
    );
    s.stats = activity;
    for (const x of requests) s.fullRequests.add(x);
    if (removed) s.status = "removed";
    return s;
  }
}

function appDataUpdate(u: ApqInfoUpdate): Proposal {
  return {
    proposalType: ExtProposalType.app_data_update,
    componentId: apqCodePoints().componentId,
    op: AppDataUpdateOperation.update,
    update: encodeBytes(apqInfoUpdateCodec, u),
  };
}

/** The first FULL commit's AppDataUpdate: the whole APQInfo (draft "Updating APQInfo"). */
function fullUpdate(next: ApqInfo): Proposal[] {
  return [appDataUpdate({ updateType: ApqUpdateType.full_update, info: next })];
}

/** Later FULL commits: the new_t_epoch + new_pq_epoch pair. */
function epochUpdates(next: ApqInfo): Proposal[] {
  return [
    appDataUpdate({ updateType: ApqUpdateType.new_t_epoch, epoch: next.tEpoch }),
    appDataUpdate({ updateType: ApqUpdateType.new_pq_epoch, epoch: next.pqEpoch }),
  ];
}

function isApqPsk(p: PreSharedKeyID): boolean {
  return p.psktype === ExtPSKType.application && p.componentId === apqCodePoints().componentId;
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Proposals sent on their own (plain or paired) may only be Updates; refused before storing. */
function onlyUpdates(proposal: Proposal): void {
  if (proposal.proposalType !== ProposalType.update)
    throw new ValidationError(
      RULE,
      "only Update proposals may be sent on their own; adds and removes are FULL commits",
    );
}

/** The T half of a commit pair must be a commit; a proposal there is refused before storing. */
function refuseProposal(): void {
  throw new ValidationError(RULE, "both halves of a commit pair must be commits");
}
