import {
  left,
  type NodeIndex,
  nodeWidth,
  parent,
  right,
  root,
  sibling,
  toNodeIndex,
} from "@hpqmls/mls-core";
import { expectEqual, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";

function orNull(f: () => NodeIndex): number | null {
  try {
    return f();
  } catch {
    return null;
  }
}

export const treeMath: VectorRunner = {
  name: "tree-math",
  async runCase(c) {
    const f = new Fields(c);
    const n = f.num("n_leaves");
    expectEqual("n_nodes", nodeWidth(n), f.num("n_nodes"));
    expectEqual("root", root(n), f.num("root"));
    const rels = {
      left: (x: NodeIndex) => left(x),
      right: (x: NodeIndex) => right(x),
      parent: (x: NodeIndex) => parent(x, n),
      sibling: (x: NodeIndex) => sibling(x, n),
    };
    for (const [name, fn] of Object.entries(rels)) {
      const expected = f.optionalNums(name);
      expectEqual(`${name}[] length`, expected.length, nodeWidth(n));
      for (let i = 0; i < expected.length; i++)
        expectEqual(
          `${name}[${i}]`,
          orNull(() => fn(toNodeIndex(i))),
          expected[i],
        );
    }
  },
};
