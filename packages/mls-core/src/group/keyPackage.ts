import { encodeBytes } from "../codec/codec.js";
import { makeKeyPackageRef, signWithLabel, verifyWithLabel } from "../crypto/labeled.js";
import type { CipherSuite, KeyPair } from "../crypto/provider.js";
import { CryptoError, UsageError, ValidationError } from "../errors.js";
import {
  isDefaultExtension,
  type LeafNodeCheck,
  signLeafNode,
  validateLeafNode,
} from "../tree/leafNodeValidation.js";
import { bytesEqual } from "../util/bytes.js";
import type { Credential } from "../wire/credential.js";
import { CredentialType, LeafNodeSource, ProtocolVersion } from "../wire/enums.js";
import type { Extension } from "../wire/extension.js";
import { type KeyPackage, keyPackageCodec, keyPackageTBSCodec } from "../wire/keyPackage.js";
import type { Capabilities, Lifetime } from "../wire/leafNode.js";

/**
 * KeyPackages (RFC 9420 §10): creation with fresh init and leaf keys, and validation (§10.1).
 */

/** The private half of a KeyPackage, kept by its owner until the KeyPackage is used. */
export interface KeyPackagePrivateKeys {
  readonly initPrivateKey: Uint8Array;
  readonly encryptionPrivateKey: Uint8Array;
  readonly signaturePrivateKey: Uint8Array;
}

/** A KeyPackage with its private keys and reference. */
export interface KeyPackageBundle {
  readonly keyPackage: KeyPackage;
  readonly privateKeys: KeyPackagePrivateKeys;
  /** KeyPackageRef (§5.2). */
  readonly ref: Uint8Array;
}

/** Capabilities listing this suite, basic credentials and nothing non-default. */
export function defaultCapabilities(suite: CipherSuite): Capabilities {
  return {
    versions: [ProtocolVersion.mls10],
    cipherSuites: [suite.id],
    extensions: [],
    proposals: [],
    credentials: [CredentialType.basic, CredentialType.x509],
  };
}

/** A lifetime from now - 1 h to now + `seconds` (default 30 days). */
export function defaultLifetime(now: bigint, seconds = 30n * 24n * 3600n): Lifetime {
  return { notBefore: now - 3600n, notAfter: now + seconds };
}

export interface KeyPackageOptions {
  readonly suite: CipherSuite;
  readonly credential: Credential;
  readonly signatureKeyPair: KeyPair;
  readonly capabilities?: Capabilities;
  readonly lifetime?: Lifetime;
  /** KeyPackage.extensions (their types must be in capabilities unless default). */
  readonly extensions?: Extension[];
  /** LeafNode.extensions. */
  readonly leafExtensions?: Extension[];
  /** Seconds since the epoch (for the default lifetime). */
  readonly now?: bigint;
}

export async function generateKeyPackage(o: KeyPackageOptions): Promise<KeyPackageBundle> {
  const { suite } = o;
  const caps = o.capabilities ?? defaultCapabilities(suite);
  // §10: extensions a client sends must be listed in its own capabilities.
  for (const e of [...(o.extensions ?? []), ...(o.leafExtensions ?? [])])
    if (!isDefaultExtension(e.extensionType) && !caps.extensions.includes(e.extensionType))
      throw new UsageError(`extension ${e.extensionType} is not listed in the capabilities`);
  const [init, leafKeys] = await Promise.all([
    suite.hpke.kem.generateKeyPair(),
    suite.hpke.kem.generateKeyPair(),
  ]);
  const now = o.now ?? BigInt(Math.floor(Date.now() / 1000));
  const leafNode = await signLeafNode(suite, o.signatureKeyPair.privateKey, {
    encryptionKey: leafKeys.publicKey,
    signatureKey: o.signatureKeyPair.publicKey,
    credential: o.credential,
    capabilities: caps,
    leafNodeSource: LeafNodeSource.key_package,
    lifetime: o.lifetime ?? defaultLifetime(now),
    extensions: o.leafExtensions ?? [],
  });
  const tbs = {
    version: ProtocolVersion.mls10,
    cipherSuite: suite.id,
    initKey: init.publicKey,
    leafNode,
    extensions: o.extensions ?? [],
  };
  const signature = await signWithLabel(
    suite,
    o.signatureKeyPair.privateKey,
    "KeyPackageTBS",
    encodeBytes(keyPackageTBSCodec, tbs),
  );
  const keyPackage: KeyPackage = { ...tbs, signature };
  return {
    keyPackage,
    privateKeys: {
      initPrivateKey: init.privateKey,
      encryptionPrivateKey: leafKeys.privateKey,
      signaturePrivateKey: o.signatureKeyPair.privateKey,
    },
    ref: await keyPackageRef(suite, keyPackage),
  };
}

export function keyPackageRef(suite: CipherSuite, kp: KeyPackage): Promise<Uint8Array> {
  return makeKeyPackageRef(suite, encodeBytes(keyPackageCodec, kp));
}

export type KeyPackageCheck = Omit<
  LeafNodeCheck,
  "expectedSource" | "position" | "credentialContext"
> & {
  readonly version: number;
  /** Longest accepted lifetime (§7.2 "Applications MUST define a maximum total lifetime"). */
  readonly maxLifetime?: bigint;
};

/** §10.1 KeyPackage Validation. Throws `ValidationError` or `CryptoError`. */
export async function validateKeyPackage(kp: KeyPackage, c: KeyPackageCheck): Promise<void> {
  const rule = "RFC9420 §10.1";
  if (kp.cipherSuite !== c.suite.id || kp.version !== c.version)
    throw new ValidationError(
      rule,
      "the KeyPackage's cipher suite or version differs from the group's",
    );
  await validateLeafNode(kp.leafNode, {
    ...c,
    expectedSource: LeafNodeSource.key_package,
    credentialContext: "key_package",
  });
  if (kp.leafNode.leafNodeSource === LeafNodeSource.key_package && c.maxLifetime !== undefined) {
    const { notBefore, notAfter } = kp.leafNode.lifetime;
    if (notAfter < notBefore || notAfter - notBefore > c.maxLifetime)
      throw new ValidationError("RFC9420 §7.2", "the KeyPackage's lifetime is longer than allowed");
  }
  const ok = await verifyWithLabel(
    c.suite,
    kp.leafNode.signatureKey,
    "KeyPackageTBS",
    encodeBytes(keyPackageTBSCodec, kp),
    kp.signature,
  );
  if (!ok) throw new CryptoError("invalid KeyPackage signature (RFC 9420 §10.1)");
  if (bytesEqual(kp.initKey, kp.leafNode.encryptionKey))
    throw new ValidationError(rule, "init_key equals the leaf's encryption_key");
  // Unknown KeyPackage extensions are ignored by receivers (§13.4), so they are not checked here.
}
