import { decodeBytes, encodeBytes } from "../codec/codec.js";
import { decryptWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { CryptoError, MlsError, UsageError, ValidationError } from "../errors.js";
import { deriveWelcomeSecret, welcomeKeyAndNonce } from "../schedule/keySchedule.js";
import { computePskSecret, type ResolvedPsk } from "../schedule/pskSecret.js";
import { supportsGroupContextExtensions } from "../tree/leafNodeValidation.js";
import type { RatchetTree } from "../tree/ratchetTree.js";
import { privateKeysFromPathSecret } from "../tree/treekem.js";
import { validateRatchetTree } from "../tree/treeValidation.js";
import {
  commonAncestor,
  directPath,
  type LeafIndex,
  leafToNode,
  toLeafIndex,
} from "../treemath.js";
import { bytesEqual, constantTimeEqual, wipe } from "../util/bytes.js";
import { PSKType, ResumptionPSKUsage } from "../wire/enums.js";
import { extensionsCodec } from "../wire/extension.js";
import type { GroupContext } from "../wire/groupContext.js";
import { type GroupInfo, groupInfoCodec } from "../wire/groupInfo.js";
import type { KeyPackage } from "../wire/keyPackage.js";
import { type LeafNode, leafNodeCodec } from "../wire/leafNode.js";
import type { ReInitProposal } from "../wire/proposal.js";
import type { PreSharedKeyID } from "../wire/psk.js";
import { type GroupSecrets, groupSecretsCodec, type Welcome } from "../wire/welcome.js";
import type { GroupConfig } from "./config.js";
import {
  confirmationTagFor,
  type EpochState,
  encodeGroupContext,
  epochTrees,
  fromJoinerSecret,
  interimAfter,
  type NodeKey,
} from "./epoch.js";
import { ratchetTreeFromExtensions, verifyGroupInfoSignature } from "./groupInfo.js";
import { type IdentityProvider, sameClient } from "./identity.js";
import { type KeyPackageBundle, keyPackageRef } from "./keyPackage.js";

/** Joining a group from a Welcome message (RFC 9420 §12.4.3.1). */

/** A PreSharedKeyID of type resumption. */
export type ResumptionPSKID = Extract<
  PreSharedKeyID,
  { readonly psktype: typeof PSKType.resumption }
>;

export interface JoinInput {
  readonly suite: CipherSuite;
  readonly welcome: Welcome;
  readonly keyPackage: KeyPackageBundle;
  /** The tree, when the Welcome's GroupInfo does not carry the ratchet_tree extension. */
  readonly ratchetTree?: RatchetTree;
  readonly config: GroupConfig;
  resolvePsks(ids: readonly PreSharedKeyID[]): Promise<ResolvedPsk[]>;
  /** The old group, when the Welcome carries a reinit or branch resumption PSK. */
  readonly resumedFrom?: ResumedGroupView;
}

/**
 * What the joiner of a reinitialised or branched group knows of the old group (RFC 9420 §11.2,
 * §11.3), from its own state in that group (`MlsGroup.join({ resumedFrom })`).
 */
export interface ResumedGroupView {
  /** The old group's GroupContext in its current epoch. */
  readonly groupContext: GroupContext;
  /** The ReInit proposal of the old group's last commit, if that commit had one. */
  readonly reinit?: ReInitProposal;
  /** The old group's members (their leaves) in `epoch`, if this member still knows them. */
  membersAt(epoch: bigint): readonly LeafNode[] | undefined;
}

export interface Joined {
  readonly state: EpochState;
  readonly groupInfo: GroupInfo;
  readonly psks: readonly PreSharedKeyID[];
}

async function openGroupSecrets(i: JoinInput): Promise<{ secrets: GroupSecrets; kp: KeyPackage }> {
  const { suite, welcome } = i;
  const kp = i.keyPackage.keyPackage;
  if (welcome.cipherSuite !== kp.cipherSuite || kp.cipherSuite !== suite.id)
    throw new ValidationError(
      "RFC9420 §12.4.3.1",
      "the Welcome's cipher suite is not the KeyPackage's",
    );
  const ref = await keyPackageRef(suite, kp);
  const entry = welcome.secrets.find((s) => bytesEqual(s.newMember, ref));
  if (entry === undefined)
    throw new UsageError("the Welcome is not addressed to this KeyPackage (RFC 9420 §12.4.3.1)");
  const plain = await decryptWithLabel(
    suite,
    i.keyPackage.privateKeys.initPrivateKey,
    kp.initKey,
    "Welcome",
    welcome.encryptedGroupInfo,
    entry.encryptedGroupSecrets.kemOutput,
    entry.encryptedGroupSecrets.ciphertext,
  );
  return { secrets: decodeBytes(groupSecretsCodec, plain), kp };
}

/** §12.4.3.1: "if a PreSharedKeyID has type resumption with usage reinit or branch, verify that
 * it is the only such PSK". */
function checkResumptionPsks(psks: readonly PreSharedKeyID[]): ResumptionPSKID | undefined {
  const special = psks.filter(
    (p): p is ResumptionPSKID =>
      p.psktype === PSKType.resumption &&
      (p.usage === ResumptionPSKUsage.reinit || p.usage === ResumptionPSKUsage.branch),
  );
  if (special.length > 1)
    throw new ValidationError("RFC9420 §12.4.3.1", "more than one reinit/branch resumption PSK");
  return special[0];
}

const R1 = "RFC9420 §12.4.3.1";

/**
 * §12.4.3.1: a reinit/branch PSK names the old group; the joiner needs that group (`resumedFrom`)
 * both for the PSK's value and for the checks of `checkResumedGroup`.
 */
function requireResumedGroup(
  special: ResumptionPSKID,
  from: ResumedGroupView | undefined,
): ResumedGroupView {
  const usage = special.usage === ResumptionPSKUsage.reinit ? "reinit" : "branch";
  if (from === undefined)
    throw new ValidationError(
      R1,
      `the Welcome carries a ${usage} resumption PSK: the group it resumes must be given (resumedFrom)`,
    );
  if (!bytesEqual(from.groupContext.groupId, special.pskGroupId))
    throw new ValidationError(
      R1,
      `the ${usage} resumption PSK names another group than the one given as resumedFrom`,
    );
  return from;
}

function sameExtensions(a: GroupContext["extensions"], b: GroupContext["extensions"]): boolean {
  return bytesEqual(encodeBytes(extensionsCodec, [...a]), encodeBytes(extensionsCodec, [...b]));
}

/**
 * §12.4.3.1, for a Welcome with a reinit or branch resumption PSK (after the epoch-1 check):
 *
 * - reinit: the old group's last commit contained a ReInit (and the PSK names the epoch it led
 *   to), whose group_id, version, cipher_suite and extensions are the new GroupContext's; every
 *   member of the old group is a member of the new one;
 * - branch: the new group has the old group's version and cipher suite, and each of its members
 *   is a member of the old group (in the epoch the PSK names).
 *
 * "Member" is decided by the application (`IdentityProvider.isSameClient`; without it, by
 * identical credentials): the new leaves come from fresh KeyPackages, possibly of another suite.
 */
export function checkResumedGroup(
  special: ResumptionPSKID,
  gc: GroupContext,
  tree: RatchetTree,
  from: ResumedGroupView,
  identity: IdentityProvider,
): void {
  const newMembers = [...tree.members()];
  const isMember = (leaf: LeafNode, among: readonly LeafNode[]) =>
    among.some((m) => sameClient(identity, leaf.credential, m.credential));
  if (special.usage === ResumptionPSKUsage.reinit) {
    const ri = from.reinit;
    if (ri === undefined)
      throw new ValidationError(
        R1,
        "the last commit of the group the reinit PSK names contains no ReInit proposal",
      );
    if (special.pskEpoch !== from.groupContext.epoch)
      throw new ValidationError(
        R1,
        `the reinit PSK names epoch ${special.pskEpoch}, not the epoch after the ReInit commit (${from.groupContext.epoch})`,
      );
    if (!bytesEqual(gc.groupId, ri.groupId))
      throw new ValidationError(R1, "the new group's group_id is not the ReInit's");
    if (gc.version !== ri.version)
      throw new ValidationError(R1, "the new group's version is not the ReInit's");
    if (gc.cipherSuite !== ri.cipherSuite)
      throw new ValidationError(R1, "the new group's cipher suite is not the ReInit's");
    if (!sameExtensions(gc.extensions, ri.extensions))
      throw new ValidationError(R1, "the new group's GroupContext extensions are not the ReInit's");
    const leaves = newMembers.map(([, l]) => l);
    const old = from.membersAt(special.pskEpoch) ?? [];
    for (const m of old)
      if (!isMember(m, leaves))
        throw new ValidationError(R1, "a member of the old group is not a member of the new group");
    return;
  }
  if (gc.version !== from.groupContext.version)
    throw new ValidationError(R1, "a branch must keep the old group's protocol version");
  if (gc.cipherSuite !== from.groupContext.cipherSuite)
    throw new ValidationError(R1, "a branch must keep the old group's cipher suite");
  const old = from.membersAt(special.pskEpoch);
  if (old === undefined)
    throw new ValidationError(
      R1,
      `the members of epoch ${special.pskEpoch} of the old group are no longer known`,
    );
  for (const [index, leaf] of newMembers)
    if (!isMember(leaf, old))
      throw new ValidationError(
        R1,
        `the member at leaf ${index} of the branch is not a member of the old group`,
      );
}

export async function joinFromWelcome(i: JoinInput): Promise<Joined> {
  const { suite } = i;
  const { secrets: gs, kp } = await openGroupSecrets(i);
  const special = checkResumptionPsks(gs.psks);
  const from = special === undefined ? undefined : requireResumedGroup(special, i.resumedFrom);
  const psks = await i.resolvePsks(gs.psks);

  // welcome_secret does not depend on the GroupContext, which is still encrypted.
  const pskSecret = await computePskSecret(suite, psks);
  const welcomeSecret = await deriveWelcomeSecret(suite, gs.joinerSecret, pskSecret);
  wipe(pskSecret);
  const { key, nonce } = await welcomeKeyAndNonce(suite, welcomeSecret);
  wipe(welcomeSecret);
  let giBytes: Uint8Array;
  try {
    giBytes = await suite.aead.open(key, nonce, new Uint8Array(0), i.welcome.encryptedGroupInfo);
  } catch (e) {
    if (e instanceof MlsError) throw e;
    throw new CryptoError("the Welcome's GroupInfo does not decrypt");
  }
  wipe(key);
  const gi = decodeBytes(groupInfoCodec, giBytes);
  const gc = gi.groupContext;
  if (gc.cipherSuite !== kp.cipherSuite || gc.version !== kp.version)
    throw new ValidationError(
      "RFC9420 §12.4.3.1",
      "the group's cipher suite or version differs from the KeyPackage's",
    );

  const tree = ratchetTreeFromExtensions(gi.extensions) ?? i.ratchetTree?.clone();
  if (tree === undefined)
    throw new UsageError("the Welcome carries no ratchet tree: pass it as `ratchetTree`");
  await verifyGroupInfoSignature(suite, gi, tree);
  if (!bytesEqual(await tree.treeHash(suite), gc.treeHash))
    throw new ValidationError(
      "RFC9420 §12.4.3.1",
      "the ratchet tree does not match the GroupInfo's tree hash",
    );
  await validateRatchetTree(tree, {
    suite,
    groupId: gc.groupId,
    groupContextExtensions: gc.extensions,
    identity: i.config.identity,
    ...(i.config.checkReceivedLifetimes ? { now: i.config.now() } : {}),
  });
  if (!supportsGroupContextExtensions(kp.leafNode.capabilities, gc.extensions))
    throw new ValidationError(
      "RFC9420 §13.4",
      "this client does not support the group's extensions",
    );

  // My leaf: the one identical to the KeyPackage's leaf node.
  const mine = encodeBytes(leafNodeCodec, kp.leafNode);
  let myLeaf: LeafIndex | undefined;
  for (const [index, leaf] of tree.members()) {
    if (bytesEqual(encodeBytes(leafNodeCodec, leaf), mine)) {
      myLeaf = index;
      break;
    }
  }
  if (myLeaf === undefined)
    throw new ValidationError("RFC9420 §12.4.3.1", "the tree has no leaf for this KeyPackage");

  const privateKeys = new Map<number, NodeKey>([
    [
      leafToNode(myLeaf),
      {
        privateKey: i.keyPackage.privateKeys.encryptionPrivateKey,
        publicKey: kp.leafNode.encryptionKey,
      },
    ],
  ]);
  if (gs.pathSecret !== undefined) {
    const lca = commonAncestor(leafToNode(myLeaf), leafToNode(toLeafIndex(gi.signer)));
    const nodes = [lca, ...directPath(lca, tree.leafCount)];
    const keys = await privateKeysFromPathSecret(suite, tree, nodes, gs.pathSecret);
    for (const [n, priv] of keys)
      privateKeys.set(n, {
        privateKey: priv,
        publicKey: tree.parentNode(n as never)!.encryptionKey,
      });
  }

  const gcBytes = encodeGroupContext(gc);
  const { secrets } = await fromJoinerSecret(suite, gs.joinerSecret, psks, gcBytes);
  const tag = await confirmationTagFor(suite, secrets, gc.confirmedTranscriptHash);
  if (!constantTimeEqual(tag, gi.confirmationTag))
    throw new CryptoError("the GroupInfo's confirmation tag does not verify (RFC 9420 §12.4.3.1)");
  if (special !== undefined && gc.epoch !== 1n)
    throw new ValidationError("RFC9420 §12.4.3.1", "a reinit/branch Welcome must start at epoch 1");
  if (special !== undefined && from !== undefined)
    checkResumedGroup(special, gc, tree, from, i.config.identity);

  const state: EpochState = {
    suite,
    groupContext: gc,
    groupContextBytes: gcBytes,
    tree,
    myLeaf,
    privateKeys,
    signaturePrivateKey: i.keyPackage.privateKeys.signaturePrivateKey,
    interimTranscriptHash: await interimAfter(
      suite,
      gc.confirmedTranscriptHash,
      gi.confirmationTag,
    ),
    confirmationTag: gi.confirmationTag,
    secrets,
    ...epochTrees(suite, secrets, tree, i.config.secretTree),
  };
  return { state, groupInfo: gi, psks: gs.psks };
}
