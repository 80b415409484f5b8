import { Writer } from "../codec/writer.js";
import type { CipherSuite } from "../crypto/provider.js";
import { UsageError } from "../errors.js";
import { ContentType } from "../wire/enums.js";
import { type AuthenticatedContent, framedContentCodec } from "../wire/framing.js";

/**
 * Transcript hashes (RFC 9420 §8.2):
 *
 *   confirmed_transcript_hash_[n] = Hash(interim_[n-1] || ConfirmedTranscriptHashInput_[n])
 *   interim_transcript_hash_[n]   = Hash(confirmed_[n] || InterimTranscriptHashInput_[n])
 *
 * where ConfirmedTranscriptHashInput = wire_format || FramedContent || signature<V>, and
 * InterimTranscriptHashInput = confirmation_tag<V>. Both start as the empty string.
 */

export function confirmedTranscriptHashInput(
  wireFormat: number,
  content: AuthenticatedContent["content"],
  signature: Uint8Array,
): Uint8Array {
  if (content.contentType !== ContentType.commit)
    throw new UsageError("the confirmed transcript hash covers commits only");
  const w = new Writer(512);
  w.u16(wireFormat);
  framedContentCodec.encode(w, content);
  w.opaque(signature);
  return w.finish();
}

export async function nextConfirmedTranscriptHash(
  suite: CipherSuite,
  interimTranscriptHash: Uint8Array,
  authContent: AuthenticatedContent,
): Promise<Uint8Array> {
  const input = confirmedTranscriptHashInput(
    authContent.wireFormat,
    authContent.content,
    authContent.auth.signature,
  );
  const buf = new Uint8Array(interimTranscriptHash.length + input.length);
  buf.set(interimTranscriptHash);
  buf.set(input, interimTranscriptHash.length);
  return suite.hash.digest(buf);
}

export function nextInterimTranscriptHash(
  suite: CipherSuite,
  confirmedTranscriptHash: Uint8Array,
  confirmationTag: Uint8Array,
): Promise<Uint8Array> {
  const w = new Writer(confirmedTranscriptHash.length + confirmationTag.length + 4);
  w.raw(confirmedTranscriptHash);
  w.opaque(confirmationTag);
  return suite.hash.digest(w.finish());
}

/** §6.1 confirmation_tag = MAC(confirmation_key, GroupContext.confirmed_transcript_hash). */
export function computeConfirmationTag(
  suite: CipherSuite,
  confirmationKey: Uint8Array,
  confirmedTranscriptHash: Uint8Array,
): Promise<Uint8Array> {
  return suite.hash.mac(confirmationKey, confirmedTranscriptHash);
}
