import {
  decodeBytes,
  fromHex,
  RatchetTree,
  ratchetTreeCodec,
  toLeafIndex,
  toNodeIndex,
  verifyLeafNodeSignature,
  verifyParentHashes,
} from "@hpqmls/mls-core";
import { expectEqual, expectEqualBytes, expectTrue, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";

export const treeValidation: VectorRunner = {
  name: "tree-validation",
  async runCase(c) {
    const f = new Fields(c);
    const suite = vectorSuite(f.num("cipher_suite"));
    const tree = RatchetTree.fromNodes(decodeBytes(ratchetTreeCodec, f.hex("tree")));
    const groupId = f.hex("group_id");
    const resolutions = f.array("resolutions");
    const hashes = f.array("tree_hashes");
    expectEqual("node count", resolutions.length, tree.nodeCount);
    for (let i = 0; i < tree.nodeCount; i++) {
      const expected = resolutions[i];
      if (!Array.isArray(expected)) throw new Error(`resolutions[${i}] is not an array`);
      expectEqual(
        `resolution of node ${i}`,
        tree.resolution(toNodeIndex(i)).join(","),
        expected.join(","),
      );
      const h = hashes[i];
      if (typeof h !== "string") throw new Error(`tree_hashes[${i}] is not a string`);
      expectEqualBytes(
        `tree hash of node ${i}`,
        await tree.treeHash(suite, toNodeIndex(i)),
        fromHex(h),
      );
    }
    await verifyParentHashes(suite, tree);
    for (const [index, leaf] of tree.members()) {
      expectTrue(
        `signature of leaf ${index}`,
        await verifyLeafNodeSignature(suite, leaf, { groupId, leafIndex: toLeafIndex(index) }),
      );
    }
  },
};
