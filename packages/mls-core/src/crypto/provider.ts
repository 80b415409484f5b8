/**
 * The cipher-suite provider seam (RFC 9420 §5.1). Protocol code never names an algorithm: it
 * asks a `CipherSuite` for hash, MAC, KDF, AEAD, HPKE and signature operations. Each primitive is
 * a small stateless interface with more than one implementation (Node's crypto, pure JS), so the
 * suite table can pick the fastest one per platform and tests can check one against the other.
 *
 * All operations are asynchronous so that WebCrypto can sit behind the same seam in browsers.
 * Keys are plain bytes in the encodings RFC 9420 uses on the wire: HPKE keys are the KEM's
 * SerializePublicKey/SerializePrivateKey forms; signature public keys are raw (Ed25519/Ed448
 * points, uncompressed SEC1 points for ECDSA); signature private keys are the raw seed (EdDSA) or
 * the big-endian scalar (ECDSA).
 */

export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface Hash {
  readonly name: string;
  /** Output length in bytes. */
  readonly size: number;
  digest(data: Uint8Array): Promise<Uint8Array>;
  /** HMAC with this hash (RFC 2104). */
  mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

/** An HPKE KDF (RFC 9180 §4): HKDF-Extract/Expand over a hash. */
export interface Kdf {
  /** HPKE KDF identifier (0x0001 HKDF-SHA256, 0x0002 HKDF-SHA384, 0x0003 HKDF-SHA512). */
  readonly id: number;
  /** Output size of Extract, in bytes. */
  readonly Nh: number;
  extract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  expand(prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
}

/** An HPKE AEAD (RFC 9180 §5.3 / RFC 5116). `open` throws `CryptoError` on a bad tag. */
export interface Aead {
  /** HPKE AEAD identifier (0x0001 AES-128-GCM, 0x0002 AES-256-GCM, 0x0003 ChaCha20Poly1305). */
  readonly id: number;
  readonly Nk: number;
  readonly Nn: number;
  readonly Nt: number;
  seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array>;
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>;
}

/**
 * A KEM as HPKE uses it (RFC 9180 §4): deterministic `deriveKeyPair` (TreeKEM derives every node
 * key with it), encapsulation and decapsulation. Invalid keys or encapsulations throw `CryptoError`.
 */
export interface Kem {
  /** HPKE KEM identifier, e.g. 0x0020 DHKEM(X25519, HKDF-SHA256), 0x0041 ML-KEM-768. */
  readonly id: number;
  readonly Nsecret: number;
  readonly Nenc: number;
  readonly Npk: number;
  readonly Nsk: number;
  generateKeyPair(): Promise<KeyPair>;
  deriveKeyPair(ikm: Uint8Array): Promise<KeyPair>;
  encap(publicKey: Uint8Array): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }>;
  decap(enc: Uint8Array, privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  /** Throws `CryptoError` unless `publicKey` is a valid encoded public key for this KEM. */
  validatePublicKey(publicKey: Uint8Array): Promise<void>;
}

/** HPKE base mode, single-shot (RFC 9180 §6.1), which is all MLS uses. */
export interface Hpke {
  readonly kem: Kem;
  seal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }>;
  open(
    privateKey: Uint8Array,
    publicKey: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>;
  /**
   * SetupBaseS(pk, info) followed by Context.Export(exporterContext, length) (RFC 9180 §5.3);
   * MLS uses it for external commits (RFC 9420 §8.3).
   */
  sendExport(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<{ enc: Uint8Array; secret: Uint8Array }>;
  /** SetupBaseR(enc, sk, info) followed by Context.Export(exporterContext, length). */
  receiveExport(
    privateKey: Uint8Array,
    publicKey: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;
}

/** A signature scheme, named by its TLS SignatureScheme code point. */
export interface SignatureScheme {
  /** TLS SignatureScheme, e.g. 0x0807 ed25519, 0x0403 ecdsa_secp256r1_sha256. */
  readonly id: number;
  readonly name: string;
  generateKeyPair(): Promise<KeyPair>;
  /** The public key that belongs to `privateKey`. */
  publicKey(privateKey: Uint8Array): Promise<Uint8Array>;
  sign(privateKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** False for a wrong signature or a malformed key or signature; never throws for those. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export type CipherSuiteId = number;

/** Everything the protocol needs from one MLS cipher suite (RFC 9420 §5.1, §17.1). */
export interface CipherSuite {
  readonly id: CipherSuiteId;
  /** IANA name, e.g. MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519. */
  readonly name: string;
  readonly hash: Hash;
  readonly kdf: Kdf;
  readonly aead: Aead;
  readonly hpke: Hpke;
  readonly signature: SignatureScheme;
  randomBytes(length: number): Uint8Array;
}
