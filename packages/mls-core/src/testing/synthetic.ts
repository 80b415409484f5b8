import type { CipherSuite, KeyPair } from "../crypto/provider.js";
import type { GroupConfig } from "../group/config.js";
import {
  type EpochState,
  encodeGroupContext,
  epochTrees,
  interimAfter,
  type NodeKey,
} from "../group/epoch.js";
import { defaultCapabilities, defaultLifetime } from "../group/keyPackage.js";
import { MlsGroup } from "../group/mlsGroup.js";
import { deriveEpochSecrets } from "../schedule/keySchedule.js";
import { computeConfirmationTag } from "../schedule/transcript.js";
import { signLeafNode } from "../tree/leafNodeValidation.js";
import { parentHashesForPath } from "../tree/parentHash.js";
import { RatchetTree } from "../tree/ratchetTree.js";
import { nextPathSecret, nodeKeyPairFromPathSecret } from "../tree/treekem.js";
import { directPath, type LeafIndex, leafToNode, toLeafIndex } from "../treemath.js";
import { utf8, wipe } from "../util/bytes.js";
import { basicCredential } from "../wire/credential.js";
import { LeafNodeSource, ProtocolVersion } from "../wire/enums.js";
import type { LeafNode } from "../wire/leafNode.js";

/**
 * Builds large groups quickly for benchmarks and scale tests, without running N real members:
 * one omniscient builder creates every leaf and, for a "dense" tree, replays a path update from
 * every leaf in turn (the tree every member would have after each committed once). The result
 * is an ordinary member state for leaf 0 whose tree passes full validation (parent hashes, leaf
 * signatures); add real members to it with Welcome messages to measure them.
 *
 * Not for production use: the builder knows every private key.
 */
export interface SyntheticGroupOptions {
  readonly suite: CipherSuite;
  readonly size: number;
  /** Every leaf has committed once (all parent nodes set), or only the tree after one Add-all. */
  readonly tree: "sparse" | "dense";
  readonly config?: Partial<GroupConfig>;
  readonly groupId?: Uint8Array;
  /**
   * Leaf indices (other than 0) to leave blank, so that members added later by Welcome land
   * exactly there (Adds fill the leftmost blank leaves).
   */
  readonly blankLeaves?: readonly number[];
}

export interface SyntheticGroup {
  /** Leaf 0's view of the group: a normal MlsGroup that can commit, add and export. */
  readonly creator: MlsGroup;
  readonly size: number;
}

interface Member {
  readonly signature: KeyPair;
  leafKeys: KeyPair;
  leaf: LeafNode;
}

export async function buildSyntheticGroup(o: SyntheticGroupOptions): Promise<SyntheticGroup> {
  const { suite, size } = o;
  if (size < 1) throw new RangeError("size must be at least 1");
  const groupId = o.groupId ?? suite.randomBytes(16);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const capabilities = defaultCapabilities(suite);
  const members: Member[] = [];
  for (let i = 0; i < size; i++) {
    const signature = await suite.signature.generateKeyPair();
    const leafKeys = await suite.hpke.kem.generateKeyPair();
    const leaf = await signLeafNode(suite, signature.privateKey, {
      encryptionKey: leafKeys.publicKey,
      signatureKey: signature.publicKey,
      credential: basicCredential(utf8(`member-${i}`)),
      capabilities,
      leafNodeSource: LeafNodeSource.key_package,
      lifetime: defaultLifetime(now),
      extensions: [],
    });
    members.push({ signature, leafKeys, leaf });
  }
  const tree = RatchetTree.create(members[0]!.leaf);
  for (let i = 1; i < size; i++) tree.addLeaf(members[i]!.leaf);
  const blank = new Set(o.blankLeaves ?? []);
  if (blank.has(0)) throw new RangeError("leaf 0 is the builder's own leaf");
  for (const l of blank) {
    if (l >= size) throw new RangeError(`blank leaf ${l} is outside the group`);
    tree.setLeaf(toLeafIndex(l), undefined);
  }

  // Node private keys, as set by the latest path update through each node.
  const nodeKeys = new Map<number, NodeKey>();
  const updateFrom = async (i: LeafIndex) => {
    const m = members[i]!;
    tree.blankDirectPath(i);
    const path = tree.filteredDirectPath(i);
    let secret = suite.randomBytes(suite.kdf.Nh);
    const pubs: Uint8Array[] = [];
    for (let k = 0; k < path.length; k++) {
      if (k > 0) secret = await nextPathSecret(suite, secret);
      const kp = await nodeKeyPairFromPathSecret(suite, secret);
      nodeKeys.set(path[k]!.node, { privateKey: kp.privateKey, publicKey: kp.publicKey });
      pubs.push(kp.publicKey);
      tree.setParent(path[k]!.node, {
        encryptionKey: kp.publicKey,
        parentHash: new Uint8Array(0),
        unmergedLeaves: [],
      });
    }
    wipe(secret);
    const { nodeParentHashes, leafParentHash } = await parentHashesForPath(suite, tree, path, pubs);
    for (let k = 0; k < path.length; k++)
      tree.setParent(path[k]!.node, {
        encryptionKey: pubs[k]!,
        parentHash: nodeParentHashes[k]!,
        unmergedLeaves: [],
      });
    m.leafKeys = await suite.hpke.kem.generateKeyPair();
    m.leaf = await signLeafNode(
      suite,
      m.signature.privateKey,
      {
        encryptionKey: m.leafKeys.publicKey,
        signatureKey: m.leaf.signatureKey,
        credential: m.leaf.credential,
        capabilities: m.leaf.capabilities,
        leafNodeSource: LeafNodeSource.commit,
        parentHash: leafParentHash,
        extensions: m.leaf.extensions,
      },
      { groupId, leafIndex: i },
    );
    tree.setLeaf(i, m.leaf);
  };
  if (o.tree === "dense") {
    for (let i = 0; i < size; i++) if (!blank.has(i)) await updateFrom(toLeafIndex(i));
  } else await updateFrom(toLeafIndex(0));

  const me = toLeafIndex(0);
  const privateKeys = new Map<number, NodeKey>([
    [
      leafToNode(me),
      { privateKey: members[0]!.leafKeys.privateKey, publicKey: members[0]!.leafKeys.publicKey },
    ],
  ]);
  for (const n of directPath(leafToNode(me), tree.leafCount)) {
    const k = nodeKeys.get(n);
    const p = tree.parentNode(n);
    if (k !== undefined && p !== undefined && k.publicKey === p.encryptionKey)
      privateKeys.set(n, k);
  }

  const groupContext = {
    version: ProtocolVersion.mls10,
    cipherSuite: suite.id,
    groupId,
    epoch: 1n,
    treeHash: await tree.treeHash(suite),
    confirmedTranscriptHash: suite.randomBytes(suite.hash.size),
    extensions: [],
  };
  const epochSecret = suite.randomBytes(suite.kdf.Nh);
  const secrets = await deriveEpochSecrets(suite, epochSecret);
  wipe(epochSecret);
  const confirmationTag = await computeConfirmationTag(
    suite,
    secrets.confirmationKey,
    groupContext.confirmedTranscriptHash,
  );
  const config = o.config ?? {};
  const state: EpochState = {
    suite,
    groupContext,
    groupContextBytes: encodeGroupContext(groupContext),
    tree,
    myLeaf: me,
    privateKeys,
    signaturePrivateKey: members[0]!.signature.privateKey,
    interimTranscriptHash: await interimAfter(
      suite,
      groupContext.confirmedTranscriptHash,
      confirmationTag,
    ),
    confirmationTag,
    secrets,
    ...epochTrees(suite, secrets, tree, {
      outOfOrderTolerance: 10,
      maximumForwardDistance: 1000,
      ...(config as Partial<GroupConfig>).secretTree,
    }),
  };
  return { creator: MlsGroup.fromEpochState(state, config), size };
}
