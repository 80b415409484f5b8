import { encodeBytes } from "../codec/codec.js";
import { makeProposalRef } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { UsageError, ValidationError } from "../errors.js";
import { groupUsesSafeAAD, parseSafeAAD } from "../extensions/safe.js";
import { verifyContentSignature } from "../framing/contentAuth.js";
import { unprotectPrivateMessage } from "../framing/privateMessage.js";
import { unprotectPublicMessage } from "../framing/publicMessage.js";
import type { SecretTree } from "../schedule/secretTree.js";
import type { RatchetTree } from "../tree/ratchetTree.js";
import { toLeafIndex } from "../treemath.js";
import { bytesEqual } from "../util/bytes.js";
import { ContentType, ExtensionType, ProposalType, SenderType, WireFormat } from "../wire/enums.js";
import { type Extension, getExtension } from "../wire/extension.js";
import { externalSendersCodec } from "../wire/extensions.js";
import { type AuthenticatedContent, authenticatedContentCodec } from "../wire/framing.js";
import type { MLSMessage } from "../wire/mlsMessage.js";

/**
 * The receive pipeline (RFC 9420 §6): MLSMessage → unprotected AuthenticatedContent (membership
 * tag or decryption) → verified AuthenticatedContent (signature with the sender's key). A
 * PrivateMessage's ratchet key is consumed only after the signature verified.
 */

/** What a receiver needs of one epoch to unprotect and verify its messages. */
export interface EpochKeys {
  readonly suite: CipherSuite;
  readonly epoch: bigint;
  readonly groupId: Uint8Array;
  readonly groupContextBytes: Uint8Array;
  readonly groupContextExtensions: readonly Extension[];
  readonly tree: RatchetTree;
  readonly membershipKey: Uint8Array;
  readonly senderDataSecret: Uint8Array;
  readonly secretTree: SecretTree;
}

export interface VerifiedContent {
  readonly authContent: AuthenticatedContent;
}

/** §6.1: the signature key for the message's sender. */
export function senderSignatureKey(keys: EpochKeys, ac: AuthenticatedContent): Uint8Array {
  const { content } = ac;
  const s = content.sender;
  switch (s.senderType) {
    case SenderType.member: {
      if (s.leafIndex >= keys.tree.leafCount)
        throw new ValidationError("RFC9420 §6.1", "the sender's leaf is outside the tree");
      const leaf = keys.tree.leaf(toLeafIndex(s.leafIndex));
      if (leaf === undefined)
        throw new ValidationError("RFC9420 §6.1", "the sender's leaf is blank");
      return leaf.signatureKey;
    }
    case SenderType.external: {
      if (content.contentType !== ContentType.proposal)
        throw new ValidationError("RFC9420 §6.1", "an external sender may only send proposals");
      const senders = getExtension(
        keys.groupContextExtensions,
        ExtensionType.external_senders,
        externalSendersCodec,
      );
      const es = senders?.[s.senderIndex];
      if (es === undefined)
        throw new ValidationError("RFC9420 §12.1.8.1", "unknown external sender index");
      return es.signatureKey;
    }
    case SenderType.new_member_commit: {
      if (content.contentType !== ContentType.commit || content.commit.path === undefined)
        throw new ValidationError(
          "RFC9420 §6.1",
          "a new_member_commit sender must send a commit with a path",
        );
      return content.commit.path.leafNode.signatureKey;
    }
    case SenderType.new_member_proposal: {
      if (
        content.contentType !== ContentType.proposal ||
        content.proposal.proposalType !== ProposalType.add
      )
        throw new ValidationError(
          "RFC9420 §6.1",
          "a new_member_proposal sender may only propose Add",
        );
      return content.proposal.keyPackage.leafNode.signatureKey;
    }
  }
}

const NOTHING = () => {};

/**
 * extensions §2.8: when the GroupContext lists `safe_aad`, "the entire authenticated_data field is
 * framed as a SafeAAD struct" (items sorted by component_id); anything else is invalid. Checked
 * before any key is used, so a rejected message changes nothing.
 */
function checkSafeAAD(keys: EpochKeys, authenticatedData: Uint8Array): void {
  if (groupUsesSafeAAD(keys.groupContextExtensions)) parseSafeAAD(authenticatedData);
}

/**
 * A message unprotected and verified. For a PrivateMessage the ratchet key is not yet deleted:
 * call `consume()` when the message is accepted (at once for application data and proposals, on
 * merge for a commit), so a rejected message leaves the ratchet as it was.
 */
export async function unprotectAndVerify(
  keys: EpochKeys,
  msg: MLSMessage,
): Promise<{ authContent: AuthenticatedContent; consume: () => void }> {
  if (msg.wireFormat === WireFormat.mls_public_message) {
    const pm = msg.publicMessage;
    if (!bytesEqual(pm.content.groupId, keys.groupId))
      throw new ValidationError("RFC9420 §6", "the message is for another group");
    if (pm.content.epoch !== keys.epoch)
      throw new ValidationError(
        "RFC9420 §6",
        `the message is for epoch ${pm.content.epoch}, not ${keys.epoch}`,
      );
    checkSafeAAD(keys, pm.content.authenticatedData);
    const ac = await unprotectPublicMessage(
      keys.suite,
      pm,
      keys.membershipKey,
      keys.groupContextBytes,
    );
    await verifyContentSignature(
      keys.suite,
      senderSignatureKey(keys, ac),
      ac,
      keys.groupContextBytes,
    );
    return { authContent: ac, consume: NOTHING };
  }
  if (msg.wireFormat === WireFormat.mls_private_message) {
    const pm = msg.privateMessage;
    if (!bytesEqual(pm.groupId, keys.groupId))
      throw new ValidationError("RFC9420 §6", "the message is for another group");
    if (pm.epoch !== keys.epoch)
      throw new ValidationError(
        "RFC9420 §6",
        `the message is for epoch ${pm.epoch}, not ${keys.epoch}`,
      );
    checkSafeAAD(keys, pm.authenticatedData);
    const d = await unprotectPrivateMessage(keys.suite, pm, keys.secretTree, keys.senderDataSecret);
    // §6.3.2: the sender data must name a non-blank leaf.
    const key = senderSignatureKey(keys, d.authContent);
    await verifyContentSignature(keys.suite, key, d.authContent, keys.groupContextBytes);
    return { authContent: d.authContent, consume: d.consume };
  }
  throw new UsageError("only PublicMessage and PrivateMessage carry group content");
}

/** §5.2 ProposalRef of a proposal as received. */
export function proposalRef(suite: CipherSuite, ac: AuthenticatedContent): Promise<Uint8Array> {
  return makeProposalRef(suite, encodeBytes(authenticatedContentCodec, ac));
}
