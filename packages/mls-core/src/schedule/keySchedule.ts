import { deriveSecret, expandWithLabel } from "../crypto/labeled.js";
import type { CipherSuite, KeyPair } from "../crypto/provider.js";
import { wipe } from "../util/bytes.js";

/**
 * The MLS key schedule (RFC 9420 §8):
 *
 *                     init_secret_[n-1]
 *                           |
 *     commit_secret --> KDF.Extract
 *                           |
 *          ExpandWithLabel(., "joiner", GroupContext_[n], KDF.Nh)  = joiner_secret
 *                           |
 * psk_secret (or 0) --> KDF.Extract
 *                           |
 *                           +--> DeriveSecret(., "welcome") = welcome_secret
 *                           |
 *          ExpandWithLabel(., "epoch", GroupContext_[n], KDF.Nh)   = epoch_secret
 *                           |
 *                           +--> DeriveSecret(., <label>) = <secret>   (Table 4)
 *                           |
 *                     DeriveSecret(., "init") = init_secret_[n]
 *
 * KDF.Extract takes its salt from the top and its IKM from the left.
 */

/** The all-zero string of length KDF.Nh (the "0" of the §8 diagram). */
export function zeroSecret(suite: CipherSuite): Uint8Array {
  return new Uint8Array(suite.kdf.Nh);
}

/** joiner_secret = ExpandWithLabel(Extract(init_secret_[n-1], commit_secret), "joiner", GC_[n]). */
export async function deriveJoinerSecret(
  suite: CipherSuite,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  groupContext: Uint8Array,
): Promise<Uint8Array> {
  const prk = await suite.kdf.extract(initSecret, commitSecret);
  const joiner = await expandWithLabel(suite, prk, "joiner", groupContext, suite.kdf.Nh);
  wipe(prk);
  return joiner;
}

/** From joiner_secret and psk_secret: welcome_secret and epoch_secret for GroupContext_[n]. */
export async function deriveEpochSecret(
  suite: CipherSuite,
  joinerSecret: Uint8Array,
  pskSecret: Uint8Array,
  groupContext: Uint8Array,
): Promise<{ welcomeSecret: Uint8Array; epochSecret: Uint8Array }> {
  const prk = await suite.kdf.extract(joinerSecret, pskSecret);
  const welcomeSecret = await deriveSecret(suite, prk, "welcome");
  const epochSecret = await expandWithLabel(suite, prk, "epoch", groupContext, suite.kdf.Nh);
  wipe(prk);
  return { welcomeSecret, epochSecret };
}

/** welcome_secret alone (§8): a joiner needs it before it can read the GroupContext. */
export async function deriveWelcomeSecret(
  suite: CipherSuite,
  joinerSecret: Uint8Array,
  pskSecret: Uint8Array,
): Promise<Uint8Array> {
  const prk = await suite.kdf.extract(joinerSecret, pskSecret);
  const welcomeSecret = await deriveSecret(suite, prk, "welcome");
  wipe(prk);
  return welcomeSecret;
}

/** The secrets of Table 4 (§8) plus the next init_secret, all derived from epoch_secret. */
export interface EpochSecrets {
  readonly senderDataSecret: Uint8Array;
  readonly encryptionSecret: Uint8Array;
  readonly exporterSecret: Uint8Array;
  readonly externalSecret: Uint8Array;
  readonly confirmationKey: Uint8Array;
  readonly membershipKey: Uint8Array;
  readonly resumptionPsk: Uint8Array;
  readonly epochAuthenticator: Uint8Array;
  readonly initSecret: Uint8Array;
  /** draft-ietf-mls-extensions §2.3: root of the Exporter Tree. */
  readonly applicationExportSecret: Uint8Array;
}

export async function deriveEpochSecrets(
  suite: CipherSuite,
  epochSecret: Uint8Array,
): Promise<EpochSecrets> {
  const d = (label: string) => deriveSecret(suite, epochSecret, label);
  const [
    senderDataSecret,
    encryptionSecret,
    exporterSecret,
    externalSecret,
    confirmationKey,
    membershipKey,
    resumptionPsk,
    epochAuthenticator,
    initSecret,
    applicationExportSecret,
  ] = await Promise.all([
    d("sender data"),
    d("encryption"),
    d("exporter"),
    d("external"),
    d("confirm"),
    d("membership"),
    d("resumption"),
    d("authentication"),
    d("init"),
    d("application_export"),
  ]);
  return {
    senderDataSecret,
    encryptionSecret,
    exporterSecret,
    externalSecret,
    confirmationKey,
    membershipKey,
    resumptionPsk,
    epochAuthenticator,
    initSecret,
    applicationExportSecret,
  };
}

/** §8 external_priv, external_pub = KEM.DeriveKeyPair(external_secret). */
export function deriveExternalKeyPair(
  suite: CipherSuite,
  externalSecret: Uint8Array,
): Promise<KeyPair> {
  return suite.hpke.kem.deriveKeyPair(externalSecret);
}

/**
 * §8.5 MLS-Exporter(Label, Context, Length) =
 *   ExpandWithLabel(DeriveSecret(exporter_secret, Label), "exported", Hash(Context), Length)
 */
export async function mlsExporter(
  suite: CipherSuite,
  exporterSecret: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const derived = await deriveSecret(suite, exporterSecret, label);
  const out = await expandWithLabel(
    suite,
    derived,
    "exported",
    await suite.hash.digest(context),
    length,
  );
  wipe(derived);
  return out;
}

/** §12.4.3.1 welcome_key and welcome_nonce from welcome_secret. */
export async function welcomeKeyAndNonce(
  suite: CipherSuite,
  welcomeSecret: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  const empty = new Uint8Array(0);
  const [key, nonce] = await Promise.all([
    expandWithLabel(suite, welcomeSecret, "key", empty, suite.aead.Nk),
    expandWithLabel(suite, welcomeSecret, "nonce", empty, suite.aead.Nn),
  ]);
  return { key, nonce };
}
