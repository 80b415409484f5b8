import type { Aead, Hash, Kdf, KeyPair, SignatureScheme } from "./provider.js";

/**
 * What a crypto backend provides: the primitives of the seven RFC 9420 cipher suites, by name.
 * Three implementations exist: Node's `node:crypto` (`./node/`), WebCrypto (`./webcrypto/`, for
 * browsers) and pure JS on the noble libraries (`./noble/`); the suite table (`./suites.ts`)
 * composes a `CipherSuite` from them, choosing a backend per primitive. HPKE is not here: it is written once (`./hpke/`) over these primitives.
 */

export type HashName = "SHA-256" | "SHA-384" | "SHA-512";
export type AeadName = "AES-128-GCM" | "AES-256-GCM" | "ChaCha20Poly1305";
export type DhName = "X25519" | "X448" | "P-256" | "P-384" | "P-521";
export type SignatureName =
  | "Ed25519"
  | "Ed448"
  | "ECDSA-P256-SHA256"
  | "ECDSA-P384-SHA384"
  | "ECDSA-P521-SHA512";

/**
 * A Diffie–Hellman group as DHKEM uses it (RFC 9180 §4.1). Keys are in the KEM's Serialize*
 * forms. The DHKEM layer checks lengths, scalar ranges and the all-zero X25519/X448 output before
 * or after calling these; a backend checks that points decode and lie on the curve.
 */
export interface DhPrimitive {
  readonly name: DhName;
  readonly Npk: number;
  readonly Nsk: number;
  readonly Ndh: number;
  /** pk(sk). `sk` has exactly Nsk bytes and, for the P-curves, is in [1, n-1]. */
  publicKey(sk: Uint8Array): Promise<Uint8Array>;
  generateKeyPair(): Promise<KeyPair>;
  /**
   * DH(sk, pk): the shared X (or u) coordinate, Ndh bytes. Throws `CryptoError` if `pk` is not a
   * valid point. `ownPublicKey`, when the caller has it, is pk(sk) and saves a backend from
   * recomputing it; it is only a hint.
   */
  dh(sk: Uint8Array, pk: Uint8Array, ownPublicKey?: Uint8Array): Promise<Uint8Array>;
  /** A fresh ephemeral key pair (skE, pkE) and DH(skE, pk), in one step; skE is dropped. */
  ephemeralDh(pk: Uint8Array): Promise<{ publicKey: Uint8Array; dh: Uint8Array }>;
  /** Throws `CryptoError` unless `pk` (already of length Npk) decodes to a valid point. */
  validatePublicKey(pk: Uint8Array): Promise<void>;
}

export interface CryptoBackend {
  readonly name: "node" | "webcrypto" | "js";
  hash(name: HashName): Hash;
  /** HKDF over the named hash (RFC 5869), as the HPKE KDF of that hash. */
  kdf(name: HashName): Kdf;
  aead(name: AeadName): Aead;
  dh(name: DhName): DhPrimitive;
  signature(name: SignatureName): SignatureScheme;
  randomBytes(length: number): Uint8Array;
}

/** One result per argument: a backend hands out one instance of each primitive. */
export function memoize<K, V>(make: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      v = make(key);
      cache.set(key, v);
    }
    return v;
  };
}
