import { decryptWithLabel, deriveSecret, encryptWithLabel } from "../crypto/labeled.js";
import type { CipherSuite, KeyPair } from "../crypto/provider.js";
import { CryptoError, InternalError, ValidationError } from "../errors.js";
import { isInSubtree, type LeafIndex, leafToNode, type NodeIndex } from "../treemath.js";
import { bytesEqual, wipe } from "../util/bytes.js";
import { LeafNodeSource, NodeType } from "../wire/enums.js";
import type { LeafNode, LeafNodeTBSCore } from "../wire/leafNode.js";
import type { UpdatePath, UpdatePathNode } from "../wire/updatePath.js";
import { signLeafNode } from "./leafNodeValidation.js";
import { parentHashesForPath } from "./parentHash.js";
import type { RatchetTree } from "./ratchetTree.js";

/**
 * TreeKEM (RFC 9420 §7.4–7.6): creating and applying UpdatePaths.
 *
 *   path_secret[0] random;  path_secret[n] = DeriveSecret(path_secret[n-1], "path")
 *   node_secret[n] = DeriveSecret(path_secret[n], "node")
 *   node_priv[n], node_pub[n] = KEM.DeriveKeyPair(node_secret[n])
 *   commit_secret = DeriveSecret(path_secret[last], "path")
 */

/** HPKE private keys a member holds, by node index (its leaf and nodes on its direct path). */
export type PrivateKeyMap = Map<number, Uint8Array>;

export async function nodeKeyPairFromPathSecret(
  suite: CipherSuite,
  pathSecret: Uint8Array,
): Promise<KeyPair> {
  const nodeSecret = await deriveSecret(suite, pathSecret, "node");
  const kp = await suite.hpke.kem.deriveKeyPair(nodeSecret);
  wipe(nodeSecret);
  return kp;
}

export function nextPathSecret(suite: CipherSuite, pathSecret: Uint8Array): Promise<Uint8Array> {
  return deriveSecret(suite, pathSecret, "path");
}

/** The fields of the committer's new leaf other than keys, source and signature. */
export type LeafNodeTemplate = Omit<
  LeafNodeTBSCore,
  "encryptionKey" | "leafNodeSource" | "lifetime" | "parentHash"
>;

export interface CreatedPath {
  readonly updatePath: UpdatePath;
  readonly commitSecret: Uint8Array;
  /** Path secret of every node on the filtered direct path (for Welcome's path_secret). */
  readonly pathSecrets: Map<number, Uint8Array>;
  /** New private keys: the leaf's and each filtered-direct-path node's. */
  readonly privateKeys: PrivateKeyMap;
}

export interface CreatePathOptions {
  readonly suite: CipherSuite;
  readonly tree: RatchetTree;
  readonly leaf: LeafIndex;
  readonly leafTemplate: LeafNodeTemplate;
  readonly signaturePrivateKey: Uint8Array;
  readonly groupId: Uint8Array;
  /** Leaves added in this commit: they get the path secret through the Welcome instead. */
  readonly excludedLeaves: ReadonlySet<number>;
  /** The provisional GroupContext (encoded) for the tree hash of the updated tree. */
  readonly provisionalGroupContext: (treeHash: Uint8Array) => Promise<Uint8Array> | Uint8Array;
  /** Optional fixed leaf key pair / first path secret (tests). */
  readonly leafKeyPair?: KeyPair;
  readonly firstPathSecret?: Uint8Array;
}

/**
 * §7.5 "updates their direct path": blanks the committer's direct path, sets fresh keys on its
 * filtered direct path with their parent hashes, signs the new leaf, and encrypts each path
 * secret to the resolution of the copath child (§7.6). Mutates `tree` (a staged copy).
 * Returns also the provisional GroupContext used for encryption.
 */
export async function createUpdatePath(
  o: CreatePathOptions,
): Promise<CreatedPath & { provisionalGroupContext: Uint8Array }> {
  const { suite, tree, leaf } = o;
  tree.blankDirectPath(leaf);
  const path = tree.filteredDirectPath(leaf);

  const leafKeys = o.leafKeyPair ?? (await suite.hpke.kem.generateKeyPair());
  const pathSecrets = new Map<number, Uint8Array>();
  const privateKeys: PrivateKeyMap = new Map([[leafToNode(leaf), leafKeys.privateKey]]);
  const publicKeys: Uint8Array[] = [];
  let secret = o.firstPathSecret ?? suite.randomBytes(suite.kdf.Nh);
  for (let i = 0; i < path.length; i++) {
    if (i > 0) secret = await nextPathSecret(suite, secret);
    const kp = await nodeKeyPairFromPathSecret(suite, secret);
    pathSecrets.set(path[i]!.node, secret);
    privateKeys.set(path[i]!.node, kp.privateKey);
    publicKeys.push(kp.publicKey);
  }
  const commitSecret = await nextPathSecret(suite, secret);

  // Parent hashes are computed over the tree with the new keys in place (§7.9).
  for (let i = 0; i < path.length; i++)
    tree.setParent(path[i]!.node, {
      encryptionKey: publicKeys[i]!,
      parentHash: new Uint8Array(0),
      unmergedLeaves: [],
    });
  const { nodeParentHashes, leafParentHash } = await parentHashesForPath(
    suite,
    tree,
    path,
    publicKeys,
  );
  for (let i = 0; i < path.length; i++)
    tree.setParent(path[i]!.node, {
      encryptionKey: publicKeys[i]!,
      parentHash: nodeParentHashes[i]!,
      unmergedLeaves: [],
    });

  const leafNode = await signLeafNode(
    suite,
    o.signaturePrivateKey,
    {
      ...o.leafTemplate,
      encryptionKey: leafKeys.publicKey,
      leafNodeSource: LeafNodeSource.commit,
      parentHash: leafParentHash,
    },
    { groupId: o.groupId, leafIndex: leaf },
  );
  tree.setLeaf(leaf, leafNode);

  const provisionalGroupContext = await o.provisionalGroupContext(await tree.treeHash(suite));
  const nodes: UpdatePathNode[] = await Promise.all(
    path.map(async ({ node, copathChild }, i) => {
      const ps = pathSecrets.get(node)!;
      const targets = tree.resolution(copathChild, o.excludedLeaves);
      const encryptedPathSecret = await Promise.all(
        targets.map(async (t) => {
          const key = nodeEncryptionKey(tree, t);
          const c = await encryptWithLabel(
            suite,
            key,
            "UpdatePathNode",
            provisionalGroupContext,
            ps,
          );
          return { kemOutput: c.kemOutput, ciphertext: c.ciphertext };
        }),
      );
      return { encryptionKey: publicKeys[i]!, encryptedPathSecret };
    }),
  );
  return {
    updatePath: { leafNode, nodes },
    commitSecret,
    pathSecrets,
    privateKeys,
    provisionalGroupContext,
  };
}

function nodeEncryptionKey(tree: RatchetTree, n: NodeIndex): Uint8Array {
  const node = tree.node(n);
  if (node === undefined) throw new InternalError(`resolution contains blank node ${n}`);
  return node.nodeType === NodeType.leaf ? node.leaf.encryptionKey : node.parent.encryptionKey;
}

/**
 * §7.5 "merges UpdatePath into the tree" on the receiving side: blanks the sender's direct path,
 * sets the new public keys with empty unmerged lists, recomputes the parent hashes and checks
 * that the committer's leaf signed the right one, then sets the leaf. Mutates `tree`.
 * Returns the filtered direct path it used.
 */
export async function mergeUpdatePath(
  suite: CipherSuite,
  tree: RatchetTree,
  sender: LeafIndex,
  updatePath: UpdatePath,
): Promise<{ node: NodeIndex; copathChild: NodeIndex }[]> {
  tree.blankDirectPath(sender);
  const path = tree.filteredDirectPath(sender);
  if (updatePath.nodes.length !== path.length)
    throw new ValidationError(
      "RFC9420 §7.6",
      `UpdatePath has ${updatePath.nodes.length} nodes, the filtered direct path ${path.length}`,
    );
  const keys = updatePath.nodes.map((n) => n.encryptionKey);
  for (let i = 0; i < path.length; i++)
    tree.setParent(path[i]!.node, {
      encryptionKey: keys[i]!,
      parentHash: new Uint8Array(0),
      unmergedLeaves: [],
    });
  const { nodeParentHashes, leafParentHash } = await parentHashesForPath(suite, tree, path, keys);
  for (let i = 0; i < path.length; i++)
    tree.setParent(path[i]!.node, {
      encryptionKey: keys[i]!,
      parentHash: nodeParentHashes[i]!,
      unmergedLeaves: [],
    });
  const leaf: LeafNode = updatePath.leafNode;
  if (leaf.leafNodeSource !== LeafNodeSource.commit || !bytesEqual(leaf.parentHash, leafParentHash))
    throw new ValidationError("RFC9420 §7.9.2", "the committer's leaf has a wrong parent_hash");
  tree.setLeaf(sender, leaf);
  return path;
}

/**
 * §7.5 "decrypts the path secrets": finds the first filtered-direct-path node whose copath child
 * covers `me`, decrypts its path secret with a key `me` holds, derives the rest of the path and
 * checks every derived public key against the tree. Returns the commit secret, the path secrets
 * and the new private keys.
 */
export async function decryptUpdatePath(
  suite: CipherSuite,
  tree: RatchetTree,
  path: readonly { node: NodeIndex; copathChild: NodeIndex }[],
  updatePath: UpdatePath,
  me: LeafIndex,
  myKeys: PrivateKeyMap,
  excludedLeaves: ReadonlySet<number>,
  provisionalGroupContext: Uint8Array,
): Promise<{ commitSecret: Uint8Array; privateKeys: PrivateKeyMap; pathSecret: Uint8Array }> {
  const myNode = leafToNode(me);
  const idx = path.findIndex((p) => isInSubtree(myNode, p.copathChild));
  if (idx < 0) throw new InternalError("the receiver is not below the committer's path");
  const { copathChild } = path[idx]!;
  const resolution = tree.resolution(copathChild, excludedLeaves);
  const pos = resolution.findIndex((n) => myKeys.has(n));
  if (pos < 0)
    throw new CryptoError("no private key for the UpdatePath's resolution (RFC 9420 §7.5)");
  const ciphertexts = updatePath.nodes[idx]!.encryptedPathSecret;
  if (ciphertexts.length !== resolution.length)
    throw new ValidationError(
      "RFC9420 §7.6",
      "encrypted_path_secret does not match the copath resolution",
    );
  const holder = resolution[pos]!;
  const ct = ciphertexts[pos]!;
  const pathSecret = await decryptWithLabel(
    suite,
    myKeys.get(holder)!,
    nodeEncryptionKey(tree, holder),
    "UpdatePathNode",
    provisionalGroupContext,
    ct.kemOutput,
    ct.ciphertext,
  );
  let secret = pathSecret;
  const privateKeys: PrivateKeyMap = new Map();
  for (let i = idx; i < path.length; i++) {
    if (i > idx) secret = await nextPathSecret(suite, secret);
    const kp = await nodeKeyPairFromPathSecret(suite, secret);
    if (!bytesEqual(kp.publicKey, updatePath.nodes[i]!.encryptionKey))
      throw new CryptoError("a derived path key does not match the UpdatePath (RFC 9420 §7.5)");
    privateKeys.set(path[i]!.node, kp.privateKey);
  }
  const commitSecret = await nextPathSecret(suite, secret);
  return { commitSecret, privateKeys, pathSecret };
}

/**
 * §12.4.3.1 joining with a path secret: `nodes` runs from the lowest common ancestor of the
 * joiner and the committer up to the root. Blank nodes were not on the committer's filtered
 * direct path, so the path-secret chain skips them.
 */
export async function privateKeysFromPathSecret(
  suite: CipherSuite,
  tree: RatchetTree,
  nodes: readonly NodeIndex[],
  pathSecret: Uint8Array,
): Promise<PrivateKeyMap> {
  const out: PrivateKeyMap = new Map();
  let secret = pathSecret;
  let first = true;
  for (const n of nodes) {
    const node = tree.parentNode(n);
    if (node === undefined) continue;
    if (!first) secret = await nextPathSecret(suite, secret);
    first = false;
    const kp = await nodeKeyPairFromPathSecret(suite, secret);
    if (!bytesEqual(kp.publicKey, node.encryptionKey))
      throw new CryptoError(
        "the Welcome's path secret does not match the tree (RFC 9420 §12.4.3.1)",
      );
    out.set(n, kp.privateKey);
  }
  return out;
}
