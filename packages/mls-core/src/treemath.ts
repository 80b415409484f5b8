import { UsageError } from "./errors.js";

/**
 * Tree math for the array representation of left-balanced binary trees (RFC 9420 Appendix C).
 * Leaves sit at even node indices, parents at odd ones; a tree with `n` leaves (always a power of
 * two in MLS, §7.1) has `2n - 1` nodes. Leaf and node indices are distinct branded types so one
 * cannot be passed where the other is meant.
 */

export type LeafIndex = number & { readonly __brand: "LeafIndex" };
export type NodeIndex = number & { readonly __brand: "NodeIndex" };

export const toLeafIndex = (n: number): LeafIndex => n as LeafIndex;
export const toNodeIndex = (n: number): NodeIndex => n as NodeIndex;

export function leafToNode(leaf: LeafIndex): NodeIndex {
  return (leaf * 2) as NodeIndex;
}

export function nodeToLeaf(node: NodeIndex): LeafIndex {
  if ((node & 1) !== 0) throw new UsageError(`node ${node} is not a leaf`);
  return (node >>> 1) as LeafIndex;
}

export function isLeaf(node: NodeIndex): boolean {
  return (node & 1) === 0;
}

/** floor(log2(x)), with log2(0) = 0. */
export function log2(x: number): number {
  return x === 0 ? 0 : 31 - Math.clz32(x);
}

/** Level of a node: leaves are 0, their parents 1, and so on (the number of trailing 1 bits). */
export function level(x: NodeIndex): number {
  let k = 0;
  while (((x >>> k) & 1) === 1) k++;
  return k;
}

/** Number of nodes of a tree with `nLeaves` leaves. */
export function nodeWidth(nLeaves: number): number {
  return nLeaves === 0 ? 0 : 2 * (nLeaves - 1) + 1;
}

export function root(nLeaves: number): NodeIndex {
  const w = nodeWidth(nLeaves);
  return ((1 << log2(w)) - 1) as NodeIndex;
}

export function left(x: NodeIndex): NodeIndex {
  const k = level(x);
  if (k === 0) throw new UsageError("a leaf node has no children");
  return (x ^ (1 << (k - 1))) as NodeIndex;
}

export function right(x: NodeIndex): NodeIndex {
  const k = level(x);
  if (k === 0) throw new UsageError("a leaf node has no children");
  return (x ^ (3 << (k - 1))) as NodeIndex;
}

export function parent(x: NodeIndex, nLeaves: number): NodeIndex {
  if (x === root(nLeaves)) throw new UsageError("the root node has no parent");
  const k = level(x);
  const b = (x >>> (k + 1)) & 1;
  return ((x | (1 << k)) ^ (b << (k + 1))) as NodeIndex;
}

export function sibling(x: NodeIndex, nLeaves: number): NodeIndex {
  const p = parent(x, nLeaves);
  return x < p ? right(p) : left(p);
}

/** Direct path of a node, from its parent up to and including the root. */
export function directPath(x: NodeIndex, nLeaves: number): NodeIndex[] {
  const r = root(nLeaves);
  const d: NodeIndex[] = [];
  while (x !== r) {
    x = parent(x, nLeaves);
    d.push(x);
  }
  return d;
}

/** Copath of a node: the sibling of each node on the path from the node up to below the root. */
export function copath(x: NodeIndex, nLeaves: number): NodeIndex[] {
  const r = root(nLeaves);
  const c: NodeIndex[] = [];
  while (x !== r) {
    c.push(sibling(x, nLeaves));
    x = parent(x, nLeaves);
  }
  return c;
}

/** Lowest common ancestor of two nodes (Appendix C, `common_ancestor_direct`). */
export function commonAncestor(x: NodeIndex, y: NodeIndex): NodeIndex {
  const lx = level(x) + 1;
  const ly = level(y) + 1;
  if (lx <= ly && x >>> ly === y >>> ly) return y;
  if (ly <= lx && x >>> lx === y >>> lx) return x;
  let xn = x as number;
  let yn = y as number;
  let k = 0;
  while (xn !== yn) {
    xn >>>= 1;
    yn >>>= 1;
    k++;
  }
  return ((xn << k) + (1 << (k - 1)) - 1) as NodeIndex;
}

/** True if `x` lies in the subtree rooted at `ancestor` (including `ancestor` itself). */
export function isInSubtree(x: NodeIndex, ancestor: NodeIndex): boolean {
  const k = level(ancestor);
  return level(x) <= k && x >>> (k + 1) === ancestor >>> (k + 1);
}
