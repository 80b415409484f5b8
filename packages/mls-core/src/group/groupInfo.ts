import { encodeBytes } from "../codec/codec.js";
import { signWithLabel, verifyWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { CryptoError, ValidationError } from "../errors.js";
import { RatchetTree } from "../tree/ratchetTree.js";
import { toLeafIndex } from "../treemath.js";
import { ExtensionType } from "../wire/enums.js";
import { type Extension, getExtension, makeExtension } from "../wire/extension.js";
import { externalPubCodec } from "../wire/extensions.js";
import { type GroupInfo, type GroupInfoTBS, groupInfoTBSCodec } from "../wire/groupInfo.js";
import { type RatchetTreeNodes, ratchetTreeCodec } from "../wire/node.js";

/** GroupInfo signing and verification (RFC 9420 §12.4.3). */

export async function signGroupInfo(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  tbs: GroupInfoTBS,
): Promise<GroupInfo> {
  const signature = await signWithLabel(
    suite,
    signaturePrivateKey,
    "GroupInfoTBS",
    encodeBytes(groupInfoTBSCodec, tbs),
  );
  return { ...tbs, signature };
}

/** Verifies the GroupInfo signature with the key of leaf `signer` in `tree`. */
export async function verifyGroupInfoSignature(
  suite: CipherSuite,
  gi: GroupInfo,
  tree: RatchetTree,
): Promise<void> {
  if (gi.signer >= tree.leafCount)
    throw new ValidationError("RFC9420 §12.4.3.1", "the GroupInfo signer is outside the tree");
  const leaf = tree.leaf(toLeafIndex(gi.signer));
  if (leaf === undefined)
    throw new ValidationError("RFC9420 §12.4.3.1", "the GroupInfo signer's leaf is blank");
  const ok = await verifyWithLabel(
    suite,
    leaf.signatureKey,
    "GroupInfoTBS",
    encodeBytes(groupInfoTBSCodec, gi),
    gi.signature,
  );
  if (!ok) throw new CryptoError("invalid GroupInfo signature (RFC 9420 §12.4.3.1)");
}

/** The ratchet tree carried in GroupInfo.extensions, if any (§12.4.3.3). */
export function ratchetTreeFromExtensions(
  extensions: readonly Extension[],
): RatchetTree | undefined {
  const nodes = getExtension(extensions, ExtensionType.ratchet_tree, ratchetTreeCodec);
  return nodes === undefined ? undefined : RatchetTree.fromNodes(nodes);
}

export function ratchetTreeExtension(nodes: RatchetTreeNodes): Extension {
  return makeExtension(ExtensionType.ratchet_tree, ratchetTreeCodec, nodes);
}

export function externalPubExtension(publicKey: Uint8Array): Extension {
  return makeExtension(ExtensionType.external_pub, externalPubCodec, publicKey);
}

export function externalPubFromExtensions(
  extensions: readonly Extension[],
): Uint8Array | undefined {
  return getExtension(extensions, ExtensionType.external_pub, externalPubCodec);
}
