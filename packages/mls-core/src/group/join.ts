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
import { type GroupInfo, groupInfoCodec } from "../wire/groupInfo.js";
import type { KeyPackage } from "../wire/keyPackage.js";
import { leafNodeCodec } from "../wire/leafNode.js";
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
import { type KeyPackageBundle, keyPackageRef } from "./keyPackage.js";

/** Joining a group from a Welcome message (RFC 9420 §12.4.3.1). */

export interface JoinInput {
  readonly suite: CipherSuite;
  readonly welcome: Welcome;
  readonly keyPackage: KeyPackageBundle;
  /** The tree, when the Welcome's GroupInfo does not carry the ratchet_tree extension. */
  readonly ratchetTree?: RatchetTree;
  readonly config: GroupConfig;
  resolvePsks(ids: readonly PreSharedKeyID[]): Promise<ResolvedPsk[]>;
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
function checkResumptionPsks(psks: readonly PreSharedKeyID[]): PreSharedKeyID | undefined {
  const special = psks.filter(
    (p) =>
      p.psktype === PSKType.resumption &&
      (p.usage === ResumptionPSKUsage.reinit || p.usage === ResumptionPSKUsage.branch),
  );
  if (special.length > 1)
    throw new ValidationError("RFC9420 §12.4.3.1", "more than one reinit/branch resumption PSK");
  return special[0];
}

export async function joinFromWelcome(i: JoinInput): Promise<Joined> {
  const { suite } = i;
  const { secrets: gs, kp } = await openGroupSecrets(i);
  const special = checkResumptionPsks(gs.psks);
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
