import { Writer } from "../codec/writer.js";
import { signWithLabel, verifyWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { CodecError, CryptoError } from "../errors.js";
import { ProtocolVersion, SenderType } from "../wire/enums.js";
import {
  type AuthenticatedContent,
  encodeAuthData,
  type FramedContent,
  framedContentCodec,
} from "../wire/framing.js";

/**
 * Content authentication (RFC 9420 §6.1): the signature over FramedContentTBS. The GroupContext
 * is passed already encoded, since a member signs many messages in one epoch.
 */

function needsContext(content: FramedContent): boolean {
  const t = content.sender.senderType;
  return t === SenderType.member || t === SenderType.new_member_commit;
}

/** Writes FramedContentTBS: version, wire_format, content, and the context for members. */
function writeFramedContentTBS(
  w: Writer,
  wireFormat: number,
  content: FramedContent,
  groupContext: Uint8Array | undefined,
): void {
  w.u16(ProtocolVersion.mls10);
  w.u16(wireFormat);
  framedContentCodec.encode(w, content);
  if (needsContext(content)) {
    if (groupContext === undefined)
      throw new CodecError("FramedContentTBS for a member sender needs the GroupContext");
    w.raw(groupContext);
  }
}

export function encodeFramedContentTBS(
  wireFormat: number,
  content: FramedContent,
  groupContext: Uint8Array | undefined,
): Uint8Array {
  const w = new Writer(512 + (groupContext?.length ?? 0));
  writeFramedContentTBS(w, wireFormat, content, groupContext);
  return w.finish();
}

/** SignWithLabel(., "FramedContentTBS", FramedContentTBS). */
export function signFramedContent(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  wireFormat: number,
  content: FramedContent,
  groupContext: Uint8Array | undefined,
): Promise<Uint8Array> {
  return signWithLabel(
    suite,
    signaturePrivateKey,
    "FramedContentTBS",
    encodeFramedContentTBS(wireFormat, content, groupContext),
  );
}

/** Verifies the signature of an AuthenticatedContent; throws `CryptoError` if it is wrong. */
export async function verifyContentSignature(
  suite: CipherSuite,
  signaturePublicKey: Uint8Array,
  ac: AuthenticatedContent,
  groupContext: Uint8Array | undefined,
): Promise<void> {
  const ok = await verifyWithLabel(
    suite,
    signaturePublicKey,
    "FramedContentTBS",
    encodeFramedContentTBS(ac.wireFormat, ac.content, groupContext),
    ac.auth.signature,
  );
  if (!ok) throw new CryptoError("invalid message signature (RFC 9420 §6.1)");
}

/** §6.2 membership_tag = MAC(membership_key, AuthenticatedContentTBM). */
export function computeMembershipTag(
  suite: CipherSuite,
  membershipKey: Uint8Array,
  ac: AuthenticatedContent,
  groupContext: Uint8Array,
): Promise<Uint8Array> {
  const w = new Writer(1024);
  writeFramedContentTBS(w, ac.wireFormat, ac.content, groupContext);
  encodeAuthData(w, ac.auth, ac.content.contentType);
  return suite.hash.mac(membershipKey, w.finish());
}
