import { Writer } from "../codec/writer.js";
import type { CipherSuite } from "../crypto/provider.js";
import { UsageError, ValidationError } from "../errors.js";
import {
  directPath,
  isLeaf,
  type LeafIndex,
  leafToNode,
  left,
  type NodeIndex,
  nodeToLeaf,
  parent,
  right,
  root,
  sibling,
  toLeafIndex,
  toNodeIndex,
} from "../treemath.js";
import { NodeType } from "../wire/enums.js";
import { type LeafNode, leafNodeCodec } from "../wire/leafNode.js";
import {
  type Node,
  type ParentNode,
  parentNodeCodec,
  type RatchetTreeNodes,
} from "../wire/node.js";
import { KeyIndex } from "./keyIndex.js";

/**
 * The ratchet tree (RFC 9420 §4, §7) in its array representation (Appendix C), with the tree
 * hash of every node cached (§7.8). Every mutation goes through a method that invalidates the
 * cached hashes on the changed node's path, so a commit recomputes only O(log n) hashes.
 *
 * Nodes are immutable values; `clone()` copies two arrays of references, which is how a staged
 * commit gets its own tree without touching the current one. Do not mutate a tree while one of
 * its hash computations is in flight.
 */
export class RatchetTree {
  private constructor(
    private nodes: (Node | undefined)[],
    private hashes: (Uint8Array | undefined)[],
    /** Encryption keys of all nodes (§7.3, §12.4.2 uniqueness). */
    private readonly encryptionKeys: KeyIndex,
    /** Signature keys of all leaves (§7.3 uniqueness). */
    private readonly signatureKeys: KeyIndex,
  ) {}

  private static build(nodes: (Node | undefined)[]): RatchetTree {
    const enc = KeyIndex.empty();
    const sig = KeyIndex.empty();
    for (const n of nodes) {
      if (n === undefined) continue;
      if (n.nodeType === NodeType.leaf) {
        enc.add(n.leaf.encryptionKey);
        sig.add(n.leaf.signatureKey);
      } else enc.add(n.parent.encryptionKey);
    }
    return new RatchetTree(nodes, new Array(nodes.length).fill(undefined), enc, sig);
  }

  /** A one-member tree. */
  static create(leaf: LeafNode): RatchetTree {
    return RatchetTree.build([{ nodeType: NodeType.leaf, leaf }]);
  }

  /**
   * Builds a tree from the `ratchet_tree` extension form (§12.4.3.3): checks node types by
   * position, requires a non-blank last node, and extends the array with blanks to full width.
   */
  static fromNodes(list: RatchetTreeNodes): RatchetTree {
    if (list.length === 0)
      throw new ValidationError("RFC9420 §12.4.3.3", "the ratchet tree is empty");
    if (list[list.length - 1] === undefined)
      throw new ValidationError("RFC9420 §12.4.3.3", "the last node of the ratchet tree is blank");
    let width = 1;
    while (width < list.length) width = width * 2 + 1;
    const nodes: (Node | undefined)[] = new Array(width);
    for (let i = 0; i < width; i++) {
      const n = list[i];
      if (n !== undefined) {
        const expected = i % 2 === 0 ? NodeType.leaf : NodeType.parent;
        if (n.nodeType !== expected)
          throw new ValidationError(
            "RFC9420 §12.4.3.3",
            `node ${i} must be a ${expected === NodeType.leaf ? "leaf" : "parent"} node`,
          );
      }
      nodes[i] = n;
    }
    return RatchetTree.build(nodes);
  }

  /** The `ratchet_tree` extension form: trailing blank nodes are omitted (§12.4.3.3). */
  toNodes(): RatchetTreeNodes {
    let end = this.nodes.length;
    while (end > 0 && this.nodes[end - 1] === undefined) end--;
    return this.nodes.slice(0, end);
  }

  clone(): RatchetTree {
    return new RatchetTree(
      this.nodes.slice(),
      this.hashes.slice(),
      this.encryptionKeys.clone(),
      this.signatureKeys.clone(),
    );
  }

  /** How many nodes hold this encryption key. */
  encryptionKeyCount(key: Uint8Array): number {
    return this.encryptionKeys.count(key);
  }

  /** How many leaves hold this signature key. */
  signatureKeyCount(key: Uint8Array): number {
    return this.signatureKeys.count(key);
  }

  get leafCount(): number {
    return (this.nodes.length + 1) / 2;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  get root(): NodeIndex {
    return root(this.leafCount);
  }

  node(n: NodeIndex): Node | undefined {
    return this.nodes[n];
  }

  isBlank(n: NodeIndex): boolean {
    return this.nodes[n] === undefined;
  }

  leaf(i: LeafIndex): LeafNode | undefined {
    const n = this.nodes[leafToNode(i)];
    return n?.nodeType === NodeType.leaf ? n.leaf : undefined;
  }

  parentNode(n: NodeIndex): ParentNode | undefined {
    const node = this.nodes[n];
    return node?.nodeType === NodeType.parent ? node.parent : undefined;
  }

  /** All non-blank leaves, in index order. */
  *members(): Generator<[LeafIndex, LeafNode]> {
    for (let i = 0; i < this.nodes.length; i += 2) {
      const n = this.nodes[i];
      if (n?.nodeType === NodeType.leaf) yield [toLeafIndex(i / 2), n.leaf];
    }
  }

  get memberCount(): number {
    let c = 0;
    for (let i = 0; i < this.nodes.length; i += 2) if (this.nodes[i] !== undefined) c++;
    return c;
  }

  // ---- mutation (each goes through `put`, which keeps the hash cache and key indices) ----

  private put(n: NodeIndex, node: Node | undefined): void {
    const old = this.nodes[n];
    if (old !== undefined) {
      if (old.nodeType === NodeType.leaf) {
        this.encryptionKeys.remove(old.leaf.encryptionKey);
        this.signatureKeys.remove(old.leaf.signatureKey);
      } else this.encryptionKeys.remove(old.parent.encryptionKey);
    }
    if (node !== undefined) {
      if (node.nodeType === NodeType.leaf) {
        this.encryptionKeys.add(node.leaf.encryptionKey);
        this.signatureKeys.add(node.leaf.signatureKey);
      } else this.encryptionKeys.add(node.parent.encryptionKey);
    }
    this.nodes[n] = node;
    this.invalidate(n);
  }

  private invalidate(n: NodeIndex): void {
    this.hashes[n] = undefined;
    const r = this.root;
    let x = n;
    while (x !== r) {
      x = parent(x, this.leafCount);
      if (this.hashes[x] === undefined) break; // ancestors of an uncached node are uncached
      this.hashes[x] = undefined;
    }
  }

  setLeaf(i: LeafIndex, leaf: LeafNode | undefined): void {
    const n = leafToNode(i);
    if (n >= this.nodes.length) throw new UsageError(`leaf ${i} is outside the tree`);
    this.put(n, leaf === undefined ? undefined : { nodeType: NodeType.leaf, leaf });
  }

  setParent(n: NodeIndex, p: ParentNode | undefined): void {
    if (isLeaf(n) || n >= this.nodes.length) throw new UsageError(`node ${n} is not a parent`);
    this.put(n, p === undefined ? undefined : { nodeType: NodeType.parent, parent: p });
  }

  /** Blanks every node on the direct path of `leaf` (not the leaf itself). */
  blankDirectPath(leaf: LeafIndex): void {
    for (const n of directPath(leafToNode(leaf), this.leafCount))
      if (this.nodes[n] !== undefined) this.put(n, undefined);
  }

  /** Doubles the tree: a new blank root over the old tree and an all-blank right subtree. */
  private extend(): void {
    const oldWidth = this.nodes.length;
    const width = oldWidth * 2 + 1;
    this.nodes.length = width;
    this.hashes.length = width;
    // `length =` leaves holes; make them explicit undefined entries.
    for (let i = oldWidth; i < width; i++) {
      this.nodes[i] = undefined;
      this.hashes[i] = undefined;
    }
  }

  /**
   * The leftmost blank leaf, after extending the tree if it has none (§12.1.1, §12.4.2 for the
   * sender of an external commit). The leaf stays blank.
   */
  leftmostBlankLeaf(): LeafIndex {
    for (let i = 0; i < this.nodes.length; i += 2)
      if (this.nodes[i] === undefined) return toLeafIndex(i / 2);
    const index = this.leafCount;
    this.extend();
    return toLeafIndex(index);
  }

  /**
   * §12.1.1: places `leaf` in the leftmost blank leaf (extending the tree if there is none) and
   * records it as unmerged at every non-blank ancestor. Returns its leaf index.
   */
  addLeaf(leaf: LeafNode): LeafIndex {
    const li = this.leftmostBlankLeaf();
    const index: number = li;
    this.setLeaf(li, leaf);
    for (const n of directPath(leafToNode(li), this.leafCount)) {
      const p = this.parentNode(n);
      if (p !== undefined) {
        const unmerged = [...p.unmergedLeaves, index].sort((a, b) => a - b);
        this.setParent(n, { ...p, unmergedLeaves: unmerged });
      }
    }
    return li;
  }

  /** §12.1.3: blanks the leaf and its direct path, then truncates the tree. */
  removeLeaf(i: LeafIndex): void {
    if (this.leaf(i) === undefined) throw new UsageError(`leaf ${i} is blank`);
    this.setLeaf(i, undefined);
    this.blankDirectPath(i);
    this.truncate();
  }

  /** §7.7: while the right subtree of the root is all blank, drop it and the root. */
  truncate(): void {
    while (this.leafCount > 1) {
      const half = (this.nodes.length - 1) / 2;
      let rightBlank = true;
      for (let i = half + 1; i < this.nodes.length; i++) {
        if (this.nodes[i] !== undefined) {
          rightBlank = false;
          break;
        }
      }
      if (!rightBlank) return;
      this.put(toNodeIndex(half), undefined); // the old root goes, blank or not
      this.nodes.length = half;
      this.hashes.length = half;
    }
  }

  // ---- resolution and paths (§4.1) ----

  /** §4.1.1 resolution: non-blank node → itself + unmerged leaves; blank → children's. */
  resolution(n: NodeIndex, exclude?: ReadonlySet<number>): NodeIndex[] {
    const out: NodeIndex[] = [];
    this.resolveInto(n, out, exclude);
    return out;
  }

  private resolveInto(n: NodeIndex, out: NodeIndex[], exclude?: ReadonlySet<number>): void {
    const node = this.nodes[n];
    if (node !== undefined) {
      if (node.nodeType === NodeType.leaf) {
        if (!exclude?.has(n / 2)) out.push(n);
        return;
      }
      out.push(n);
      for (const l of node.parent.unmergedLeaves)
        if (!exclude?.has(l)) out.push(leafToNode(toLeafIndex(l)));
      return;
    }
    if (isLeaf(n)) return;
    this.resolveInto(left(n), out, exclude);
    this.resolveInto(right(n), out, exclude);
  }

  /** True if the subtree under `n` holds any non-blank node. */
  private hasNonBlank(n: NodeIndex): boolean {
    if (this.nodes[n] !== undefined) return true;
    if (isLeaf(n)) return false;
    return this.hasNonBlank(left(n)) || this.hasNonBlank(right(n));
  }

  /**
   * §4.1.2 filtered direct path of a leaf, with each node's child on the leaf's copath:
   * the direct path minus nodes whose copath child has an empty resolution.
   */
  filteredDirectPath(leaf: LeafIndex): { node: NodeIndex; copathChild: NodeIndex }[] {
    const out: { node: NodeIndex; copathChild: NodeIndex }[] = [];
    const n = this.leafCount;
    let x = leafToNode(leaf);
    const r = this.root;
    while (x !== r) {
      const s = sibling(x, n);
      const p = parent(x, n);
      if (this.hasNonBlank(s)) out.push({ node: p, copathChild: s });
      x = p;
    }
    return out;
  }

  // ---- tree hash (§7.8) ----

  /** Tree hash of the node (the root by default). */
  treeHash(suite: CipherSuite, n: NodeIndex = this.root): Promise<Uint8Array> {
    return this.hashOf(suite, n);
  }

  private async hashOf(suite: CipherSuite, n: NodeIndex): Promise<Uint8Array> {
    const cached = this.hashes[n];
    if (cached !== undefined) return cached;
    let input: Uint8Array;
    if (isLeaf(n)) {
      input = leafHashInput(n, this.nodes[n]);
    } else {
      const [lh, rh] = await Promise.all([
        this.hashOf(suite, left(n)),
        this.hashOf(suite, right(n)),
      ]);
      input = parentHashInputForTreeHash(this.parentNode(n), lh, rh);
    }
    const h = await suite.hash.digest(input);
    this.hashes[n] = h;
    return h;
  }

  /**
   * The tree hash of the subtree under `n` as if every leaf in `removed` were blank and absent
   * from all `unmerged_leaves` lists: the "original sibling tree hash" of §7.9. Cached hashes
   * are reused for subtrees that contain none of those leaves.
   */
  async treeHashWithout(
    suite: CipherSuite,
    n: NodeIndex,
    removed: readonly number[],
  ): Promise<Uint8Array> {
    const inSubtree = removed.filter((l) => subtreeHasLeaf(n, l));
    if (inSubtree.length === 0) return this.hashOf(suite, n);
    if (isLeaf(n)) return suite.hash.digest(leafHashInput(n, undefined));
    const p = this.parentNode(n);
    const stripped =
      p === undefined
        ? undefined
        : { ...p, unmergedLeaves: p.unmergedLeaves.filter((l) => !inSubtree.includes(l)) };
    const [lh, rh] = await Promise.all([
      this.treeHashWithout(suite, left(n), inSubtree),
      this.treeHashWithout(suite, right(n), inSubtree),
    ]);
    return suite.hash.digest(parentHashInputForTreeHash(stripped, lh, rh));
  }
}

/** True if leaf `l` lies under node `n`. */
export function subtreeHasLeaf(n: NodeIndex, l: number): boolean {
  const x = 2 * l;
  // The subtree of a node at level k spans node indices n - (2^k - 1) .. n + (2^k - 1).
  let k = 0;
  while (((n >>> k) & 1) === 1) k++;
  const span = (1 << k) - 1;
  return x >= n - span && x <= n + span;
}

/** TreeHashInput for a leaf (§7.8). */
function leafHashInput(n: NodeIndex, node: Node | undefined): Uint8Array {
  const w = new Writer(node === undefined ? 8 : 512);
  w.u8(NodeType.leaf);
  w.u32(nodeToLeaf(n));
  if (node?.nodeType === NodeType.leaf) {
    w.u8(1);
    leafNodeCodec.encode(w, node.leaf);
  } else {
    w.u8(0);
  }
  return w.finish();
}

/** TreeHashInput for a parent (§7.8). */
function parentHashInputForTreeHash(
  p: ParentNode | undefined,
  leftHash: Uint8Array,
  rightHash: Uint8Array,
): Uint8Array {
  const w = new Writer(256);
  w.u8(NodeType.parent);
  if (p === undefined) w.u8(0);
  else {
    w.u8(1);
    parentNodeCodec.encode(w, p);
  }
  w.opaque(leftHash);
  w.opaque(rightHash);
  return w.finish();
}
