import { shake256 } from "@noble/hashes/sha3.js";
import { CryptoError } from "../../errors.js";
import { concat, constantTimeEqual, utf8 } from "../../util/bytes.js";
import type { DeterministicKem } from "../hpke/dhkem.js";
import { i2osp } from "../hpke/labeled.js";
import { webRandomBytes } from "../noble/random.js";

/**
 * What the post-quantum KEMs of draft-ietf-hpke-pq share: the single-stage `LabeledDerive` over
 * SHAKE256 that their `DeriveKeyPair` uses, the KEM errors of draft-ietf-hpke-hpke §4, and a cache
 * for expanded private keys.
 */

/** HPKE `EncapError`: the encapsulation key failed its checks (wrong length, ML-KEM modulus
 * check, invalid EC point). */
export class EncapError extends CryptoError {}

/** HPKE `DecapError`: the ciphertext, the decapsulation key or an EC point in the ciphertext
 * failed its checks. (A well-formed but wrong ML-KEM ciphertext is not an error: ML-KEM rejects
 * implicitly, and the AEAD open that follows fails.) */
export class DecapError extends CryptoError {}

/** A KEM of draft-ietf-hpke-pq. `encapDeterministic(pk, randomness)` is the KEM's
 * EncapsDerand with the `ikmE` of the draft's test vectors as its randomness; tests only. */
export interface PqKem extends DeterministicKem {
  /** Name in draft-ietf-hpke-pq, e.g. "ML-KEM-768", "MLKEM768-X25519". */
  readonly name: string;
  /** Bytes of randomness `encapDeterministic` takes (the length of the vectors' `ikmE`). */
  readonly Nrandom: number;
}

/** `suite_id = "KEM" || I2OSP(kem_id, 2)` (draft-ietf-hpke-hpke §4.1). */
export function kemSuiteId(kemId: number): Uint8Array {
  return concat(utf8("KEM"), i2osp(kemId, 2));
}

const HPKE_V1 = utf8("HPKE-v1");

/**
 * `LabeledDerive(ikm, label, context, L)` for the single-stage KDF SHAKE256 (draft-ietf-hpke-hpke
 * §4, "Labeled Derivation Functions"):
 * `SHAKE256(ikm || "HPKE-v1" || suite_id || I2OSP(len(label), 2) || label || I2OSP(L, 2) || context, L)`.
 */
export function shake256LabeledDerive(
  suiteId: Uint8Array,
  ikm: Uint8Array,
  label: string,
  context: Uint8Array,
  L: number,
): Uint8Array {
  const l = utf8(label);
  const labeledIkm = concat(ikm, HPKE_V1, suiteId, i2osp(l.length, 2), l, i2osp(L, 2), context);
  const out = shake256(labeledIkm, { dkLen: L });
  labeledIkm.fill(0);
  return out;
}

const L_DERIVE_KEY_PAIR = "DeriveKeyPair";
const EMPTY = new Uint8Array(0);

/** The seed `DeriveKeyPair(ikm)` starts from: `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", Nseed)`. */
export function deriveKeyPairSeed(suiteId: Uint8Array, ikm: Uint8Array, Nseed: number): Uint8Array {
  return shake256LabeledDerive(suiteId, ikm, L_DERIVE_KEY_PAIR, EMPTY, Nseed);
}

/** Random bytes for key generation and encapsulation (the platform CSPRNG). */
export const randomBytes: (length: number) => Uint8Array = webRandomBytes;

let caching = true;

/** Turns the expanded-key caches of the PQ KEMs and ML-DSA on or off (for measuring them). */
export function setPqKeyCaching(on: boolean): void {
  caching = on;
}

/**
 * Expanded forms of private keys (an ML-KEM decapsulation key from its 64-byte seed, an ML-DSA
 * signing key from its 32-byte seed, a hybrid KEM's two component keys), kept so that a key used
 * again is not expanded again. Keyed by the caller's Uint8Array in a WeakMap: no secret becomes a
 * string, an entry dies with its array, and a hit is only taken while the array still holds the
 * bytes it held when the entry was made (compared in constant time), so wiping or reusing an array
 * is safe. Measured effects are in ../README.md.
 */
export class ExpandedKeyCache<V> {
  readonly #map = new WeakMap<Uint8Array, { bytes: Uint8Array; value: V }>();

  get(sk: Uint8Array, expand: (sk: Uint8Array) => V): V {
    if (!caching) return expand(sk);
    const hit = this.#map.get(sk);
    if (hit !== undefined && constantTimeEqual(hit.bytes, sk)) return hit.value;
    const value = expand(sk);
    this.#map.set(sk, { bytes: sk.slice(), value });
    return value;
  }
}
