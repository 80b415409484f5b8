import { encodeBytes } from "../codec/codec.js";
import { expandWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { wipe } from "../util/bytes.js";
import { type PreSharedKeyID, pskLabelCodec } from "../wire/psk.js";
import { zeroSecret } from "./keySchedule.js";

/** A PSK to inject: its id (as carried in proposals and GroupSecrets) and its value. */
export interface ResolvedPsk {
  readonly id: PreSharedKeyID;
  readonly psk: Uint8Array;
}

/**
 * §8.4 psk_secret from an ordered list of PSKs:
 *
 *   psk_extracted_[i] = KDF.Extract(0, psk_[i])
 *   psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, KDF.Nh)
 *   psk_secret_[0]    = 0
 *   psk_secret_[i]    = KDF.Extract(psk_input_[i-1], psk_secret_[i-1])
 *
 * (salt = psk_input, ikm = the running psk_secret; pinned by the official psk_secret vectors.)
 * With no PSKs the result is the all-zero vector.
 */
export async function computePskSecret(
  suite: CipherSuite,
  psks: readonly ResolvedPsk[],
): Promise<Uint8Array> {
  const zero = zeroSecret(suite);
  let secret = zeroSecret(suite);
  const count = psks.length;
  for (let index = 0; index < count; index++) {
    const { id, psk } = psks[index]!;
    const extracted = await suite.kdf.extract(zero, psk);
    const label = encodeBytes(pskLabelCodec, { id, index, count });
    const input = await expandWithLabel(suite, extracted, "derived psk", label, suite.kdf.Nh);
    const next = await suite.kdf.extract(input, secret);
    wipe(extracted);
    wipe(input);
    wipe(secret);
    secret = next;
  }
  return secret;
}
