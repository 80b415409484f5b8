import { decodeBytes, encodeBytes } from "../codec/codec.js";
import { Reader } from "../codec/reader.js";
import { Writer } from "../codec/writer.js";
import { expandWithLabel } from "../crypto/labeled.js";
import type { CipherSuite } from "../crypto/provider.js";
import { CodecError, CryptoError, MlsError, UsageError, ValidationError } from "../errors.js";
import { type RatchetKey, ratchetTypeOf, type SecretTree } from "../schedule/secretTree.js";
import { toLeafIndex } from "../treemath.js";
import { SenderType, WireFormat } from "../wire/enums.js";
import {
  type AuthenticatedContent,
  decodePrivateMessageContent,
  encodePrivateMessageContent,
  type PrivateMessage,
  privateContentAADCodec,
  senderDataAADCodec,
  senderDataCodec,
} from "../wire/framing.js";

/**
 * PrivateMessage protection (RFC 9420 §6.3): the content and auth data are encrypted under a key
 * from the sender's ratchet in the secret tree; the sender's leaf index and generation travel in
 * `encrypted_sender_data`, under a key derived from `sender_data_secret` and a sample of the
 * ciphertext.
 */

/** §6.3.2 sender_data_key / sender_data_nonce from the first KDF.Nh bytes of the ciphertext. */
export async function senderDataKeyAndNonce(
  suite: CipherSuite,
  senderDataSecret: Uint8Array,
  ciphertext: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  const sample = ciphertext.subarray(0, suite.kdf.Nh);
  const [key, nonce] = await Promise.all([
    expandWithLabel(suite, senderDataSecret, "key", sample, suite.aead.Nk),
    expandWithLabel(suite, senderDataSecret, "nonce", sample, suite.aead.Nn),
  ]);
  return { key, nonce };
}

/** §6.3.1 nonce XOR reuse_guard (first four bytes). */
function guardNonce(nonce: Uint8Array, reuseGuard: Uint8Array): Uint8Array {
  const out = nonce.slice();
  for (let i = 0; i < 4; i++) out[i]! ^= reuseGuard[i]!;
  return out;
}

export interface EncryptOptions {
  /** Number of zero bytes appended to the content before encryption (§6.3.1). */
  readonly paddingLength?: number;
  /** The reuse guard; random unless given (tests only). */
  readonly reuseGuard?: Uint8Array;
}

/**
 * Encrypts an AuthenticatedContent (signed for wire format mls_private_message) from the member
 * at `content.sender.leafIndex`, consuming the next generation of its ratchet.
 */
export async function protectPrivateMessage(
  suite: CipherSuite,
  ac: AuthenticatedContent,
  secretTree: SecretTree,
  senderDataSecret: Uint8Array,
  options: EncryptOptions = {},
): Promise<PrivateMessage> {
  const { content } = ac;
  if (ac.wireFormat !== WireFormat.mls_private_message)
    throw new UsageError("the content was signed for another wire format");
  if (content.sender.senderType !== SenderType.member)
    throw new UsageError("only members send PrivateMessages (RFC 9420 §6.3.2)");
  const ratchet = await secretTree.ratchet(
    toLeafIndex(content.sender.leafIndex),
    ratchetTypeOf(content.contentType),
  );
  const k: RatchetKey = await ratchet.next();
  const reuseGuard = options.reuseGuard ?? suite.randomBytes(4);

  const w = new Writer(256);
  encodePrivateMessageContent(w, {
    ...content,
    auth: ac.auth,
    paddingLength: options.paddingLength ?? 0,
  });
  const aad = encodeBytes(privateContentAADCodec, {
    groupId: content.groupId,
    epoch: content.epoch,
    contentType: content.contentType,
    authenticatedData: content.authenticatedData,
  });
  const ciphertext = await suite.aead.seal(k.key, guardNonce(k.nonce, reuseGuard), aad, w.finish());

  const sd = await senderDataKeyAndNonce(suite, senderDataSecret, ciphertext);
  const senderData = encodeBytes(senderDataCodec, {
    leafIndex: content.sender.leafIndex,
    generation: k.generation,
    reuseGuard,
  });
  const sdAad = encodeBytes(senderDataAADCodec, {
    groupId: content.groupId,
    epoch: content.epoch,
    contentType: content.contentType,
  });
  const encryptedSenderData = await suite.aead.seal(sd.key, sd.nonce, sdAad, senderData);
  return {
    groupId: content.groupId,
    epoch: content.epoch,
    contentType: content.contentType,
    authenticatedData: content.authenticatedData,
    encryptedSenderData,
    ciphertext,
  };
}

/** A decrypted PrivateMessage whose key is not yet consumed (see `consume`). */
export interface DecryptedPrivateMessage {
  readonly authContent: AuthenticatedContent;
  readonly leafIndex: number;
  readonly generation: number;
  /** Deletes the key used; call once the signature has been verified. */
  consume(): void;
}

async function aeadOpen(
  suite: CipherSuite,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
  what: string,
): Promise<Uint8Array> {
  try {
    return await suite.aead.open(key, nonce, aad, ct);
  } catch (e) {
    if (e instanceof MlsError) throw e;
    throw new CryptoError(`${what} does not decrypt`);
  }
}

/**
 * Decrypts a PrivateMessage of the current epoch. Checks done here: sender data and content
 * decrypt, sender data names a leaf inside the tree, padding is all zeros. The caller checks that
 * the leaf is not blank and verifies the signature before calling `consume()`.
 */
export async function unprotectPrivateMessage(
  suite: CipherSuite,
  msg: PrivateMessage,
  secretTree: SecretTree,
  senderDataSecret: Uint8Array,
): Promise<DecryptedPrivateMessage> {
  const sd = await senderDataKeyAndNonce(suite, senderDataSecret, msg.ciphertext);
  const sdAad = encodeBytes(senderDataAADCodec, {
    groupId: msg.groupId,
    epoch: msg.epoch,
    contentType: msg.contentType,
  });
  const senderDataBytes = await aeadOpen(
    suite,
    sd.key,
    sd.nonce,
    sdAad,
    msg.encryptedSenderData,
    "sender data",
  );
  const senderData = decodeBytes(senderDataCodec, senderDataBytes);
  if (senderData.leafIndex >= secretTree.leafCount)
    throw new ValidationError("RFC9420 §6.3.2", "sender data names a leaf outside the tree");

  const ratchet = await secretTree.ratchet(
    toLeafIndex(senderData.leafIndex),
    ratchetTypeOf(msg.contentType),
  );
  const k = await ratchet.get(senderData.generation);
  const aad = encodeBytes(privateContentAADCodec, {
    groupId: msg.groupId,
    epoch: msg.epoch,
    contentType: msg.contentType,
    authenticatedData: msg.authenticatedData,
  });
  const plaintext = await aeadOpen(
    suite,
    k.key,
    guardNonce(k.nonce, senderData.reuseGuard),
    aad,
    msg.ciphertext,
    "PrivateMessage content",
  );
  const r = new Reader(plaintext);
  const pmc = decodePrivateMessageContent(r, msg.contentType);
  if (pmc.contentType !== msg.contentType) throw new CodecError("content type mismatch");
  const { auth, paddingLength: _padding, ...body } = pmc;
  const authContent: AuthenticatedContent = {
    wireFormat: WireFormat.mls_private_message,
    content: {
      groupId: msg.groupId,
      epoch: msg.epoch,
      sender: { senderType: SenderType.member, leafIndex: senderData.leafIndex },
      authenticatedData: msg.authenticatedData,
      ...body,
    },
    auth,
  };
  return {
    authContent,
    leafIndex: senderData.leafIndex,
    generation: senderData.generation,
    consume: k.consume,
  };
}
