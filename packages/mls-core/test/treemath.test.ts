import { describe, expect, it } from "vitest";
import {
  commonAncestor,
  copath,
  directPath,
  isInSubtree,
  leafToNode,
  level,
  nodeToLeaf,
  nodeWidth,
  parent,
  root,
  toLeafIndex,
  toNodeIndex,
  UsageError,
} from "../src/index.js";

describe("tree math (RFC 9420 Appendix C)", () => {
  it("matches the worked example of an 8-leaf tree", () => {
    // Figure in §4.1: root 7, node 3's children 1 and 5, leaf 2 (node 4) has direct path 5, 3, 7.
    expect(root(8)).toBe(7);
    expect(nodeWidth(8)).toBe(15);
    expect(directPath(leafToNode(toLeafIndex(2)), 8)).toEqual([5, 3, 7]);
    expect(copath(leafToNode(toLeafIndex(2)), 8)).toEqual([6, 1, 11]);
    expect(level(toNodeIndex(7))).toBe(3);
  });

  it("finds common ancestors as the semantic definition does", () => {
    for (const n of [1, 2, 4, 8, 16]) {
      const w = nodeWidth(n);
      for (let x = 0; x < w; x++) {
        for (let y = 0; y < w; y++) {
          const px = [x, ...directPath(toNodeIndex(x), n)];
          const py = new Set([y, ...directPath(toNodeIndex(y), n)]);
          const common = px.filter((p) => py.has(p));
          const expected = common.reduce((a, b) =>
            level(toNodeIndex(a)) <= level(toNodeIndex(b)) ? a : b,
          );
          expect(commonAncestor(toNodeIndex(x), toNodeIndex(y))).toBe(expected);
        }
      }
    }
  });

  it("isInSubtree agrees with direct paths", () => {
    const n = 16;
    for (let x = 0; x < nodeWidth(n); x++) {
      const ancestors = new Set([x, ...directPath(toNodeIndex(x), n)]);
      for (let a = 0; a < nodeWidth(n); a++)
        expect(isInSubtree(toNodeIndex(x), toNodeIndex(a))).toBe(ancestors.has(a));
    }
  });

  it("rejects misuse with a UsageError", () => {
    expect(() => parent(root(4), 4)).toThrow(UsageError);
    expect(() => nodeToLeaf(toNodeIndex(3))).toThrow(UsageError);
  });
});
