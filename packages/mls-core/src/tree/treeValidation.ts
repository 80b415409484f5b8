import type { CipherSuite } from "../crypto/provider.js";
import { ValidationError } from "../errors.js";
import type { IdentityProvider } from "../group/identity.js";
import { directPath, type LeafIndex, leafToNode, toNodeIndex } from "../treemath.js";
import type { Extension } from "../wire/extension.js";
import type { LeafNode } from "../wire/leafNode.js";
import { summarizeCredentialTypes, validateLeafNode } from "./leafNodeValidation.js";
import { verifyParentHashes } from "./parentHash.js";
import { type RatchetTree, subtreeHasLeaf } from "./ratchetTree.js";

export interface TreeValidationContext {
  readonly suite: CipherSuite;
  readonly groupId: Uint8Array;
  readonly groupContextExtensions: readonly Extension[];
  readonly identity: IdentityProvider;
  /** When set, leaf lifetimes are checked against it (RECOMMENDED for received trees, §7.3). */
  readonly now?: bigint;
}

/**
 * §12.4.3.1 "Verify the integrity of the ratchet tree" (the tree-hash comparison is done by the
 * caller, which knows the expected hash): parent hashes, every leaf, unmerged leaves, and the
 * uniqueness of keys.
 */
export async function validateRatchetTree(
  tree: RatchetTree,
  c: TreeValidationContext,
): Promise<void> {
  await verifyParentHashes(c.suite, tree);

  const leaves: LeafNode[] = [];
  for (const [, leaf] of tree.members()) leaves.push(leaf);
  const credentialTypes = summarizeCredentialTypes(leaves);
  for (const [index, leaf] of tree.members()) {
    await validateLeafNode(leaf, {
      suite: c.suite,
      expectedSource: leaf.leafNodeSource,
      position: { groupId: c.groupId, leafIndex: index },
      groupContextExtensions: c.groupContextExtensions,
      identity: c.identity,
      credentialContext: "tree",
      credentialTypes,
      ...(c.now === undefined ? {} : { now: c.now }),
    });
    if (tree.signatureKeyCount(leaf.signatureKey) !== 1)
      throw new ValidationError("RFC9420 §7.3", `leaf ${index} shares its signature key`);
    if (tree.encryptionKeyCount(leaf.encryptionKey) !== 1)
      throw new ValidationError("RFC9420 §7.3", `leaf ${index} shares its encryption key`);
  }

  for (let i = 1; i < tree.nodeCount; i += 2) {
    const n = toNodeIndex(i);
    const p = tree.parentNode(n);
    if (p === undefined) continue;
    if (tree.encryptionKeyCount(p.encryptionKey) !== 1)
      throw new ValidationError(
        "RFC9420 §12.4.3.1",
        `the encryption key of parent node ${n} appears elsewhere in the tree`,
      );
    for (let k = 0; k < p.unmergedLeaves.length; k++) {
      const l = p.unmergedLeaves[k]!;
      if (k > 0 && l <= p.unmergedLeaves[k - 1]!)
        throw new ValidationError("RFC9420 §7.1", `unmerged_leaves of node ${n} are not sorted`);
      if (!subtreeHasLeaf(n, l) || tree.leaf(l as LeafIndex) === undefined)
        throw new ValidationError(
          "RFC9420 §12.4.3.1",
          `unmerged leaf ${l} of node ${n} is blank or not below it`,
        );
      // Every non-blank node between the leaf and n lists the leaf as unmerged too.
      for (const a of directPath(leafToNode(l as LeafIndex), tree.leafCount)) {
        if (a === n) break;
        const ap = tree.parentNode(a);
        if (ap !== undefined && !ap.unmergedLeaves.includes(l))
          throw new ValidationError(
            "RFC9420 §12.4.3.1",
            `unmerged leaf ${l} is missing from the unmerged leaves of node ${a}`,
          );
      }
    }
  }
}
