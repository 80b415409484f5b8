import { decodeBytes, encodeBytes } from "../codec/codec.js";
import { Reader } from "../codec/reader.js";
import { Writer } from "../codec/writer.js";
import type { CipherSuite, KeyPair } from "../crypto/provider.js";
import { getCipherSuite } from "../crypto/suites.js";
import { CodecError, UsageError, ValidationError } from "../errors.js";
import { ExtProposalType } from "../extensions/codepoints.js";
import { componentData } from "../extensions/components.js";
import { encodeSafeAAD, groupUsesSafeAAD, parseSafeAAD } from "../extensions/safe.js";
import { signFramedContent } from "../framing/contentAuth.js";
import { protectPrivateMessage } from "../framing/privateMessage.js";
import { protectPublicMessage } from "../framing/publicMessage.js";
import { deriveEpochSecrets, mlsExporter } from "../schedule/keySchedule.js";
import { SecretTree } from "../schedule/secretTree.js";
import { computeConfirmationTag } from "../schedule/transcript.js";
import { signLeafNode, supportsGroupContextExtensions } from "../tree/leafNodeValidation.js";
import { RatchetTree } from "../tree/ratchetTree.js";
import { validateRatchetTree } from "../tree/treeValidation.js";
import { type LeafIndex, leafToNode, toLeafIndex } from "../treemath.js";
import { fromHex, toHex, utf8, wipe } from "../util/bytes.js";
import type { Credential } from "../wire/credential.js";
import {
  ContentType,
  LeafNodeSource,
  ProposalType,
  ProtocolVersion,
  PSKType,
  ResumptionPSKUsage,
  SenderType,
  WireFormat,
} from "../wire/enums.js";
import { checkUniqueExtensions, type Extension } from "../wire/extension.js";
import {
  type AuthenticatedContent,
  type ContentBody,
  type FramedContent,
  senderCodec,
} from "../wire/framing.js";
import { type GroupContext, groupContextCodec } from "../wire/groupContext.js";
import type { GroupInfo } from "../wire/groupInfo.js";
import type { KeyPackage } from "../wire/keyPackage.js";
import type { Capabilities } from "../wire/leafNode.js";
import { type MLSMessage, mlsMessageCodec } from "../wire/mlsMessage.js";
import { type Proposal, proposalCodec, type ReInitProposal } from "../wire/proposal.js";
import { type PreSharedKeyID, preSharedKeyIDCodec } from "../wire/psk.js";
import type { Welcome } from "../wire/welcome.js";
import {
  type CommitRuntime,
  type CreatedCommit,
  createCommit,
  createExternalCommit,
  processCommit,
  type StagedCommit,
} from "./commit.js";
import { type GroupConfig, groupConfig } from "./config.js";
import {
  type EpochState,
  encodeGroupContext,
  epochTrees,
  interimAfter,
  type NodeKey,
} from "./epoch.js";
import {
  externalPubExtension,
  externalPubFromExtensions,
  ratchetTreeExtension,
  ratchetTreeFromExtensions,
  signGroupInfo,
  verifyGroupInfoSignature,
} from "./groupInfo.js";
import { sameClient } from "./identity.js";
import { joinFromWelcome, type ResumedGroupView } from "./join.js";
import { defaultCapabilities, defaultLifetime, type KeyPackageBundle } from "./keyPackage.js";
import { type CommittedProposal, checkProposalSender } from "./proposals.js";
import { NO_PSKS, type PskStore, resolvePsks } from "./psk.js";
import { type EpochKeys, proposalRef, unprotectAndVerify } from "./receive.js";
import {
  readEpochState,
  readHeader,
  secretTreeStateCodec,
  treeCodec,
  writeEpochState,
  writeHeader,
} from "./stateCodec.js";

const STATE_KIND_GROUP = 1;
const STATUS_CODES = ["active", "removed", "reinit"] as const;

/** A member of the group, as the API reports it. */
export interface Member {
  readonly leafIndex: number;
  readonly credential: Credential;
  readonly signatureKey: Uint8Array;
  readonly encryptionKey: Uint8Array;
}

/** The result of processing one message. */
export type ProcessedMessage =
  | {
      readonly kind: "application";
      readonly data: Uint8Array;
      readonly sender: number;
      readonly epoch: bigint;
      readonly authenticatedData: Uint8Array;
    }
  | {
      readonly kind: "proposal";
      readonly proposal: Proposal;
      readonly ref: Uint8Array;
      readonly sender: AuthenticatedContent["content"]["sender"];
    }
  | { readonly kind: "commit"; readonly staged: StagedCommit };

export interface CommitOptions {
  /** New members to add. */
  readonly add?: readonly KeyPackage[];
  /** Leaf indices to remove. */
  readonly remove?: readonly number[];
  /** PSKs to inject (ids; values come from the PSK store). */
  readonly psks?: readonly PreSharedKeyID[];
  /** Replace the GroupContext extensions. */
  readonly groupContextExtensions?: Extension[];
  /** Other proposals by value. */
  readonly proposals?: readonly Proposal[];
  /**
   * Commit the pending proposals received this epoch (default true), one per leaf as §12.2
   * requires: a Remove wins over Updates, else the most recent Update; proposals about leaves
   * this commit removes by value, and Removes of the committer, are left out.
   */
  readonly includePending?: boolean;
  /** Further narrows the pending proposals taken into the commit (after the §12.2 choice). */
  readonly pendingFilter?: (p: {
    readonly proposal: Proposal;
    readonly ref: Uint8Array;
    readonly sender: number | undefined;
  }) => boolean;
  /** Always include an UpdatePath (default true; false sends none when none is required). */
  readonly path?: boolean;
  /** Send the commit as a PublicMessage rather than a PrivateMessage. */
  readonly publicMessage?: boolean;
  readonly authenticatedData?: Uint8Array;
  /** Put the ratchet tree into the Welcome (default true). */
  readonly ratchetTreeInWelcome?: boolean;
  /**
   * Also return a signed GroupInfo of the new epoch (with ratchet_tree and external_pub) for
   * external joiners (default false: it encodes the whole tree).
   */
  readonly groupInfo?: boolean;
}

export interface ProcessOptions {
  /**
   * Called for a proposal after it was authenticated and before it is stored as pending or its
   * key consumed; throwing refuses the proposal and leaves the group unchanged.
   */
  readonly acceptProposal?: (
    proposal: Proposal,
    sender: AuthenticatedContent["content"]["sender"],
    authenticatedData: Uint8Array,
  ) => void | Promise<void>;
}

export interface CommitResult {
  readonly commit: MLSMessage;
  readonly welcome?: MLSMessage;
  /** The GroupInfo of the new epoch, when `groupInfo: true` was asked for. */
  readonly groupInfo?: MLSMessage;
  /** Merge with `group.merge(staged)` once the delivery service accepted the commit. */
  readonly staged: StagedCommit;
}

interface PendingProposal extends CommittedProposal {
  readonly ref: Uint8Array;
}

/** Decryption material of a past epoch, kept for late application messages (§14.4). */
interface RetainedEpoch extends EpochKeys {}

export interface CreateGroupOptions {
  readonly suite: CipherSuite;
  readonly credential: Credential;
  readonly signatureKeyPair: KeyPair;
  /** Random Nh bytes if not given (§11). */
  readonly groupId?: Uint8Array;
  readonly capabilities?: Capabilities;
  readonly groupContextExtensions?: Extension[];
  readonly leafExtensions?: Extension[];
  readonly config?: Partial<GroupConfig>;
  readonly psks?: PskStore;
}

export interface ExternalJoinOptions {
  readonly suite: CipherSuite;
  readonly groupInfo: MLSMessage | GroupInfo;
  readonly ratchetTree?: RatchetTree;
  readonly credential: Credential;
  readonly signatureKeyPair: KeyPair;
  readonly capabilities?: Capabilities;
  readonly leafExtensions?: Extension[];
  /** Remove this leaf (an old appearance of the joiner) in the same commit: "resync". */
  readonly removeLeaf?: number;
  /** PSKs to inject (their values come from `psks`). */
  readonly pskIds?: PreSharedKeyID[];
  /** Further proposals for the external commit (AppDataUpdate, AppEphemeral). */
  readonly proposals?: readonly Proposal[];
  readonly psks?: PskStore;
  readonly authenticatedData?: Uint8Array;
  readonly config?: Partial<GroupConfig>;
}

export interface JoinOptions {
  readonly suite: CipherSuite;
  readonly welcome: MLSMessage | Welcome;
  readonly keyPackage: KeyPackageBundle;
  readonly ratchetTree?: RatchetTree;
  readonly config?: Partial<GroupConfig>;
  readonly psks?: PskStore;
  /**
   * This member's state in the old group, when the Welcome reinitialises or branches it (a
   * resumption PSK with usage reinit or branch, RFC 9420 §11.2, §11.3): the PSK's value comes
   * from it, and the new group is checked against it (§12.4.3.1). Such a Welcome is refused
   * without it. The old group is not changed.
   */
  readonly resumedFrom?: MlsGroup;
}

/**
 * Creating the group that continues an old one (RFC 9420 §11.2 reinitialisation, §11.3
 * branching): the new group's first commit adds the other members and injects the old group's
 * resumption PSK.
 */
export interface ResumeOptions {
  /**
   * Fresh KeyPackages of the other members of the new group (for a reinit: of the ReInit's
   * cipher suite and version).
   */
  readonly keyPackages: readonly KeyPackage[];
  /**
   * This member's signature key pair in the new group. Default: its key pair in the old group,
   * which only serves when the cipher suite stays the same.
   */
  readonly signatureKeyPair?: KeyPair;
  /** Default: this member's credential in the old group. */
  readonly credential?: Credential;
  readonly capabilities?: Capabilities;
  readonly leafExtensions?: Extension[];
  /** Default: the old group's configuration. */
  readonly config?: Partial<GroupConfig>;
  /** Default: the old group's PSK store. */
  readonly psks?: PskStore;
  /** Put the ratchet tree into the Welcome (default true). */
  readonly ratchetTreeInWelcome?: boolean;
  /** Also return a signed GroupInfo of the new group's epoch 1 (default false). */
  readonly groupInfo?: boolean;
  readonly authenticatedData?: Uint8Array;
}

export interface ReinitOptions extends ResumeOptions {
  /** The implementation of the ReInit's cipher suite; default `getCipherSuite(id)`. */
  readonly suite?: CipherSuite;
}

export interface BranchOptions extends ResumeOptions {
  /** The subgroup's group id; random KDF.Nh bytes if not given (§11). */
  readonly groupId?: Uint8Array;
  /** The subgroup's GroupContext extensions; default the old group's. */
  readonly groupContextExtensions?: Extension[];
}

/** A new group created by `reinitSuccessor` or `branch`, with its first commit. */
export interface ResumedGroup extends CommitResult {
  /** The new group, in epoch 0 until `group.merge(staged)`; the Welcome is for epoch 1. */
  readonly group: MlsGroup;
}

function welcomeOf(w: MLSMessage | Welcome): Welcome {
  if ("wireFormat" in w) {
    if (w.wireFormat !== WireFormat.mls_welcome) throw new UsageError("not a Welcome message");
    return w.welcome;
  }
  return w;
}

/**
 * One member's view of one MLS group, and the operations it can perform. The object holds the
 * current epoch; a commit (own or received) comes back as a `StagedCommit` and only `merge()`
 * moves the group to the next epoch.
 */
export class MlsGroup {
  private readonly pending = new Map<string, PendingProposal>();
  /** Work deferred to the merge of a staged commit (deleting its handshake key). */
  private readonly onMerge = new WeakMap<StagedCommit, () => void>();
  /** Private keys of our own Update proposals not yet committed, by public key. */
  private readonly pendingLeafKeys = new Map<string, Uint8Array>();
  private past: RetainedEpoch[] = [];
  private readonly resumptionPsks = new Map<bigint, Uint8Array>();
  private status: "active" | "removed" | "reinit" = "active";
  /** The ReInit proposal of the commit that moved the group to status "reinit" (§11.2). */
  private reinit: ReInitProposal | undefined;

  private constructor(
    private state: EpochState,
    readonly config: GroupConfig,
    private readonly psks: PskStore,
  ) {
    this.resumptionPsks.set(state.groupContext.epoch, state.secrets.resumptionPsk);
  }

  // ---------------------------------------------------------------- creation

  /** §11: a new one-member group at epoch 0. */
  static async create(o: CreateGroupOptions): Promise<MlsGroup> {
    const suite = o.suite;
    const config = groupConfig(o.config);
    const extensions = o.groupContextExtensions ?? [];
    checkUniqueExtensions(extensions, "GroupContext");
    const capabilities = o.capabilities ?? defaultCapabilities(suite);
    if (!supportsGroupContextExtensions(capabilities, extensions))
      throw new UsageError(
        "the creator's capabilities must list the group's extensions (RFC 9420 §13.4)",
      );
    const leafKeys = await suite.hpke.kem.generateKeyPair();
    const leaf = await signLeafNode(suite, o.signatureKeyPair.privateKey, {
      encryptionKey: leafKeys.publicKey,
      signatureKey: o.signatureKeyPair.publicKey,
      credential: o.credential,
      capabilities,
      leafNodeSource: LeafNodeSource.key_package,
      lifetime: defaultLifetime(config.now()),
      extensions: o.leafExtensions ?? [],
    });
    const tree = RatchetTree.create(leaf);
    const groupContext: GroupContext = {
      version: ProtocolVersion.mls10,
      cipherSuite: suite.id,
      groupId: o.groupId ?? suite.randomBytes(suite.kdf.Nh),
      epoch: 0n,
      treeHash: await tree.treeHash(suite),
      confirmedTranscriptHash: new Uint8Array(0),
      extensions,
    };
    const epochSecret = suite.randomBytes(suite.kdf.Nh);
    const secrets = await deriveEpochSecrets(suite, epochSecret);
    wipe(epochSecret);
    const confirmationTag = await computeConfirmationTag(
      suite,
      secrets.confirmationKey,
      groupContext.confirmedTranscriptHash,
    );
    const myLeaf = toLeafIndex(0);
    const state: EpochState = {
      suite,
      groupContext,
      groupContextBytes: encodeGroupContext(groupContext),
      tree,
      myLeaf,
      privateKeys: new Map<number, NodeKey>([
        [leafToNode(myLeaf), { privateKey: leafKeys.privateKey, publicKey: leafKeys.publicKey }],
      ]),
      signaturePrivateKey: o.signatureKeyPair.privateKey,
      interimTranscriptHash: await interimAfter(suite, new Uint8Array(0), confirmationTag),
      confirmationTag,
      secrets,
      ...epochTrees(suite, secrets, tree, config.secretTree),
    };
    return new MlsGroup(state, config, o.psks ?? NO_PSKS);
  }

  /** §12.4.3.1: joins from a Welcome with one of this client's KeyPackages. */
  static async join(o: JoinOptions): Promise<MlsGroup> {
    const config = groupConfig(o.config);
    const psks = o.psks ?? NO_PSKS;
    const from = o.resumedFrom;
    const joined = await joinFromWelcome({
      suite: o.suite,
      welcome: welcomeOf(o.welcome),
      keyPackage: o.keyPackage,
      ...(o.ratchetTree === undefined ? {} : { ratchetTree: o.ratchetTree }),
      config,
      // The old group's resumption PSKs (reinit, branch, or an application's resumption).
      resolvePsks: (ids) =>
        resolvePsks(ids, psks, (groupId, epoch) =>
          from !== undefined && equalBytes(groupId, from.groupId)
            ? from.resumptionPsks.get(epoch)
            : undefined,
        ),
      ...(from === undefined ? {} : { resumedFrom: from.resumedView() }),
    });
    return new MlsGroup(joined.state, config, psks);
  }

  /**
   * §12.4.3.2: joins by external commit using a GroupInfo with `external_pub`. Returns the group
   * (already in the new epoch) and the commit to send; if the delivery service rejects the commit,
   * drop the returned group and try again with a fresh GroupInfo.
   */
  static async joinExternal(
    o: ExternalJoinOptions,
  ): Promise<{ group: MlsGroup; commit: MLSMessage }> {
    const suite = o.suite;
    const config = groupConfig(o.config);
    const psks = o.psks ?? NO_PSKS;
    const gi =
      "wireFormat" in o.groupInfo
        ? o.groupInfo.wireFormat === WireFormat.mls_group_info
          ? o.groupInfo.groupInfo
          : (() => {
              throw new UsageError("not a GroupInfo message");
            })()
        : o.groupInfo;
    const gc = gi.groupContext;
    if (gc.cipherSuite !== suite.id)
      throw new UsageError("the GroupInfo is for another cipher suite");
    const tree = ratchetTreeFromExtensions(gi.extensions) ?? o.ratchetTree?.clone();
    if (tree === undefined)
      throw new UsageError("the GroupInfo carries no ratchet tree: pass `ratchetTree`");
    await verifyGroupInfoSignature(suite, gi, tree);
    if (!equalBytes(await tree.treeHash(suite), gc.treeHash))
      throw new ValidationError(
        "RFC9420 §12.4.3.2",
        "the ratchet tree does not match the GroupInfo",
      );
    await validateRatchetTree(tree, {
      suite,
      groupId: gc.groupId,
      groupContextExtensions: gc.extensions,
      identity: config.identity,
      ...(config.checkReceivedLifetimes ? { now: config.now() } : {}),
    });
    const externalPub = externalPubFromExtensions(gi.extensions);
    if (externalPub === undefined)
      throw new UsageError("the GroupInfo has no external_pub extension (RFC 9420 §12.4.3.2)");
    const capabilities = o.capabilities ?? defaultCapabilities(suite);
    if (!supportsGroupContextExtensions(capabilities, gc.extensions))
      throw new ValidationError(
        "RFC9420 §13.4",
        "this client does not support the group's extensions",
      );
    const { state, authContent } = await createExternalCommit({
      suite,
      groupContext: gc,
      tree,
      confirmationTag: gi.confirmationTag,
      externalPub,
      leafTemplate: {
        signatureKey: o.signatureKeyPair.publicKey,
        credential: o.credential,
        capabilities,
        extensions: o.leafExtensions ?? [],
      },
      signaturePrivateKey: o.signatureKeyPair.privateKey,
      ...(o.removeLeaf === undefined ? {} : { removeLeaf: toLeafIndex(o.removeLeaf) }),
      psks: o.pskIds ?? [],
      ...(o.proposals === undefined ? {} : { extraProposals: o.proposals }),
      authenticatedData: o.authenticatedData ?? new Uint8Array(0),
      config,
      resolvePsks: (ids) => resolvePsks(ids, psks, () => undefined),
    });
    const publicMessage = await protectPublicMessage(
      suite,
      authContent,
      undefined,
      encodeGroupContext(gc),
    );
    return {
      group: new MlsGroup(state, config, psks),
      commit: {
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mls_public_message,
        publicMessage,
      },
    };
  }

  // ---------------------------------------------------------------- reinit and branch

  /**
   * §11.2 / §12.4.1: after a commit with a ReInit was merged, creates the new group with the
   * ReInit's group_id, version, cipher_suite and extensions, and its first commit: it adds the
   * other members of this group (from fresh KeyPackages: every other member exactly once, no one
   * else) and injects this group's last resumption PSK with usage reinit. Any member of the old
   * group may do it. Send `welcome` to the others (they join with `resumedFrom`), then
   * `group.merge(staged)`. This group is not changed.
   */
  async reinitSuccessor(o: ReinitOptions): Promise<ResumedGroup> {
    if (this.status !== "reinit")
      throw new UsageError("the group's last commit contained no ReInit (RFC 9420 §11.2)");
    const ri = this.reinit;
    if (ri === undefined)
      throw new UsageError("the ReInit of this group was not recorded (state of an older version)");
    if (ri.version !== ProtocolVersion.mls10)
      throw new UsageError(`the ReInit's protocol version ${ri.version} is not supported`);
    const suite = o.suite ?? getCipherSuite(ri.cipherSuite);
    if (suite.id !== ri.cipherSuite)
      throw new UsageError(`the ReInit is for cipher suite ${ri.cipherSuite}, not ${suite.id}`);
    // §12.4.1: "with the same members as the original group".
    const others = this.members().filter((m) => m.leafIndex !== this.ownLeafIndex);
    const identity = groupConfig(o.config ?? this.config).identity;
    for (const m of others)
      if (!o.keyPackages.some((kp) => sameClient(identity, kp.leafNode.credential, m.credential)))
        throw new ValidationError(
          "RFC9420 §12.4.1",
          `no KeyPackage for the member at leaf ${m.leafIndex}: the new group must have the same members`,
        );
    this.checkResumedMembers(o.keyPackages, identity, "RFC9420 §12.4.1");
    return this.createResumed(o, {
      suite,
      groupId: ri.groupId,
      extensions: ri.extensions,
      usage: ResumptionPSKUsage.reinit,
    });
  }

  /**
   * §11.3: creates a subgroup of this group with the same version and cipher suite: its first
   * commit adds the given members (fresh KeyPackages of members of this group, other than this
   * one) and injects this epoch's resumption PSK with usage branch. Send `welcome` to them (they
   * join with `resumedFrom`), then `group.merge(staged)`. This group is not changed.
   */
  async branch(o: BranchOptions): Promise<ResumedGroup> {
    if (this.status === "removed") throw new UsageError("this member was removed from the group");
    const identity = groupConfig(o.config ?? this.config).identity;
    this.checkResumedMembers(o.keyPackages, identity, "RFC9420 §11.3");
    return this.createResumed(o, {
      suite: this.suite,
      groupId: o.groupId ?? this.suite.randomBytes(this.suite.kdf.Nh),
      extensions: o.groupContextExtensions ?? this.state.groupContext.extensions,
      usage: ResumptionPSKUsage.branch,
    });
  }

  /** Each KeyPackage names a member of this group other than this one (§11.2, §11.3). */
  private checkResumedMembers(
    keyPackages: readonly KeyPackage[],
    identity: GroupConfig["identity"],
    rule: string,
  ): void {
    const me = this.state.tree.leaf(this.state.myLeaf)!;
    const members = this.members();
    keyPackages.forEach((kp, i) => {
      const c = kp.leafNode.credential;
      if (sameClient(identity, c, me.credential))
        throw new ValidationError(rule, "a KeyPackage for the creator of the new group itself");
      if (!members.some((m) => sameClient(identity, c, m.credential)))
        throw new ValidationError(
          rule,
          "a KeyPackage for a client that is not a member of the group",
        );
      if (keyPackages.slice(0, i).some((k) => sameClient(identity, c, k.leafNode.credential)))
        throw new ValidationError(rule, "two KeyPackages for the same member");
    });
  }

  private async createResumed(
    o: ResumeOptions,
    p: {
      suite: CipherSuite;
      groupId: Uint8Array;
      extensions: readonly Extension[];
      usage: number;
    },
  ): Promise<ResumedGroup> {
    const s = this.state;
    const myLeaf = s.tree.leaf(s.myLeaf)!;
    const psk = this.resumptionPsks.get(this.epoch);
    if (psk === undefined)
      throw new UsageError(`the resumption PSK of epoch ${this.epoch} is no longer kept`);
    let signatureKeyPair = o.signatureKeyPair;
    if (signatureKeyPair === undefined) {
      if (p.suite.id !== this.suite.id)
        throw new UsageError("a new cipher suite needs a new signature key pair");
      signatureKeyPair = { publicKey: myLeaf.signatureKey, privateKey: s.signaturePrivateKey };
    }
    const group = await MlsGroup.create({
      suite: p.suite,
      credential: o.credential ?? myLeaf.credential,
      signatureKeyPair,
      groupId: p.groupId,
      groupContextExtensions: [...p.extensions],
      ...(o.capabilities === undefined ? {} : { capabilities: o.capabilities }),
      ...(o.leafExtensions === undefined ? {} : { leafExtensions: o.leafExtensions }),
      config: o.config ?? this.config,
      psks: o.psks ?? this.psks,
    });
    // §11.2 / §11.3: psk_group_id the old group, psk_epoch its current epoch, a fresh nonce of
    // the new group's KDF.Nh bytes.
    const id: PreSharedKeyID = {
      psktype: PSKType.resumption,
      usage: p.usage,
      pskGroupId: this.groupId,
      pskEpoch: this.epoch,
      pskNonce: p.suite.randomBytes(p.suite.kdf.Nh),
    };
    const me: CommittedProposal["sender"] = {
      senderType: SenderType.member,
      leafIndex: group.state.myLeaf,
    };
    const proposals: Proposal[] = [
      ...o.keyPackages.map(
        (keyPackage) => ({ proposalType: ProposalType.add, keyPackage }) as const,
      ),
      { proposalType: ProposalType.psk, psk: id },
    ];
    const runtime: CommitRuntime = {
      config: group.config,
      resolvePsks: (ids) =>
        resolvePsks(ids, group.psks, (groupId, epoch) =>
          equalBytes(groupId, id.pskGroupId) && epoch === id.pskEpoch ? psk : undefined,
        ),
    };
    const created = await createCommit(group.state, runtime, {
      proposals: proposals.map((proposal) => ({ byValue: { proposal, sender: me } })),
      forcePath: true,
      wireFormat: group.config.handshakeAsPublicMessage
        ? WireFormat.mls_public_message
        : WireFormat.mls_private_message,
      authenticatedData: group.aad(o.authenticatedData),
      ratchetTreeInWelcome: o.ratchetTreeInWelcome ?? true,
      groupInfo: o.groupInfo ?? false,
      resumption: id,
    });
    return { group, ...(await group.commitResult(created)) };
  }

  /** What a joiner checks a reinit/branch Welcome against (§12.4.3.1). */
  private resumedView(): ResumedGroupView {
    const s = this.state;
    const leaves = (tree: RatchetTree) => [...tree.members()].map(([, l]) => l);
    return {
      groupContext: s.groupContext,
      ...(this.status === "reinit" && this.reinit !== undefined ? { reinit: this.reinit } : {}),
      membersAt: (epoch) => {
        if (epoch === s.groupContext.epoch) return leaves(s.tree);
        const past = this.past.find((e) => e.epoch === epoch);
        return past === undefined ? undefined : leaves(past.tree);
      },
    };
  }

  /**
   * A group object over an epoch state built by other means (tools that synthesise large groups,
   * e.g. benchmarks). The state must be internally consistent; nothing is re-validated.
   */
  static fromEpochState(
    state: EpochState,
    config: Partial<GroupConfig> = {},
    psks: PskStore = NO_PSKS,
  ): MlsGroup {
    return new MlsGroup(state, groupConfig(config), psks);
  }

  /**
   * The whole member state as a versioned binary blob: the current epoch, pending proposals,
   * retained past epochs and resumption PSKs. It contains private keys and secrets; store it
   * encrypted. Restore with `MlsGroup.deserialize`.
   */
  serialize(): Uint8Array {
    const w = new Writer(8192);
    writeHeader(w, STATE_KIND_GROUP);
    w.u8(STATUS_CODES.indexOf(this.status));
    writeEpochState(w, this.state);
    w.vector([...this.pending.values()], (w2, p) => {
      w2.opaque(p.ref);
      senderCodec.encode(w2, p.sender);
      proposalCodec.encode(w2, p.proposal);
    });
    w.vector([...this.pendingLeafKeys], (w2, [pubHex, priv]) => {
      w2.opaque(fromHex(pubHex));
      w2.opaque(priv);
    });
    w.vector(this.past, (w2, e) => {
      groupContextCodec.encode(w2, decodeBytes(groupContextCodec, e.groupContextBytes));
      treeCodec.encode(w2, e.tree);
      w2.opaque(e.membershipKey);
      w2.opaque(e.senderDataSecret);
      secretTreeStateCodec.encode(w2, e.secretTree.exportState());
    });
    w.vector([...this.resumptionPsks], (w2, [epoch, psk]) => {
      w2.u64(epoch);
      w2.opaque(psk);
    });
    // Since state version 2: the ReInit of the last commit (§11.2).
    w.optional(this.reinit, (w2, p) => proposalCodec.encode(w2, p));
    return w.finish();
  }

  /** Restores a group saved with `serialize()`. */
  static deserialize(
    bytes: Uint8Array,
    o: {
      config?: Partial<GroupConfig>;
      psks?: PskStore;
      suites?: (id: number) => CipherSuite;
    } = {},
  ): MlsGroup {
    const config = groupConfig(o.config);
    const suiteOf = o.suites ?? ((id: number) => getCipherSuite(id));
    // A private copy: the restored state wipes its secrets in place as they are used, and must
    // not zero the caller's saved blob (which may be restored again).
    const r = new Reader(bytes.slice());
    const version = readHeader(r, STATE_KIND_GROUP);
    const status = STATUS_CODES[r.u8()];
    if (status === undefined) throw new CodecError("invalid group status in state blob");
    const state = readEpochState(r, suiteOf, config.secretTree);
    const g = new MlsGroup(state, config, o.psks ?? NO_PSKS);
    g.status = status;
    g.resumptionPsks.clear();
    for (const p of r.vector((r2) => ({
      ref: r2.opaque(),
      sender: senderCodec.decode(r2),
      proposal: proposalCodec.decode(r2),
    })))
      g.pending.set(toHex(p.ref), p);
    for (const [pub, priv] of r.vector((r2) => [r2.opaque(), r2.opaque()] as const))
      g.pendingLeafKeys.set(toHex(pub), priv);
    g.past = r.vector((r2) => {
      const gc = groupContextCodec.decode(r2);
      const tree = treeCodec.decode(r2);
      const membershipKey = r2.opaque();
      const senderDataSecret = r2.opaque();
      const suite = suiteOf(gc.cipherSuite);
      return {
        suite,
        epoch: gc.epoch,
        groupId: gc.groupId,
        groupContextBytes: encodeGroupContext(gc),
        groupContextExtensions: gc.extensions,
        tree,
        membershipKey,
        senderDataSecret,
        secretTree: SecretTree.fromState(suite, secretTreeStateCodec.decode(r2), config.secretTree),
      };
    });
    for (const [epoch, psk] of r.vector((r2) => [r2.u64(), r2.opaque()] as const))
      g.resumptionPsks.set(epoch, psk);
    if (version >= 2) {
      const reinit = r.optional((r2) => proposalCodec.decode(r2));
      if (reinit !== undefined && reinit.proposalType !== ProposalType.reinit)
        throw new CodecError("the state blob's ReInit is another proposal");
      if (reinit !== undefined && status !== "reinit")
        throw new CodecError("a ReInit recorded for a group that was not reinitialised");
      if (reinit !== undefined) g.reinit = reinit;
    }
    r.expectEnd();
    return g;
  }

  // ---------------------------------------------------------------- inspection

  get suite(): CipherSuite {
    return this.state.suite;
  }
  get groupId(): Uint8Array {
    return this.state.groupContext.groupId;
  }
  get epoch(): bigint {
    return this.state.groupContext.epoch;
  }
  get groupContext(): GroupContext {
    return this.state.groupContext;
  }
  get ownLeafIndex(): number {
    return this.state.myLeaf;
  }
  /** §8.7: equal for all members of the epoch; compare out of band to detect impersonation. */
  get epochAuthenticator(): Uint8Array {
    return this.state.secrets.epochAuthenticator;
  }
  /** False once this member was removed or the group was reinitialised. */
  get isActive(): boolean {
    return this.status === "active";
  }
  /**
   * The ReInit proposal of the commit that closed this group (§11.2), once merged: the
   * parameters of the group that `reinitSuccessor` creates.
   */
  get reinitProposal(): ReInitProposal | undefined {
    return this.reinit;
  }
  get ratchetTree(): RatchetTree {
    return this.state.tree.clone();
  }
  /** The epoch state (read-only; for serialisation and tests). */
  get currentState(): EpochState {
    return this.state;
  }

  members(): Member[] {
    return [...this.state.tree.members()].map(([leafIndex, l]) => ({
      leafIndex,
      credential: l.credential,
      signatureKey: l.signatureKey,
      encryptionKey: l.encryptionKey,
    }));
  }

  /** Proposals received this epoch and not yet committed. */
  pendingProposals(): { proposal: Proposal; ref: Uint8Array; sender: number | undefined }[] {
    return [...this.pending.values()].map((p) => ({
      proposal: p.proposal,
      ref: p.ref,
      sender: p.sender.senderType === SenderType.member ? p.sender.leafIndex : undefined,
    }));
  }

  /**
   * Drops a pending proposal (for an application that refuses it after `process` stored it,
   * e.g. one half of a message pair whose other half failed). Returns whether it was pending.
   */
  forgetProposal(ref: Uint8Array): boolean {
    return this.pending.delete(toHex(ref));
  }

  /** §8.5 MLS-Exporter. */
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
    return mlsExporter(this.suite, this.state.secrets.exporterSecret, label, context, length);
  }

  /**
   * The authenticated_data to send: as given, or empty. In a Safe AAD group (extensions §2.8) it
   * must be a SafeAAD, and "nothing" is the empty SafeAAD.
   */
  private aad(given: Uint8Array | undefined): Uint8Array {
    if (!groupUsesSafeAAD(this.state.groupContext.extensions)) return given ?? new Uint8Array(0);
    if (given === undefined) return encodeSafeAAD([]);
    try {
      parseSafeAAD(given);
    } catch {
      throw new UsageError("this group frames authenticated data as SafeAAD: use encodeSafeAAD()");
    }
    return given;
  }

  private assertActive(): void {
    if (this.status === "removed") throw new UsageError("this member was removed from the group");
    if (this.status === "reinit")
      throw new UsageError("the group was reinitialised; join the new group (RFC 9420 §11.2)");
  }

  // ---------------------------------------------------------------- sending

  private async frame(
    body: ContentBody,
    authenticatedData: Uint8Array | undefined,
    publicMessage: boolean,
  ): Promise<{ ac: AuthenticatedContent }> {
    const s = this.state;
    const wireFormat = publicMessage
      ? WireFormat.mls_public_message
      : WireFormat.mls_private_message;
    const content: FramedContent = {
      groupId: s.groupContext.groupId,
      epoch: s.groupContext.epoch,
      sender: { senderType: SenderType.member, leafIndex: s.myLeaf },
      authenticatedData: this.aad(authenticatedData),
      ...body,
    };
    const signature = await signFramedContent(
      s.suite,
      s.signaturePrivateKey,
      wireFormat,
      content,
      s.groupContextBytes,
    );
    return { ac: { wireFormat, content, auth: { signature } } };
  }

  private async protect(ac: AuthenticatedContent): Promise<MLSMessage> {
    const s = this.state;
    if (ac.wireFormat === WireFormat.mls_public_message) {
      const publicMessage = await protectPublicMessage(
        s.suite,
        ac,
        s.secrets.membershipKey,
        s.groupContextBytes,
      );
      return {
        version: ProtocolVersion.mls10,
        wireFormat: WireFormat.mls_public_message,
        publicMessage,
      };
    }
    const bodyLength =
      ac.content.contentType === ContentType.application ? ac.content.applicationData.length : 0;
    const privateMessage = await protectPrivateMessage(
      s.suite,
      ac,
      s.secretTree,
      s.secrets.senderDataSecret,
      { paddingLength: this.config.padding(bodyLength) },
    );
    return {
      version: ProtocolVersion.mls10,
      wireFormat: WireFormat.mls_private_message,
      privateMessage,
    };
  }

  /** Encrypts application data as a PrivateMessage (§15). */
  async encrypt(data: Uint8Array, authenticatedData?: Uint8Array): Promise<MLSMessage> {
    this.assertActive();
    if (this.pending.size > 0)
      throw new UsageError(
        "commit the pending proposals before sending application data (RFC 9420 §12.4)",
      );
    const { ac } = await this.frame(
      { contentType: ContentType.application, applicationData: data },
      authenticatedData,
      false,
    );
    return this.protect(ac);
  }

  /** Sends a proposal by itself; it is also stored as pending, as the receivers store it. */
  async propose(
    proposal: Proposal,
    options: { publicMessage?: boolean; authenticatedData?: Uint8Array } = {},
  ): Promise<{ message: MLSMessage; ref: Uint8Array }> {
    this.assertActive();
    const { ac } = await this.frame(
      { contentType: ContentType.proposal, proposal },
      options.authenticatedData,
      // extensions §4.3: a SelfRemove is always a PublicMessage (external joiners must read it).
      proposal.proposalType === ExtProposalType.self_remove ||
        (options.publicMessage ?? this.config.handshakeAsPublicMessage),
    );
    const ref = await proposalRef(this.suite, ac);
    this.pending.set(toHex(ref), { proposal, sender: ac.content.sender, ref });
    return { message: await this.protect(ac), ref };
  }

  proposeAdd(keyPackage: KeyPackage, options?: { publicMessage?: boolean }) {
    return this.propose({ proposalType: ProposalType.add, keyPackage }, options);
  }

  proposeRemove(leafIndex: number, options?: { publicMessage?: boolean }) {
    return this.propose({ proposalType: ProposalType.remove, removed: leafIndex }, options);
  }

  /** Proposes a fresh leaf key (§12.1.2); the new private key is kept until it is committed. */
  async proposeUpdate(options?: {
    publicMessage?: boolean;
    leafExtensions?: Extension[];
    authenticatedData?: Uint8Array;
  }) {
    const s = this.state;
    const old = s.tree.leaf(s.myLeaf)!;
    const kp = await s.suite.hpke.kem.generateKeyPair();
    const leafNode = await signLeafNode(
      s.suite,
      s.signaturePrivateKey,
      {
        encryptionKey: kp.publicKey,
        signatureKey: old.signatureKey,
        credential: old.credential,
        capabilities: old.capabilities,
        leafNodeSource: LeafNodeSource.update,
        extensions: options?.leafExtensions ?? old.extensions,
      },
      { groupId: s.groupContext.groupId, leafIndex: s.myLeaf },
    );
    this.pendingLeafKeys.set(toHex(kp.publicKey), kp.privateKey);
    return this.propose({ proposalType: ProposalType.update, leafNode }, options);
  }

  /** extensions §4.3: asks the group to remove this member (sent as a PublicMessage). */
  proposeSelfRemove() {
    return this.propose({ proposalType: ExtProposalType.self_remove });
  }

  /** extensions §2.3: SafeExportSecret(componentId) of the current epoch; once per epoch. */
  safeExportSecret(componentId: number): Promise<Uint8Array> {
    return this.state.exporterTree.safeExportSecret(componentId);
  }

  /** The GroupContext's app_data_dictionary entry of a component (extensions §2.5). */
  componentData(componentId: number): Uint8Array | undefined {
    return componentData(this.state.groupContext.extensions, componentId);
  }

  /** A PreSharedKeyID for an external PSK with a fresh nonce (§8.4). */
  externalPskId(pskId: Uint8Array): PreSharedKeyID {
    return {
      psktype: PSKType.external,
      pskId,
      pskNonce: this.suite.randomBytes(this.suite.kdf.Nh),
    };
  }

  /** A PreSharedKeyID for this group's resumption PSK of `epoch` (§8.6). */
  resumptionPskId(epoch: bigint): PreSharedKeyID {
    return {
      psktype: PSKType.resumption,
      usage: ResumptionPSKUsage.application,
      pskGroupId: this.groupId,
      pskEpoch: epoch,
      pskNonce: this.suite.randomBytes(this.suite.kdf.Nh),
    };
  }

  private runtime(): CommitRuntime {
    return {
      config: this.config,
      resolvePsks: (ids) =>
        resolvePsks(ids, this.psks, (groupId, epoch) =>
          equalBytes(groupId, this.groupId) ? this.resumptionPsks.get(epoch) : undefined,
        ),
    };
  }

  /** Creates a commit (§12.4.1). The group stays in its epoch until `merge(result.staged)`. */
  async commit(o: CommitOptions = {}): Promise<CommitResult> {
    this.assertActive();
    const me: CommittedProposal["sender"] = {
      senderType: SenderType.member,
      leafIndex: this.state.myLeaf,
    };
    const byValue: Proposal[] = [
      ...(o.groupContextExtensions === undefined
        ? []
        : [
            {
              proposalType: ProposalType.group_context_extensions,
              extensions: o.groupContextExtensions,
            } as Proposal,
          ]),
      ...(o.remove ?? []).map(
        (removed) => ({ proposalType: ProposalType.remove, removed }) as Proposal,
      ),
      ...(o.add ?? []).map(
        (keyPackage) => ({ proposalType: ProposalType.add, keyPackage }) as Proposal,
      ),
      ...(o.psks ?? []).map((psk) => ({ proposalType: ProposalType.psk, psk }) as Proposal),
      ...(o.proposals ?? []),
    ];
    const byRef =
      o.includePending === false
        ? []
        : selectPending([...this.pending.values()], this.state.myLeaf, o.remove ?? []).filter(
            (p) =>
              o.pendingFilter === undefined ||
              o.pendingFilter({
                proposal: p.proposal,
                ref: p.ref,
                sender: p.sender.senderType === SenderType.member ? p.sender.leafIndex : undefined,
              }),
          );
    const created = await createCommit(this.state, this.runtime(), {
      proposals: [
        ...byRef.map((p) => ({
          byReference: p.ref,
          proposal: { proposal: p.proposal, sender: p.sender },
        })),
        ...byValue.map((proposal) => ({ byValue: { proposal, sender: me } })),
      ],
      forcePath: o.path ?? true,
      wireFormat:
        (o.publicMessage ?? this.config.handshakeAsPublicMessage)
          ? WireFormat.mls_public_message
          : WireFormat.mls_private_message,
      authenticatedData: this.aad(o.authenticatedData),
      ratchetTreeInWelcome: o.ratchetTreeInWelcome ?? true,
      groupInfo: o.groupInfo ?? false,
    });
    return this.commitResult(created);
  }

  /** The messages of a created commit: the commit protected in this epoch, Welcome, GroupInfo. */
  private async commitResult(created: CreatedCommit): Promise<CommitResult> {
    const commit = await this.protect(created.authContent);
    return {
      commit,
      ...(created.welcome === undefined
        ? {}
        : {
            welcome: {
              version: ProtocolVersion.mls10,
              wireFormat: WireFormat.mls_welcome,
              welcome: created.welcome,
            } as MLSMessage,
          }),
      ...(created.groupInfo === undefined
        ? {}
        : {
            groupInfo: {
              version: ProtocolVersion.mls10,
              wireFormat: WireFormat.mls_group_info,
              groupInfo: created.groupInfo,
            } as MLSMessage,
          }),
      staged: created.staged,
    };
  }

  /** A signed GroupInfo for the current epoch (§12.4.3), e.g. for external joins. */
  async groupInfo(o: { ratchetTree?: boolean; externalPub?: boolean } = {}): Promise<GroupInfo> {
    const s = this.state;
    const extensions: Extension[] = [];
    if (o.ratchetTree ?? true) extensions.push(ratchetTreeExtension(s.tree.toNodes()));
    if (o.externalPub ?? true) {
      const kp = await s.suite.hpke.kem.deriveKeyPair(s.secrets.externalSecret);
      extensions.push(externalPubExtension(kp.publicKey));
    }
    return signGroupInfo(s.suite, s.signaturePrivateKey, {
      groupContext: s.groupContext,
      extensions,
      confirmationTag: s.confirmationTag,
      signer: s.myLeaf,
    });
  }

  // ---------------------------------------------------------------- receiving

  private epochKeys(): EpochKeys {
    const s = this.state;
    return {
      suite: s.suite,
      epoch: s.groupContext.epoch,
      groupId: s.groupContext.groupId,
      groupContextBytes: s.groupContextBytes,
      groupContextExtensions: s.groupContext.extensions,
      tree: s.tree,
      membershipKey: s.secrets.membershipKey,
      senderDataSecret: s.secrets.senderDataSecret,
      secretTree: s.secretTree,
    };
  }

  /**
   * Processes a PublicMessage or PrivateMessage (§6, §12). Application data and proposals take
   * effect at once; a commit comes back staged, to be merged with `merge()`. A message that
   * fails any check throws and changes nothing.
   */
  async process(input: MLSMessage | Uint8Array, o: ProcessOptions = {}): Promise<ProcessedMessage> {
    if (this.status === "removed") throw new UsageError("this member was removed from the group");
    const msg = input instanceof Uint8Array ? decodeBytes(mlsMessageCodec, input) : input;
    const epoch =
      msg.wireFormat === WireFormat.mls_public_message
        ? msg.publicMessage.content.epoch
        : msg.wireFormat === WireFormat.mls_private_message
          ? msg.privateMessage.epoch
          : undefined;
    if (epoch === undefined)
      throw new UsageError("only PublicMessage and PrivateMessage can be processed");
    if (epoch !== this.epoch) return this.processPast(msg, epoch);

    const { authContent: ac, consume } = await unprotectAndVerify(this.epochKeys(), msg);
    const { content } = ac;
    switch (content.contentType) {
      case ContentType.application:
        if (ac.wireFormat !== WireFormat.mls_private_message)
          throw new ValidationError("RFC9420 §6.2", "application data must be a PrivateMessage");
        consume();
        return {
          kind: "application",
          data: content.applicationData,
          sender: (content.sender as { leafIndex: number }).leafIndex,
          epoch: content.epoch,
          authenticatedData: content.authenticatedData,
        };
      case ContentType.proposal: {
        checkProposalSender(content.proposal, content.sender);
        if (
          content.proposal.proposalType === ExtProposalType.self_remove &&
          ac.wireFormat !== WireFormat.mls_public_message
        )
          throw new ValidationError(
            "draft-ietf-mls-extensions §4.3",
            "a SelfRemove must be sent as a PublicMessage",
          );
        const ref = await proposalRef(this.suite, ac);
        // The application's own checks run before anything is stored or consumed.
        await o.acceptProposal?.(content.proposal, content.sender, content.authenticatedData);
        consume();
        this.pending.set(toHex(ref), { proposal: content.proposal, sender: content.sender, ref });
        return { kind: "proposal", proposal: content.proposal, ref, sender: content.sender };
      }
      case ContentType.commit: {
        const staged = await this.stageReceivedCommit(ac);
        // The commit's handshake key is deleted when the commit is merged.
        this.onMerge.set(staged, consume);
        return { kind: "commit", staged };
      }
    }
  }

  private async stageReceivedCommit(ac: AuthenticatedContent): Promise<StagedCommit> {
    const { content } = ac;
    if (content.contentType !== ContentType.commit) throw new UsageError("not a commit");
    const committer = content.sender;
    const isExternal = committer.senderType === SenderType.new_member_commit;
    const proposals: CommittedProposal[] = content.commit.proposals.map((por) => {
      if (por.type === 1) return { proposal: por.proposal, sender: committer };
      if (isExternal)
        throw new ValidationError(
          "RFC9420 §12.4.3.2",
          "an external commit cannot reference proposals",
        );
      const p = this.pending.get(toHex(por.reference));
      if (p === undefined)
        throw new ValidationError("RFC9420 §12.4.2", "the commit references an unknown proposal");
      return { proposal: p.proposal, sender: p.sender };
    });
    const s = this.state;
    const staged = await processCommit(
      s,
      this.runtime(),
      ac,
      proposals,
      async (kemOutput) => {
        const kp = await s.suite.hpke.kem.deriveKeyPair(s.secrets.externalSecret);
        return s.suite.hpke.receiveExport(
          kp.privateKey,
          kp.publicKey,
          kemOutput,
          new Uint8Array(0),
          utf8("MLS 1.0 external init secret"),
          s.suite.kdf.Nh,
        );
      },
      this.pendingLeafKeys,
    );
    return staged;
  }

  /** Late application messages of retained past epochs (§14.4). */
  private async processPast(msg: MLSMessage, epoch: bigint): Promise<ProcessedMessage> {
    if (
      msg.wireFormat !== WireFormat.mls_private_message ||
      msg.privateMessage.contentType !== ContentType.application
    )
      throw new ValidationError(
        "RFC9420 §6",
        `a handshake message for epoch ${epoch} while the group is in epoch ${this.epoch}`,
      );
    const keys = this.past.find((p) => p.epoch === epoch);
    if (keys === undefined)
      throw new ValidationError("RFC9420 §14.4", `epoch ${epoch} is not (or no longer) available`);
    const { authContent: ac, consume } = await unprotectAndVerify(keys, msg);
    consume();
    const c = ac.content;
    if (c.contentType !== ContentType.application)
      throw new ValidationError("RFC9420 §6", "not application data");
    return {
      kind: "application",
      data: c.applicationData,
      sender: (c.sender as { leafIndex: number }).leafIndex,
      epoch,
      authenticatedData: c.authenticatedData,
    };
  }

  /**
   * Moves the group to the staged commit's epoch. The staged commit must start from the current
   * epoch (a commit of another member that won the race must be processed and merged instead).
   */
  async merge(staged: StagedCommit): Promise<void> {
    this.assertActive();
    if (staged.fromEpoch !== this.epoch)
      throw new UsageError(
        `the staged commit starts from epoch ${staged.fromEpoch}, the group is in ${this.epoch}`,
      );
    this.onMerge.get(staged)?.();
    this.onMerge.delete(staged);
    if (staged.selfRemoved) {
      this.status = "removed";
      this.pending.clear();
      return;
    }
    const old = this.state;
    this.past.unshift(this.epochKeysOf(old));
    while (this.past.length > this.config.retainedEpochs) this.past.pop()?.secretTree.destroy();
    if (this.config.retainedEpochs === 0) old.secretTree.destroy();
    this.state = staged.next;
    this.resumptionPsks.set(this.epoch, this.state.secrets.resumptionPsk);
    for (const e of [...this.resumptionPsks.keys()])
      if (e + BigInt(this.config.retainedResumptionPsks) <= this.epoch)
        this.resumptionPsks.delete(e);
    wipe(old.secrets.initSecret);
    this.pending.clear();
    this.pendingLeafKeys.clear();
    if (staged.reinit !== undefined) {
      this.status = "reinit";
      this.reinit = staged.reinit;
    }
  }

  private epochKeysOf(s: EpochState): RetainedEpoch {
    return {
      suite: s.suite,
      epoch: s.groupContext.epoch,
      groupId: s.groupContext.groupId,
      groupContextBytes: s.groupContextBytes,
      groupContextExtensions: s.groupContext.extensions,
      tree: s.tree,
      membershipKey: s.secrets.membershipKey,
      senderDataSecret: s.secrets.senderDataSecret,
      secretTree: s.secretTree,
    };
  }
}

/**
 * The pending proposals a committer takes by reference (RFC 9420 §12.2): at most one Update,
 * Remove or SelfRemove per leaf (a Remove wins, else the most recent Update), none about a leaf
 * removed by value or about the committer's own leaf (its Updates become the path; it cannot
 * remove itself), at most one GroupContextExtensions (the latest), each PSK once.
 */
function selectPending(
  pending: readonly PendingProposal[],
  me: LeafIndex,
  removedByValue: readonly number[],
): PendingProposal[] {
  const settled = new Set<number>(removedByValue);
  settled.add(me);
  const removal = new Map<number, PendingProposal>();
  const update = new Map<number, PendingProposal>();
  let gce: PendingProposal | undefined;
  const psks = new Set<string>();
  const rest: PendingProposal[] = [];
  const senderLeaf = (p: PendingProposal) =>
    p.sender.senderType === SenderType.member ? p.sender.leafIndex : undefined;
  for (const p of pending) {
    const q = p.proposal;
    if (q.proposalType === ProposalType.remove) {
      if (!removal.has(q.removed)) removal.set(q.removed, p);
    } else if (q.proposalType === ExtProposalType.self_remove) {
      const l = senderLeaf(p);
      if (l !== undefined && !removal.has(l)) removal.set(l, p);
    } else if (q.proposalType === ProposalType.update) {
      const l = senderLeaf(p);
      if (l !== undefined) update.set(l, p); // the most recent one wins
    } else if (q.proposalType === ProposalType.group_context_extensions) gce = p;
    else if (q.proposalType === ProposalType.psk) {
      const key = toHex(encodeBytes(preSharedKeyIDCodec, q.psk));
      if (!psks.has(key)) {
        psks.add(key);
        rest.push(p);
      }
    } else rest.push(p);
  }
  const chosen = new Set<PendingProposal>(rest);
  if (gce !== undefined) chosen.add(gce);
  for (const [leaf, p] of removal) if (!settled.has(leaf)) chosen.add(p);
  for (const [leaf, p] of update) if (!settled.has(leaf) && !removal.has(leaf)) chosen.add(p);
  // Keep the order in which the proposals arrived.
  return pending.filter((p) => chosen.has(p));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
