import type { CipherSuite } from "../crypto/provider.js";
import { CryptoError, UsageError, ValidationError } from "../errors.js";
import { constantTimeEqual } from "../util/bytes.js";
import { ContentType, SenderType, WireFormat } from "../wire/enums.js";
import type { AuthenticatedContent, PublicMessage } from "../wire/framing.js";
import { computeMembershipTag } from "./contentAuth.js";

/**
 * PublicMessage protection (RFC 9420 §6.2): the signed content plus, for member senders, a
 * membership tag under the epoch's membership_key. Application data is never sent this way.
 */

export async function protectPublicMessage(
  suite: CipherSuite,
  ac: AuthenticatedContent,
  membershipKey: Uint8Array | undefined,
  groupContext: Uint8Array,
): Promise<PublicMessage> {
  if (ac.wireFormat !== WireFormat.mls_public_message)
    throw new UsageError("the content was signed for another wire format");
  if (ac.content.contentType === ContentType.application)
    throw new UsageError("application data must be sent as a PrivateMessage (RFC 9420 §6.2)");
  if (ac.content.sender.senderType !== SenderType.member)
    return { content: ac.content, auth: ac.auth };
  if (membershipKey === undefined)
    throw new UsageError("a member's PublicMessage needs the membership key");
  const membershipTag = await computeMembershipTag(suite, membershipKey, ac, groupContext);
  return { content: ac.content, auth: ac.auth, membershipTag };
}

/**
 * Turns a PublicMessage into its AuthenticatedContent, checking the membership tag of member
 * senders. The signature is checked separately, once the sender's key is known.
 */
export async function unprotectPublicMessage(
  suite: CipherSuite,
  msg: PublicMessage,
  membershipKey: Uint8Array,
  groupContext: Uint8Array,
): Promise<AuthenticatedContent> {
  if (msg.content.contentType === ContentType.application)
    throw new ValidationError(
      "RFC9420 §6.2",
      "application data must not be sent as a PublicMessage",
    );
  const ac: AuthenticatedContent = {
    wireFormat: WireFormat.mls_public_message,
    content: msg.content,
    auth: msg.auth,
  };
  if (msg.content.sender.senderType === SenderType.member) {
    if (msg.membershipTag === undefined) throw new CryptoError("missing membership tag");
    const expected = await computeMembershipTag(suite, membershipKey, ac, groupContext);
    if (!constantTimeEqual(expected, msg.membershipTag))
      throw new CryptoError("invalid membership tag (RFC 9420 §6.2)");
  }
  return ac;
}
