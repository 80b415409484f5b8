import { expandWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { UsageError } from "../errors.js";
import {
  directPath,
  isInSubtree,
  type LeafIndex,
  leafToNode,
  left,
  type NodeIndex,
  right,
  root,
} from "../treemath.js";
import { utf8, wipe } from "../util/bytes.js";

const LEFT = utf8("left");
const RIGHT = utf8("right");

/**
 * A tree of secrets derived from a root on demand (RFC 9420 §9):
 *
 *   tree_node_[left(N)]_secret  = ExpandWithLabel(tree_node_[N]_secret, "tree", "left",  KDF.Nh)
 *   tree_node_[right(N)]_secret = ExpandWithLabel(tree_node_[N]_secret, "tree", "right", KDF.Nh)
 *
 * Taking a leaf's secret consumes it: the secrets on its path are deleted once both children
 * exist (§9.2), so each leaf secret can be taken exactly once. The secret tree of §9 and the
 * exporter tree of draft-ietf-mls-extensions §2.3 are both built on it.
 */
export class DerivationTree {
  /** Unconsumed node secrets, by node index. */
  private readonly nodes = new Map<number, Uint8Array>();

  constructor(
    private readonly suite: CipherSuite,
    rootSecret: Uint8Array,
    readonly leafCount: number,
  ) {
    if (leafCount < 1 || (leafCount & (leafCount - 1)) !== 0)
      throw new UsageError("a secret tree has a power-of-two number of leaves (RFC 9420 §4.1)");
    this.nodes.set(root(leafCount), rootSecret.slice());
  }

  /** tree_node_[leaf]_secret; throws `UsageError` if it was already taken. */
  async take(leaf: LeafIndex): Promise<Uint8Array> {
    const target = leafToNode(leaf);
    let node: NodeIndex | undefined;
    for (const n of [target, ...directPath(target, this.leafCount)]) {
      if (this.nodes.has(n)) {
        node = n;
        break;
      }
    }
    if (node === undefined) throw new UsageError(`the secret of leaf ${leaf} was already consumed`);
    let secret = this.nodes.get(node)!;
    while (node !== target) {
      const l = left(node);
      const r = right(node);
      const [ls, rs] = await Promise.all([
        expandWithLabel(this.suite, secret, "tree", LEFT, this.suite.kdf.Nh),
        expandWithLabel(this.suite, secret, "tree", RIGHT, this.suite.kdf.Nh),
      ]);
      this.nodes.set(l, ls);
      this.nodes.set(r, rs);
      this.nodes.delete(node);
      wipe(secret);
      const goLeft = isInSubtree(target, l);
      node = goLeft ? l : r;
      secret = goLeft ? ls : rs;
    }
    this.nodes.delete(target);
    return secret;
  }

  /** True if the leaf's secret can still be taken. */
  available(leaf: LeafIndex): boolean {
    const target = leafToNode(leaf);
    for (const n of [target, ...directPath(target, this.leafCount)])
      if (this.nodes.has(n)) return true;
    return false;
  }

  exportNodes(): { node: number; secret: Uint8Array }[] {
    return [...this.nodes].map(([node, secret]) => ({ node, secret }));
  }

  /** Replaces the stored node secrets (restoring a serialised state). */
  importNodes(nodes: readonly { node: number; secret: Uint8Array }[]): void {
    for (const s of this.nodes.values()) wipe(s);
    this.nodes.clear();
    for (const n of nodes) this.nodes.set(n.node, n.secret);
  }

  destroy(): void {
    for (const s of this.nodes.values()) wipe(s);
    this.nodes.clear();
  }
}
