import { encodeBytes } from "../codec/codec.js";
import { encryptWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { CryptoError, UsageError, ValidationError } from "../errors.js";
import { encodeSafeAAD, groupUsesSafeAAD, parseSafeAAD } from "../extensions/safe.js";
import { signFramedContent } from "../framing/contentAuth.js";
import { welcomeKeyAndNonce, zeroSecret } from "../schedule/keySchedule.js";
import type { ResolvedPsk } from "../schedule/pskSecret.js";
import { nextConfirmedTranscriptHash } from "../schedule/transcript.js";
import { validateLeafNode } from "../tree/leafNodeValidation.js";
import type { RatchetTree } from "../tree/ratchetTree.js";
import {
  createUpdatePath,
  decryptUpdatePath,
  type LeafNodeTemplate,
  mergeUpdatePath,
} from "../tree/treekem.js";
import { commonAncestor, type LeafIndex, leafToNode, toLeafIndex } from "../treemath.js";
import { bytesEqual, constantTimeEqual, toHex, utf8, wipe } from "../util/bytes.js";
import type { Commit, ProposalOrRef } from "../wire/commit.js";
import {
  ContentType,
  LeafNodeSource,
  NodeType,
  ProposalOrRefType,
  ProposalType,
  SenderType,
  WireFormat,
} from "../wire/enums.js";
import type { Extension } from "../wire/extension.js";
import type { AuthenticatedContent, FramedContent, Sender } from "../wire/framing.js";
import type { GroupContext } from "../wire/groupContext.js";
import type { GroupInfo } from "../wire/groupInfo.js";
import { groupInfoCodec } from "../wire/groupInfo.js";
import type { KeyPackage } from "../wire/keyPackage.js";
import type { Proposal, ReInitProposal } from "../wire/proposal.js";
import type { PreSharedKeyID } from "../wire/psk.js";
import { groupSecretsCodec, type Welcome } from "../wire/welcome.js";
import type { GroupConfig } from "./config.js";
import {
  confirmationTagFor,
  type EpochState,
  encodeGroupContext,
  epochTrees,
  interimAfter,
  type NodeKey,
  runKeySchedule,
} from "./epoch.js";
import { externalPubExtension, ratchetTreeExtension, signGroupInfo } from "./groupInfo.js";
import { keyPackageRef } from "./keyPackage.js";
import {
  type AppliedProposals,
  applyProposals,
  type CommittedProposal,
  type Committer,
  checkResyncIdentity,
  type ProposalContext,
  validateProposalList,
} from "./proposals.js";

/**
 * Commits (RFC 9420 §12.4): creating one (§12.4.1) and processing one (§12.4.2). Both produce a
 * StagedCommit holding the next epoch; nothing in the current epoch changes until the caller
 * merges it, and a discarded StagedCommit leaves no trace.
 */

/**
 * extensions §2.3: SafeExportSecret of the epoch a staged commit creates, e.g. for a committer
 * that needs a secret of the new epoch before merging. The export is consumed in that epoch: it
 * cannot be taken again after the merge.
 */
export function stagedSafeExportSecret(
  staged: StagedCommit,
  componentId: number,
): Promise<Uint8Array> {
  if (staged.selfRemoved) throw new UsageError("a removed member has no new epoch");
  return staged.next.exporterTree.safeExportSecret(componentId);
}

/** A commit that has been created or verified but not yet applied. */
export interface StagedCommit {
  /** The epoch this commit moves the group from. */
  readonly fromEpoch: bigint;
  readonly next: EpochState;
  readonly sender: Sender;
  /** The committer's leaf in the new epoch (for an external commit: the leaf it joined at). */
  readonly committerLeaf: LeafIndex;
  readonly proposals: readonly CommittedProposal[];
  readonly added: readonly LeafIndex[];
  readonly removed: readonly LeafIndex[];
  readonly updated: readonly LeafIndex[];
  readonly psks: readonly PreSharedKeyID[];
  /** True if this member is removed by the commit: after merging, the group is over for it. */
  readonly selfRemoved: boolean;
  readonly reinit?: ReInitProposal;
  readonly pathIncluded: boolean;
}

/** Shared services a commit needs besides the epoch state. */
export interface CommitRuntime {
  readonly config: GroupConfig;
  resolvePsks(ids: readonly PreSharedKeyID[]): Promise<ResolvedPsk[]>;
}

function proposalContext(
  state: EpochState,
  config: GroupConfig,
  resumption?: PreSharedKeyID,
): ProposalContext {
  return {
    suite: state.suite,
    config,
    groupId: state.groupContext.groupId,
    version: state.groupContext.version,
    tree: state.tree,
    groupContextExtensions: state.groupContext.extensions,
    newEpoch: state.groupContext.epoch + 1n,
    ...(resumption === undefined ? {} : { resumption }),
  };
}

/** Keeps the private keys whose nodes still hold the same public key, and adds `fresh`. */
function carryPrivateKeys(
  old: ReadonlyMap<number, NodeKey>,
  tree: RatchetTree,
  fresh: ReadonlyMap<number, NodeKey>,
): Map<number, NodeKey> {
  const out = new Map<number, NodeKey>();
  for (const [n, k] of old) {
    const node = tree.node(n as never);
    const pub =
      node === undefined
        ? undefined
        : node.nodeType === NodeType.leaf
          ? node.leaf.encryptionKey
          : node.parent.encryptionKey;
    if (pub !== undefined && bytesEqual(pub, k.publicKey)) out.set(n, k);
  }
  for (const [n, k] of fresh) out.set(n, k);
  return out;
}

/** The provisional GroupContext: new epoch, tree hash and extensions, old transcript (§12.4.1). */
type EpochBase = Pick<EpochState, "suite" | "groupContext" | "interimTranscriptHash">;

function provisionalContext(
  state: EpochBase,
  treeHash: Uint8Array,
  extensions: readonly Extension[],
): GroupContext {
  return {
    ...state.groupContext,
    epoch: state.groupContext.epoch + 1n,
    treeHash,
    extensions: [...extensions],
  };
}

/** Builds the next EpochState from the key schedule, once the confirmed transcript is known. */
async function finishEpoch(
  state: EpochBase,
  runtime: CommitRuntime,
  a: {
    tree: RatchetTree;
    treeHash: Uint8Array;
    extensions: readonly Extension[];
    authContent: AuthenticatedContent;
    initSecret: Uint8Array;
    commitSecret: Uint8Array;
    psks: readonly ResolvedPsk[];
    myLeaf: LeafIndex;
    privateKeys: Map<number, NodeKey>;
    signaturePrivateKey: Uint8Array;
    /** The receiver checks this against the tag it computes. */
    expectedConfirmationTag?: Uint8Array;
  },
): Promise<{
  next: EpochState;
  joinerSecret: Uint8Array;
  welcomeSecret: Uint8Array;
  confirmationTag: Uint8Array;
}> {
  const suite = state.suite;
  const confirmed = await nextConfirmedTranscriptHash(
    suite,
    state.interimTranscriptHash,
    a.authContent,
  );
  const groupContext: GroupContext = {
    ...provisionalContext(state, a.treeHash, a.extensions),
    confirmedTranscriptHash: confirmed,
  };
  const groupContextBytes = encodeGroupContext(groupContext);
  const ks = await runKeySchedule({
    suite,
    initSecret: a.initSecret,
    commitSecret: a.commitSecret,
    psks: a.psks,
    groupContextBytes,
  });
  const confirmationTag = await confirmationTagFor(suite, ks.secrets, confirmed);
  if (
    a.expectedConfirmationTag !== undefined &&
    !constantTimeEqual(confirmationTag, a.expectedConfirmationTag)
  )
    throw new CryptoError("the commit's confirmation tag does not verify (RFC 9420 §12.4.2)");
  const next: EpochState = {
    suite,
    groupContext,
    groupContextBytes,
    tree: a.tree,
    myLeaf: a.myLeaf,
    privateKeys: a.privateKeys,
    signaturePrivateKey: a.signaturePrivateKey,
    interimTranscriptHash: await interimAfter(suite, confirmed, confirmationTag),
    confirmationTag,
    secrets: ks.secrets,
    ...epochTrees(suite, ks.secrets, a.tree, runtime.config.secretTree),
  };
  return { next, joinerSecret: ks.joinerSecret, welcomeSecret: ks.welcomeSecret, confirmationTag };
}

// ------------------------------------------------------------------ creating

export interface CreateCommitInput {
  /** Proposals to commit: by reference (with the proposal they name) or by value. */
  readonly proposals: readonly (
    | { readonly byReference: Uint8Array; readonly proposal: CommittedProposal }
    | { readonly byValue: CommittedProposal }
  )[];
  /** Send an UpdatePath even when no proposal requires one (default true). */
  readonly forcePath: boolean;
  readonly wireFormat: number;
  readonly authenticatedData: Uint8Array;
  /** Put the ratchet_tree extension in the Welcome's GroupInfo (default true). */
  readonly ratchetTreeInWelcome: boolean;
  /** Extensions of the committer's new leaf (UpdatePath); default: keep the current ones. */
  readonly leafExtensions?: Extension[];
  /** Extra GroupInfo extensions for the Welcome (e.g. GREASE). */
  readonly groupInfoExtensions?: Extension[];
  /** Also produce a signed GroupInfo of the new epoch for external joiners. */
  readonly groupInfo: boolean;
  /**
   * The resumption PSK with usage reinit or branch that `proposals` inject (RFC 9420 §11.2,
   * §11.3); any other such PSK is refused (§12.1.4). Only for the first commit of a group created
   * by reinitialisation or branching (`MlsGroup.reinitSuccessor`, `MlsGroup.branch`).
   */
  readonly resumption?: PreSharedKeyID;
}

export interface CreatedCommit {
  readonly staged: StagedCommit;
  readonly authContent: AuthenticatedContent;
  readonly welcome?: Welcome;
  /** GroupInfo of the new epoch with ratchet_tree and external_pub, when asked for. */
  readonly groupInfo?: GroupInfo;
}

/** §12.4.1 Creating a Commit. */
export async function createCommit(
  state: EpochState,
  runtime: CommitRuntime,
  input: CreateCommitInput,
): Promise<CreatedCommit> {
  const suite = state.suite;
  const me = state.myLeaf;
  const committed: CommittedProposal[] = input.proposals.map((p) =>
    "byValue" in p ? p.byValue : { ...p.proposal, byReference: true },
  );
  const ctx = { ...proposalContext(state, runtime.config, input.resumption), sending: true };
  validateProposalList(committed, { kind: "member", leaf: me }, ctx);
  const applied = await applyProposals(committed, ctx);
  if (applied.externalInit !== undefined) throw new UsageError("ExternalInit in a member commit");
  const tree = applied.tree;
  const withPath = input.forcePath || applied.pathRequired;
  const myLeafNode = tree.leaf(me);
  if (myLeafNode === undefined) throw new UsageError("the committer's leaf is blank");

  let commitSecret: Uint8Array;
  let pathSecrets = new Map<number, Uint8Array>();
  let freshKeys = new Map<number, NodeKey>();
  let commit: Commit;
  const proposalsOrRefs: ProposalOrRef[] = input.proposals.map((p) =>
    "byValue" in p
      ? { type: ProposalOrRefType.proposal, proposal: p.byValue.proposal }
      : { type: ProposalOrRefType.reference, reference: p.byReference },
  );
  if (withPath) {
    const excluded = new Set<number>(applied.added.map((a) => a.leaf));
    const created = await createUpdatePath({
      suite,
      tree,
      leaf: me,
      leafTemplate: {
        signatureKey: myLeafNode.signatureKey,
        credential: myLeafNode.credential,
        capabilities: myLeafNode.capabilities,
        extensions: input.leafExtensions ?? myLeafNode.extensions,
      },
      signaturePrivateKey: state.signaturePrivateKey,
      groupId: state.groupContext.groupId,
      excludedLeaves: excluded,
      provisionalGroupContext: (th) =>
        encodeGroupContext(provisionalContext(state, th, applied.extensions)),
    });
    commitSecret = created.commitSecret;
    pathSecrets = created.pathSecrets;
    freshKeys = new Map(
      [...created.privateKeys].map(([n, priv]) => {
        const node = tree.node(n as never)!;
        const pub =
          node.nodeType === NodeType.leaf ? node.leaf.encryptionKey : node.parent.encryptionKey;
        return [n, { privateKey: priv, publicKey: pub }];
      }),
    );
    commit = { proposals: proposalsOrRefs, path: created.updatePath };
  } else {
    commitSecret = zeroSecret(suite);
    commit = { proposals: proposalsOrRefs };
  }
  const treeHash = await tree.treeHash(suite);

  const content: FramedContent = {
    groupId: state.groupContext.groupId,
    epoch: state.groupContext.epoch,
    sender: { senderType: SenderType.member, leafIndex: me },
    authenticatedData: input.authenticatedData,
    contentType: ContentType.commit,
    commit,
  };
  const signature = await signFramedContent(
    suite,
    state.signaturePrivateKey,
    input.wireFormat,
    content,
    state.groupContextBytes,
  );
  const psks = await runtime.resolvePsks(applied.psks);
  // The tag is computed inside finishEpoch; the transcript covers only the signature.
  const unsigned: AuthenticatedContent = {
    wireFormat: input.wireFormat,
    content,
    auth: { signature },
  };
  const fin = await finishEpoch(state, runtime, {
    tree,
    treeHash,
    extensions: applied.extensions,
    authContent: unsigned,
    initSecret: state.secrets.initSecret,
    commitSecret,
    psks,
    myLeaf: me,
    privateKeys: carryPrivateKeys(state.privateKeys, tree, freshKeys),
    signaturePrivateKey: state.signaturePrivateKey,
  });
  const authContent: AuthenticatedContent = {
    wireFormat: input.wireFormat,
    content,
    auth: { signature, confirmationTag: fin.confirmationTag },
  };

  // GroupInfo for external joiners (with ratchet_tree and external_pub): only when asked for,
  // since it encodes the whole tree.
  const signInfo = (extensions: Extension[]) =>
    signGroupInfo(suite, state.signaturePrivateKey, {
      groupContext: fin.next.groupContext,
      extensions,
      confirmationTag: fin.confirmationTag,
      signer: me,
    });
  let groupInfo: GroupInfo | undefined;
  if (input.groupInfo) {
    const externalPub = await suite.hpke.kem.deriveKeyPair(fin.next.secrets.externalSecret);
    groupInfo = await signInfo([
      ratchetTreeExtension(tree.toNodes()),
      externalPubExtension(externalPub.publicKey),
      ...(input.groupInfoExtensions ?? []),
    ]);
  }

  let welcome: Welcome | undefined;
  if (applied.added.length > 0) {
    const welcomeInfo = input.ratchetTreeInWelcome
      ? (groupInfo ??
        (await signInfo([
          ratchetTreeExtension(tree.toNodes()),
          ...(input.groupInfoExtensions ?? []),
        ])))
      : await signInfo(input.groupInfoExtensions ?? []);
    welcome = await createWelcome(suite, {
      groupInfo: welcomeInfo,
      joinerSecret: fin.joinerSecret,
      welcomeSecret: fin.welcomeSecret,
      psks: applied.psks,
      newMembers: applied.added.map((a) => ({
        keyPackage: a.keyPackage,
        pathSecret: withPath
          ? pathSecrets.get(commonAncestor(leafToNode(a.leaf), leafToNode(me)))
          : undefined,
      })),
    });
  }
  wipe(fin.joinerSecret);
  wipe(fin.welcomeSecret);

  return {
    staged: stagedFrom(state, fin.next, content.sender, me, committed, applied, false, withPath),
    authContent,
    ...(welcome === undefined ? {} : { welcome }),
    ...(groupInfo === undefined ? {} : { groupInfo }),
  };
}

function stagedFrom(
  state: EpochState,
  next: EpochState,
  sender: Sender,
  committerLeaf: LeafIndex,
  proposals: readonly CommittedProposal[],
  applied: AppliedProposals,
  selfRemoved: boolean,
  pathIncluded: boolean,
): StagedCommit {
  return {
    fromEpoch: state.groupContext.epoch,
    next,
    sender,
    committerLeaf,
    proposals,
    added: applied.added.map((a) => a.leaf),
    removed: applied.removed,
    updated: applied.updated,
    psks: applied.psks,
    selfRemoved,
    ...(applied.reinit === undefined ? {} : { reinit: applied.reinit }),
    pathIncluded,
  };
}

/** §12.4.3.1: one Welcome for all new members of the commit. */
export async function createWelcome(
  suite: CipherSuite,
  w: {
    groupInfo: GroupInfo;
    joinerSecret: Uint8Array;
    welcomeSecret: Uint8Array;
    psks: readonly PreSharedKeyID[];
    newMembers: readonly { keyPackage: KeyPackage; pathSecret: Uint8Array | undefined }[];
  },
): Promise<Welcome> {
  const { key, nonce } = await welcomeKeyAndNonce(suite, w.welcomeSecret);
  const encryptedGroupInfo = await suite.aead.seal(
    key,
    nonce,
    new Uint8Array(0),
    encodeBytes(groupInfoCodec, w.groupInfo),
  );
  wipe(key);
  const secrets = await Promise.all(
    w.newMembers.map(async (m) => {
      const gs = encodeBytes(groupSecretsCodec, {
        joinerSecret: w.joinerSecret,
        ...(m.pathSecret === undefined ? {} : { pathSecret: m.pathSecret }),
        psks: [...w.psks],
      });
      const ct = await encryptWithLabel(
        suite,
        m.keyPackage.initKey,
        "Welcome",
        encryptedGroupInfo,
        gs,
      );
      return {
        newMember: await keyPackageRef(suite, m.keyPackage),
        encryptedGroupSecrets: { kemOutput: ct.kemOutput, ciphertext: ct.ciphertext },
      };
    }),
  );
  return { cipherSuite: suite.id, secrets, encryptedGroupInfo };
}

// ------------------------------------------------------------------ processing

/**
 * §12.4.2 Processing a Commit whose AuthenticatedContent was already unprotected and whose
 * signature was verified; `resolved` are the committed proposals in commit order, by-reference
 * ones resolved. For an external commit, `sender` is new_member_commit.
 */
export async function processCommit(
  state: EpochState,
  runtime: CommitRuntime,
  authContent: AuthenticatedContent,
  resolved: readonly CommittedProposal[],
  externalInitSecret?: (kemOutput: Uint8Array) => Promise<Uint8Array>,
  /** Private keys of this member's own Update proposals, by hex public key. */
  pendingLeafKeys: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<StagedCommit> {
  const { content } = authContent;
  if (content.contentType !== ContentType.commit) throw new UsageError("not a commit");
  const { commit } = content;
  const suite = state.suite;
  const sender = content.sender;
  const isExternal = sender.senderType === SenderType.new_member_commit;
  if (!isExternal && sender.senderType !== SenderType.member)
    throw new ValidationError("RFC9420 §6.1", "a commit must come from a member or a new member");
  const committer: Committer = isExternal
    ? { kind: "external" }
    : { kind: "member", leaf: toLeafIndex((sender as { leafIndex: number }).leafIndex) };
  if (committer.kind === "member" && committer.leaf === state.myLeaf)
    throw new UsageError(
      "this is our own commit: merge the StagedCommit returned when creating it",
    );

  // Whether a proposal came by reference is read from the commit itself (SelfRemove must,
  // extensions §4.3), not taken from the caller.
  if (resolved.length !== commit.proposals.length)
    throw new UsageError("the resolved proposals do not match the commit's list");
  const proposals: CommittedProposal[] = resolved.map((p, i) =>
    commit.proposals[i]!.type === ProposalOrRefType.reference
      ? { ...p, byReference: true }
      : { proposal: p.proposal, sender: p.sender },
  );
  const ctx = proposalContext(state, runtime.config);
  validateProposalList(proposals, committer, ctx);
  const applied = await applyProposals(proposals, ctx, isExternal);
  // A removed member learns only that it was removed, and needs none of the PSKs.
  const psks = applied.removed.includes(state.myLeaf)
    ? []
    : await runtime.resolvePsks(applied.psks);
  const tree = applied.tree;
  if (applied.pathRequired && commit.path === undefined)
    throw new ValidationError("RFC9420 §12.4", "this commit must carry an UpdatePath");
  if (isExternal && commit.path === undefined)
    throw new ValidationError("RFC9420 §12.4.3.2", "an external commit must carry an UpdatePath");

  const selfRemoved = applied.removed.includes(state.myLeaf);
  let initSecret = state.secrets.initSecret;
  if (isExternal) {
    if (applied.externalInit === undefined || externalInitSecret === undefined)
      throw new ValidationError("RFC9420 §12.2", "an external commit needs an ExternalInit");
    initSecret = await externalInitSecret(applied.externalInit);
  }

  let commitSecret = zeroSecret(suite);
  const fresh = new Map<number, NodeKey>();
  // If our own Update was committed, our leaf now holds the key we proposed.
  const myLeafNow = tree.leaf(state.myLeaf);
  if (myLeafNow !== undefined) {
    const priv = pendingLeafKeys.get(toHex(myLeafNow.encryptionKey));
    if (priv !== undefined)
      fresh.set(leafToNode(state.myLeaf), { privateKey: priv, publicKey: myLeafNow.encryptionKey });
  }
  const path = commit.path;
  // §12.4.2: the sender of an external commit takes the leftmost blank leaf.
  const committerLeaf = committer.kind === "member" ? committer.leaf : tree.leftmostBlankLeaf();
  if (path !== undefined) {
    const old = committer.kind === "member" ? tree.leaf(committerLeaf) : undefined;
    if (committer.kind === "member" && old === undefined)
      throw new ValidationError("RFC9420 §12.4.2", "the committer was removed by its own commit");
    // §12.2: a "resync" external commit removes only an earlier appearance of the joiner.
    if (isExternal)
      for (const r of applied.removed) {
        const gone = state.tree.leaf(r);
        if (gone !== undefined)
          checkResyncIdentity(gone, path.leafNode.credential, runtime.config.identity);
      }
    await validateLeafNode(path.leafNode, {
      suite,
      expectedSource: LeafNodeSource.commit,
      position: { groupId: state.groupContext.groupId, leafIndex: committerLeaf },
      groupContextExtensions: applied.extensions,
      identity: runtime.config.identity,
      credentialContext: isExternal ? "external_commit" : "commit",
    });
    if (old !== undefined && bytesEqual(old.encryptionKey, path.leafNode.encryptionKey))
      throw new ValidationError(
        "RFC9420 §12.4.2",
        "the committer's leaf must get a new encryption key",
      );
    // §12.4.2: none of the UpdatePath's public keys may already be in the tree.
    const keys = [path.leafNode.encryptionKey, ...path.nodes.map((n) => n.encryptionKey)];
    for (const k of keys)
      if (tree.encryptionKeyCount(k) > 0)
        throw new ValidationError(
          "RFC9420 §12.4.2",
          "an UpdatePath key already appears in the tree",
        );
    if (new Set(keys.map((k) => k.join(","))).size !== keys.length)
      throw new ValidationError("RFC9420 §12.4.2", "the UpdatePath repeats a public key");
    const sigCount = tree.signatureKeyCount(path.leafNode.signatureKey);
    const oldSig = old !== undefined && bytesEqual(old.signatureKey, path.leafNode.signatureKey);
    if (sigCount > (oldSig ? 1 : 0))
      throw new ValidationError(
        "RFC9420 §7.3",
        "the committer's signature key is used by another member",
      );

    const fdp = await mergeUpdatePath(suite, tree, committerLeaf, path);
    const treeHash = await tree.treeHash(suite);
    const provisional = encodeGroupContext(provisionalContext(state, treeHash, applied.extensions));
    if (!selfRemoved) {
      const excluded = new Set<number>(applied.added.map((a) => a.leaf));
      const myKeys = new Map<number, Uint8Array>();
      for (const [n, k] of carryPrivateKeys(state.privateKeys, tree, fresh))
        myKeys.set(n, k.privateKey);
      const dec = await decryptUpdatePath(
        suite,
        tree,
        fdp,
        path,
        state.myLeaf,
        myKeys,
        excluded,
        provisional,
      );
      commitSecret = dec.commitSecret;
      for (const [n, priv] of dec.privateKeys)
        fresh.set(n, { privateKey: priv, publicKey: tree.parentNode(n as never)!.encryptionKey });
    }
  }
  if (selfRemoved) {
    // A removed member cannot derive the new epoch; it only learns that it was removed.
    return {
      fromEpoch: state.groupContext.epoch,
      next: state,
      sender,
      committerLeaf,
      proposals,
      added: applied.added.map((a) => a.leaf),
      removed: applied.removed,
      updated: applied.updated,
      psks: applied.psks,
      selfRemoved: true,
      ...(applied.reinit === undefined ? {} : { reinit: applied.reinit }),
      pathIncluded: path !== undefined,
    };
  }
  const treeHash = await tree.treeHash(suite);
  const fin = await finishEpoch(state, runtime, {
    tree,
    treeHash,
    extensions: applied.extensions,
    authContent,
    initSecret,
    commitSecret,
    psks,
    myLeaf: state.myLeaf,
    privateKeys: carryPrivateKeys(state.privateKeys, tree, fresh),
    signaturePrivateKey: state.signaturePrivateKey,
    ...(authContent.auth.confirmationTag === undefined
      ? {}
      : { expectedConfirmationTag: authContent.auth.confirmationTag }),
  });
  if (authContent.auth.confirmationTag === undefined)
    throw new ValidationError("RFC9420 §6.1", "a commit needs a confirmation tag");
  wipe(fin.joinerSecret);
  wipe(fin.welcomeSecret);
  return stagedFrom(
    state,
    fin.next,
    sender,
    committerLeaf,
    proposals,
    applied,
    false,
    path !== undefined,
  );
}

// ------------------------------------------------------------------ external commits

/**
 * extensions §2.8: in a Safe AAD group every authenticated_data is a SafeAAD, so "none" is the
 * empty SafeAAD; a given value must parse as one.
 */
function externalCommitAAD(
  groupContextExtensions: readonly Extension[],
  given: Uint8Array,
): Uint8Array {
  if (!groupUsesSafeAAD(groupContextExtensions)) return given;
  if (given.length === 0) return encodeSafeAAD([]);
  parseSafeAAD(given);
  return given;
}

export interface CreateExternalCommitInput {
  readonly suite: CipherSuite;
  /** The group's current epoch, from a verified GroupInfo. */
  readonly groupContext: GroupContext;
  readonly tree: RatchetTree;
  readonly confirmationTag: Uint8Array;
  readonly externalPub: Uint8Array;
  readonly leafTemplate: LeafNodeTemplate;
  readonly signaturePrivateKey: Uint8Array;
  /** Leaf of an earlier appearance of the joiner to remove ("resync", §12.4.3.2). */
  readonly removeLeaf?: LeafIndex;
  readonly psks: readonly PreSharedKeyID[];
  /** Further proposals by value (AppDataUpdate, AppEphemeral: extensions §2.6–2.7). */
  readonly extraProposals?: readonly Proposal[];
  readonly authenticatedData: Uint8Array;
  readonly config: GroupConfig;
  resolvePsks(ids: readonly PreSharedKeyID[]): Promise<ResolvedPsk[]>;
}

/**
 * §12.4.3.2 joining by external commit: ExternalInit (+ optional Remove and PSKs), the joiner
 * placed in the leftmost blank leaf, a full UpdatePath, signed as new_member_commit. Returns the
 * joiner's first EpochState and the commit to send as a PublicMessage.
 */
export async function createExternalCommit(
  i: CreateExternalCommitInput,
): Promise<{ state: EpochState; authContent: AuthenticatedContent }> {
  const { suite } = i;
  const { enc: kemOutput, secret: initSecret } = await suite.hpke.sendExport(
    i.externalPub,
    new Uint8Array(0),
    utf8("MLS 1.0 external init secret"),
    suite.kdf.Nh,
  );
  const sender: Sender = { senderType: SenderType.new_member_commit };
  const proposals: CommittedProposal[] = [
    { proposal: { proposalType: ProposalType.external_init, kemOutput }, sender },
    ...(i.removeLeaf === undefined
      ? []
      : [
          {
            proposal: { proposalType: ProposalType.remove, removed: i.removeLeaf } as const,
            sender,
          },
        ]),
    ...i.psks.map((psk) => ({
      proposal: { proposalType: ProposalType.psk, psk } as const,
      sender,
    })),
    ...(i.extraProposals ?? []).map((proposal) => ({ proposal, sender })),
  ];
  const ctx: ProposalContext = {
    suite,
    config: i.config,
    groupId: i.groupContext.groupId,
    version: i.groupContext.version,
    tree: i.tree,
    groupContextExtensions: i.groupContext.extensions,
    newEpoch: i.groupContext.epoch + 1n,
    sending: true,
  };
  validateProposalList(proposals, { kind: "external" }, ctx);
  if (i.removeLeaf !== undefined) {
    const gone = i.tree.leaf(i.removeLeaf);
    if (gone !== undefined) checkResyncIdentity(gone, i.leafTemplate.credential, i.config.identity);
  }
  const applied = await applyProposals(proposals, ctx, true);
  const tree = applied.tree;
  const me = tree.leftmostBlankLeaf();
  const base: EpochBase = {
    suite,
    groupContext: i.groupContext,
    interimTranscriptHash: await interimAfter(
      suite,
      i.groupContext.confirmedTranscriptHash,
      i.confirmationTag,
    ),
  };
  const created = await createUpdatePath({
    suite,
    tree,
    leaf: me,
    leafTemplate: i.leafTemplate,
    signaturePrivateKey: i.signaturePrivateKey,
    groupId: i.groupContext.groupId,
    excludedLeaves: new Set(),
    provisionalGroupContext: (th) =>
      encodeGroupContext(provisionalContext(base, th, applied.extensions)),
  });
  const content: FramedContent = {
    groupId: i.groupContext.groupId,
    epoch: i.groupContext.epoch,
    sender,
    authenticatedData: externalCommitAAD(i.groupContext.extensions, i.authenticatedData),
    contentType: ContentType.commit,
    commit: {
      proposals: proposals.map((p) => ({ type: ProposalOrRefType.proposal, proposal: p.proposal })),
      path: created.updatePath,
    },
  };
  const wireFormat = WireFormat.mls_public_message;
  const signature = await signFramedContent(
    suite,
    i.signaturePrivateKey,
    wireFormat,
    content,
    encodeGroupContext(i.groupContext),
  );
  const privateKeys = new Map<number, NodeKey>();
  for (const [n, priv] of created.privateKeys) {
    const node = tree.node(n as never)!;
    privateKeys.set(n, {
      privateKey: priv,
      publicKey:
        node.nodeType === NodeType.leaf ? node.leaf.encryptionKey : node.parent.encryptionKey,
    });
  }
  const fin = await finishEpoch(
    base,
    { config: i.config, resolvePsks: i.resolvePsks },
    {
      tree,
      treeHash: await tree.treeHash(suite),
      extensions: applied.extensions,
      authContent: { wireFormat, content, auth: { signature } },
      initSecret,
      commitSecret: created.commitSecret,
      psks: await i.resolvePsks(applied.psks),
      myLeaf: me,
      privateKeys,
      signaturePrivateKey: i.signaturePrivateKey,
    },
  );
  wipe(initSecret);
  wipe(fin.joinerSecret);
  wipe(fin.welcomeSecret);
  return {
    state: fin.next,
    authContent: { wireFormat, content, auth: { signature, confirmationTag: fin.confirmationTag } },
  };
}
