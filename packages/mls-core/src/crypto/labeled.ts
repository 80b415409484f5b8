import { Writer } from "../codec/writer.js";
import { CryptoError, MlsError } from "../errors.js";
import { utf8 } from "../util/bytes.js";
import type { CipherSuite } from "./provider.js";

/**
 * The labelled crypto of RFC 9420 §5: every hash reference, KDF output, signature and HPKE
 * ciphertext is bound to a label so values made for one purpose cannot be used for another.
 * Labels are encoded once and cached.
 */

const PREFIX = "MLS 1.0 ";
const labelCache = new Map<string, Uint8Array>();

const PREFIX_BYTES = utf8(PREFIX);

/** `"MLS 1.0 " + label` as bytes; a byte-string label (e.g. an exporter label) is appended raw. */
export function mlsLabel(label: string | Uint8Array): Uint8Array {
  if (typeof label !== "string") {
    const out = new Uint8Array(PREFIX_BYTES.length + label.length);
    out.set(PREFIX_BYTES);
    out.set(label, PREFIX_BYTES.length);
    return out;
  }
  let b = labelCache.get(label);
  if (b === undefined) {
    b = utf8(PREFIX + label);
    labelCache.set(label, b);
  }
  return b;
}

/** §5.2 RefHash(label, value) = Hash(RefHashInput{label, value}); `label` is used as given. */
export function refHash(suite: CipherSuite, label: string, value: Uint8Array): Promise<Uint8Array> {
  const w = new Writer(value.length + 64);
  w.opaque(utf8(label));
  w.opaque(value);
  return suite.hash.digest(w.finish());
}

/** §5.2 MakeKeyPackageRef. */
export function makeKeyPackageRef(
  suite: CipherSuite,
  keyPackageBytes: Uint8Array,
): Promise<Uint8Array> {
  return refHash(suite, "MLS 1.0 KeyPackage Reference", keyPackageBytes);
}

/** §5.2 MakeProposalRef over the encoded AuthenticatedContent carrying the proposal. */
export function makeProposalRef(
  suite: CipherSuite,
  authenticatedContentBytes: Uint8Array,
): Promise<Uint8Array> {
  return refHash(suite, "MLS 1.0 Proposal Reference", authenticatedContentBytes);
}

/** §8 ExpandWithLabel(Secret, Label, Context, Length) = KDF.Expand(Secret, KDFLabel, Length). */
export function expandWithLabel(
  suite: CipherSuite,
  secret: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const l = mlsLabel(label);
  const w = new Writer(l.length + context.length + 8);
  w.u16(length);
  w.opaque(l);
  w.opaque(context);
  return suite.kdf.expand(secret, w.finish(), length);
}

/** §8 DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", KDF.Nh). */
export function deriveSecret(
  suite: CipherSuite,
  secret: Uint8Array,
  label: string | Uint8Array,
): Promise<Uint8Array> {
  return expandWithLabel(suite, secret, label, EMPTY_CONTEXT, suite.kdf.Nh);
}

const EMPTY_CONTEXT = new Uint8Array(0);

/** §9 DeriveTreeSecret(Secret, Label, Generation, Length), generation as uint32 context. */
export function deriveTreeSecret(
  suite: CipherSuite,
  secret: Uint8Array,
  label: string,
  generation: number,
  length: number,
): Promise<Uint8Array> {
  const ctx = new Uint8Array(4);
  new DataView(ctx.buffer).setUint32(0, generation);
  return expandWithLabel(suite, secret, label, ctx, length);
}

function signContent(label: string | Uint8Array, content: Uint8Array): Uint8Array {
  const l = mlsLabel(label);
  const w = new Writer(l.length + content.length + 8);
  w.opaque(l);
  w.opaque(content);
  return w.finish();
}

/** §5.1.2 SignWithLabel. */
export function signWithLabel(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  label: string | Uint8Array,
  content: Uint8Array,
): Promise<Uint8Array> {
  return suite.signature.sign(signaturePrivateKey, signContent(label, content));
}

/** §5.1.2 VerifyWithLabel: false for a bad signature or key, never throws for those. */
export function verifyWithLabel(
  suite: CipherSuite,
  signaturePublicKey: Uint8Array,
  label: string | Uint8Array,
  content: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return suite.signature.verify(signaturePublicKey, signContent(label, content), signature);
}

function encryptContext(label: string | Uint8Array, context: Uint8Array): Uint8Array {
  const l = mlsLabel(label);
  const w = new Writer(l.length + context.length + 8);
  w.opaque(l);
  w.opaque(context);
  return w.finish();
}

/** §5.1.3 EncryptWithLabel = SealBase(pk, EncryptContext, "", plaintext). */
export function encryptWithLabel(
  suite: CipherSuite,
  publicKey: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  plaintext: Uint8Array,
): Promise<{ kemOutput: Uint8Array; ciphertext: Uint8Array }> {
  return suite.hpke
    .seal(publicKey, encryptContext(label, context), EMPTY_CONTEXT, plaintext)
    .then((r) => ({ kemOutput: r.enc, ciphertext: r.ciphertext }));
}

/** §5.1.3 DecryptWithLabel; throws `CryptoError` if the ciphertext does not open. */
export async function decryptWithLabel(
  suite: CipherSuite,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  kemOutput: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  try {
    return await suite.hpke.open(
      privateKey,
      publicKey,
      kemOutput,
      encryptContext(label, context),
      EMPTY_CONTEXT,
      ciphertext,
    );
  } catch (e) {
    if (e instanceof MlsError) throw e;
    throw new CryptoError("HPKE decryption failed");
  }
}
