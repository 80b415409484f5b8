import {
  decodeBytes,
  encodeBytes,
  ProposalType,
  proposalCodec,
  RatchetTree,
  ratchetTreeCodec,
  toLeafIndex,
} from "@hpqmls/mls-core";
import { expectEqualBytes, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";

export const treeOperations: VectorRunner = {
  name: "tree-operations",
  async runCase(c) {
    const f = new Fields(c);
    const suite = vectorSuite(f.num("cipher_suite"));
    const tree = RatchetTree.fromNodes(decodeBytes(ratchetTreeCodec, f.hex("tree_before")));
    expectEqualBytes("tree_hash_before", await tree.treeHash(suite), f.hex("tree_hash_before"));
    const proposal = decodeBytes(proposalCodec, f.hex("proposal"));
    const sender = toLeafIndex(f.num("proposal_sender"));
    switch (proposal.proposalType) {
      case ProposalType.add:
        tree.addLeaf(proposal.keyPackage.leafNode);
        break;
      case ProposalType.update:
        tree.setLeaf(sender, proposal.leafNode);
        tree.blankDirectPath(sender);
        break;
      case ProposalType.remove:
        tree.removeLeaf(toLeafIndex(proposal.removed));
        break;
      default:
        throw new Error(`unexpected proposal type ${proposal.proposalType}`);
    }
    expectEqualBytes(
      "tree_after",
      encodeBytes(ratchetTreeCodec, tree.toNodes()),
      f.hex("tree_after"),
    );
    expectEqualBytes("tree_hash_after", await tree.treeHash(suite), f.hex("tree_hash_after"));
  },
};
