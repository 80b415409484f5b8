import { Writer } from "../codec/writer.js";
import type { CipherSuite } from "../crypto/provider.js";
import { ValidationError } from "../errors.js";
import { isLeaf, left, type NodeIndex, right, toNodeIndex } from "../treemath.js";
import { bytesEqual } from "../util/bytes.js";
import { LeafNodeSource, NodeType } from "../wire/enums.js";
import type { ParentNode } from "../wire/node.js";
import { type RatchetTree, subtreeHasLeaf } from "./ratchetTree.js";

/**
 * Parent hashes (RFC 9420 §7.9): each node set by an UpdatePath carries the hash of the next
 * node above it on the committer's filtered direct path, chaining every key the committer
 * introduced to the leaf it signed.
 */

/** Hash(ParentHashInput{encryption_key, parent_hash, original_sibling_tree_hash}). */
export function computeParentHash(
  suite: CipherSuite,
  encryptionKey: Uint8Array,
  parentHash: Uint8Array,
  originalSiblingTreeHash: Uint8Array,
): Promise<Uint8Array> {
  const w = new Writer(
    encryptionKey.length + parentHash.length + originalSiblingTreeHash.length + 8,
  );
  w.opaque(encryptionKey);
  w.opaque(parentHash);
  w.opaque(originalSiblingTreeHash);
  return suite.hash.digest(w.finish());
}

/**
 * For a freshly set filtered direct path `path` (leaf → root, each with its copath child),
 * returns the `parent_hash` value of every node on it and of the leaf: `result[i]` is the
 * parent_hash field of `path[i].node`, and `leafParentHash` that of the leaf (§7.9). The path's
 * nodes must already hold their new encryption keys; their unmerged lists are empty.
 */
export async function parentHashesForPath(
  suite: CipherSuite,
  tree: RatchetTree,
  path: readonly { node: NodeIndex; copathChild: NodeIndex }[],
  keys: readonly Uint8Array[],
): Promise<{ nodeParentHashes: Uint8Array[]; leafParentHash: Uint8Array }> {
  const m = path.length;
  const nodeParentHashes: Uint8Array[] = new Array(m);
  const siblingHashes = await Promise.all(path.map((p) => tree.treeHash(suite, p.copathChild)));
  let above: Uint8Array = new Uint8Array(0); // the root's parent_hash is empty
  for (let i = m - 1; i >= 0; i--) {
    nodeParentHashes[i] = above;
    above = await computeParentHash(suite, keys[i]!, above, siblingHashes[i]!);
  }
  return { nodeParentHashes, leafParentHash: above };
}

/** The parent_hash field of a node, or undefined if it has none (blank, or a non-commit leaf). */
function parentHashField(tree: RatchetTree, n: NodeIndex): Uint8Array | undefined {
  const node = tree.node(n);
  if (node === undefined) return undefined;
  if (node.nodeType === NodeType.parent) return node.parent.parentHash;
  return node.leaf.leafNodeSource === LeafNodeSource.commit ? node.leaf.parentHash : undefined;
}

/** The leaf indices under `n`, as a sorted list. */
function leavesUnder(n: NodeIndex, list: readonly number[]): number[] {
  return list.filter((l) => subtreeHasLeaf(n, l)).sort((a, b) => a - b);
}

/**
 * §7.9.2: is D's parent hash valid with respect to parent P, where C is P's child above D and S
 * the other child?
 */
async function isValidLink(
  suite: CipherSuite,
  tree: RatchetTree,
  p: ParentNode,
  c: NodeIndex,
  s: NodeIndex,
  d: NodeIndex,
): Promise<boolean> {
  const field = parentHashField(tree, d);
  if (field === undefined) return false;
  // D is in the resolution of C, and P.unmerged_leaves ∩ subtree(C) = resolution(C) \ {D}.
  const res = tree.resolution(c);
  if (!res.includes(d)) return false;
  const others = res.filter((x) => x !== d);
  if (!others.every(isLeaf)) return false;
  const otherLeaves = others.map((x) => x / 2).sort((a, b) => a - b);
  const unmergedUnderC = leavesUnder(c, p.unmergedLeaves);
  if (otherLeaves.length !== unmergedUnderC.length) return false;
  for (let i = 0; i < otherLeaves.length; i++)
    if (otherLeaves[i] !== unmergedUnderC[i]) return false;
  const original = await tree.treeHashWithout(suite, s, p.unmergedLeaves);
  const expected = await computeParentHash(suite, p.encryptionKey, p.parentHash, original);
  return bytesEqual(expected, field);
}

/**
 * §7.9.2 on joining: every non-blank parent node must be parent-hash valid. Checked top down:
 * each non-blank parent P has exactly one node D below it (in the resolution of one of its
 * children) whose parent hash is valid with respect to P; following those links from any P
 * ends at a leaf.
 */
export async function verifyParentHashes(suite: CipherSuite, tree: RatchetTree): Promise<void> {
  for (let i = 1; i < tree.nodeCount; i += 2) {
    const n = toNodeIndex(i);
    const p = tree.parentNode(n);
    if (p === undefined) continue;
    const l = left(n);
    const r = right(n);
    let links = 0;
    for (const [c, s] of [
      [l, r],
      [r, l],
    ] as const) {
      for (const d of tree.resolution(c)) if (await isValidLink(suite, tree, p, c, s, d)) links++;
    }
    if (links !== 1)
      throw new ValidationError(
        "RFC9420 §7.9.2",
        `parent node ${n} is not parent-hash valid (${links} valid links from below)`,
      );
  }
}
