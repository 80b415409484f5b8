import { ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import type { KeyPair } from "../provider.js";
import {
  DecapError,
  deriveKeyPairSeed,
  EncapError,
  ExpandedKeyCache,
  kemSuiteId,
  type PqKem,
  randomBytes,
} from "./common.js";

/**
 * ML-KEM (FIPS 203) on @noble/post-quantum, and ML-KEM as an HPKE KEM (draft-ietf-hpke-pq
 * §"ML-KEM"). OpenSSL 3.0, which Node 20 ships, has no ML-KEM, so there is no native path.
 */

export type MlKemName = "ML-KEM-768" | "ML-KEM-1024";

/** The FIPS 203 algorithms a KEM of draft-ietf-hpke-pq is built from, with FIPS 203's input
 * checks. Every check failure throws `EncapError` / `DecapError`. */
export interface MlKemPrimitive {
  readonly name: MlKemName;
  /** Bytes of an encapsulation key and of a ciphertext. */
  readonly Nek: number;
  readonly Nct: number;
  /** `ML-KEM.KeyGen_internal(seed[0:32], seed[32:64])` → (ek, expanded dk). */
  keyGen(seed: Uint8Array): { ek: Uint8Array; dk: Uint8Array };
  /** FIPS 203 §7.2 input checks on ek: length and the modulus check. */
  checkEncapsulationKey(ek: Uint8Array): void;
  /** `ML-KEM.Encaps(ek)`, or `Encaps_internal(ek, m)` when `m` (32 bytes) is given. */
  encaps(ek: Uint8Array, m?: Uint8Array): { ss: Uint8Array; ct: Uint8Array };
  /** `ML-KEM.Decaps(dk, ct)` with the expanded dk. */
  decaps(dk: Uint8Array, ct: Uint8Array): Uint8Array;
}

type Noble = typeof ml_kem768;

function primitive(name: MlKemName, impl: Noble, k: number): MlKemPrimitive {
  const Nek = impl.lengths.publicKey!;
  const Nct = impl.lengths.cipherText!;
  const Ndk = impl.lengths.secretKey!;

  // FIPS 203 §7.2: ek = ByteEncode12(ByteDecode12(ek[0:384k])) must hold (every coefficient < q).
  // Written out here rather than left to the library, so the check is visible and tested.
  const Q = 3329;
  function modulusOk(ek: Uint8Array): boolean {
    let bad = 0;
    for (let i = 0; i < 384 * k; i += 3) {
      const b0 = ek[i]!;
      const b1 = ek[i + 1]!;
      const b2 = ek[i + 2]!;
      const c0 = b0 | ((b1 & 0x0f) << 8);
      const c1 = (b1 >> 4) | (b2 << 4);
      bad |= ((Q - 1 - c0) | (Q - 1 - c1)) >>> 31; // 1 iff c0 >= q or c1 >= q
    }
    return bad === 0;
  }

  function checkEncapsulationKey(ek: Uint8Array): void {
    if (ek.length !== Nek)
      throw new EncapError(`${name} encapsulation key must be ${Nek} bytes, got ${ek.length}`);
    if (!modulusOk(ek)) throw new EncapError(`${name} encapsulation key fails the modulus check`);
  }

  return {
    name,
    Nek,
    Nct,
    keyGen(seed) {
      if (seed.length !== 64) throw new DecapError(`${name} seed must be 64 bytes`);
      const { publicKey, secretKey } = impl.keygen(seed);
      return { ek: publicKey, dk: secretKey };
    },
    checkEncapsulationKey,
    encaps(ek, m) {
      checkEncapsulationKey(ek);
      if (m !== undefined && m.length !== 32)
        throw new EncapError(`${name} encapsulation randomness must be 32 bytes`);
      try {
        const { cipherText, sharedSecret } = impl.encapsulate(ek, m);
        return { ss: sharedSecret, ct: cipherText };
      } catch {
        throw new EncapError(`${name} encapsulation failed`);
      }
    },
    decaps(dk, ct) {
      // FIPS 203 §7.3 input checks: ciphertext and decapsulation key type (length) checks; the
      // key's hash check is done by the library.
      if (ct.length !== Nct)
        throw new DecapError(`${name} ciphertext must be ${Nct} bytes, got ${ct.length}`);
      if (dk.length !== Ndk) throw new DecapError(`${name} decapsulation key has the wrong length`);
      try {
        return impl.decapsulate(ct, dk);
      } catch {
        throw new DecapError(`${name} decapsulation key fails its hash check`);
      }
    },
  };
}

export const ML_KEM_768: MlKemPrimitive = primitive("ML-KEM-768", ml_kem768, 3);
export const ML_KEM_1024: MlKemPrimitive = primitive("ML-KEM-1024", ml_kem1024, 4);

/** Nsk of the ML-KEM HPKE KEMs: the private key is the 64-byte seed (d || z). */
const NSK = 64;

/**
 * ML-KEM as an HPKE KEM (draft-ietf-hpke-pq §"ML-KEM"): private keys are the 64-byte seed
 * `d || z`, public keys the FIPS 203 encapsulation key, `enc` the ciphertext, and
 * `DeriveKeyPair(ikm)` is `KeyGen_internal` on `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", 64)`
 * with suite_id `"KEM" || kem_id`. Decapsulation expands the seed (cached per key array).
 */
export function mlKemHpke(ml: MlKemPrimitive, id: number): PqKem {
  const suiteId = kemSuiteId(id);
  const expanded = new ExpandedKeyCache<Uint8Array>();

  function fromSeed(seed: Uint8Array): KeyPair {
    const { ek, dk } = ml.keyGen(seed);
    // The pair is likely to decapsulate soon (TreeKEM, key packages): keep the expansion.
    expanded.get(seed, () => dk);
    return { privateKey: seed, publicKey: ek };
  }
  function decap(enc: Uint8Array, sk: Uint8Array): Uint8Array {
    if (enc.length !== ml.Nct)
      throw new DecapError(`${ml.name} ciphertext must be ${ml.Nct} bytes, got ${enc.length}`);
    if (sk.length !== NSK) throw new DecapError(`${ml.name} private key must be a 64-byte seed`);
    return ml.decaps(
      expanded.get(sk, (s) => ml.keyGen(s).dk),
      enc,
    );
  }
  function encap(pk: Uint8Array, m?: Uint8Array) {
    const { ss, ct } = ml.encaps(pk, m);
    return { sharedSecret: ss, enc: ct };
  }

  return {
    id,
    name: ml.name,
    Nsecret: 32,
    Nenc: ml.Nct,
    Npk: ml.Nek,
    Nsk: NSK,
    Nrandom: 32,
    generateKeyPair: async () => fromSeed(randomBytes(NSK)),
    deriveKeyPair: async (ikm) => fromSeed(deriveKeyPairSeed(suiteId, ikm, NSK)),
    encap: async (pk) => encap(pk),
    encapDeterministic: async (pk, randomness) => encap(pk, randomness),
    decap: async (enc, sk) => decap(enc, sk),
    validatePublicKey: async (pk) => ml.checkEncapsulationKey(pk),
  };
}
