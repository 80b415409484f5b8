import { sha3_256, shake256 } from "@noble/hashes/sha3.js";
import { CryptoError } from "../../errors.js";
import { concat } from "../../util/bytes.js";
import type { DhPrimitive } from "../backend.js";
import { isScalarInRange, isUncompressedPointEncoding, NIST_CURVES } from "../curves.js";
import { DeriveKeyPairError } from "../hpke/dhkem.js";
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
import type { MlKemPrimitive } from "./mlkem.js";

/**
 * The PQ/T hybrid KEMs of draft-ietf-hpke-pq §"Hybrid KEMs with ECDH and ML-KEM": ML-KEM combined
 * with a nominal group by the construction of draft-irtf-cfrg-concrete-hybrid-kems (the "CG"
 * framework of draft-irtf-cfrg-hybrid-kems, called QSF there), with SHAKE256 as the PRG and
 * SHA3-256 as the KDF. Written once here; `xwing.ts`, `mlkem768p256.ts` and `mlkem1024p384.ts`
 * instantiate it. The elliptic-curve half runs on a backend's `DhPrimitive` (Node's OpenSSL on
 * Node, @noble/curves elsewhere); ML-KEM on @noble/post-quantum.
 *
 * ```
 * expandDecapsulationKey(seed):                 # seed: the 32-byte private key
 *   seed_full = SHAKE256(seed, 64 + Group_T.Nseed)
 *   (ek_PQ, dk_PQ) = ML-KEM.KeyGen_internal(seed_full[0:32], seed_full[32:64])
 *   dk_T = Group_T.RandomScalar(seed_full[64:]);  ek_T = Exp(g, dk_T)
 * public key  = ek_PQ || ek_T
 * Encaps(ek):  (ss_PQ, ct_PQ) = ML-KEM.Encaps(ek_PQ); sk_E random; ct_T = Exp(g, sk_E)
 *              ss_T = ElementToSharedSecret(Exp(ek_T, sk_E))
 *              ss = SHA3-256(ss_PQ || ss_T || ct_T || ek_T || Label);  enc = ct_PQ || ct_T
 * Decaps(dk, enc): the same combiner over Decaps(dk_PQ, ct_PQ) and Exp(ct_T, dk_T)
 * HPKE DeriveKeyPair(ikm) = expandDecapsulationKey(SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", 32))
 * ```
 *
 * Deterministic encapsulation (test vectors only) takes `randomness = m || seed_E`: `m` (32 bytes)
 * for ML-KEM's Encaps_internal and `seed_E` for RandomScalar.
 */

/** A nominal group (draft-irtf-cfrg-hybrid-kems §"Nominal Groups") over a `DhPrimitive`. */
export interface NominalGroup {
  readonly name: "X25519" | "P-256" | "P-384";
  /** Bytes of the PRG output `RandomScalar` gets in `expandDecapsulationKey`. */
  readonly Nseed: number;
  /** Bytes of `seed_E` in the test vectors' deterministic encapsulation. */
  readonly NseedE: number;
  readonly Nscalar: number;
  /** Bytes of an encoded element (a public key, `ct_T`). */
  readonly Nelem: number;
  /** `RandomScalar(seed)`; undefined when rejection sampling ran out of seed. */
  randomScalar(seed: Uint8Array): Uint8Array | undefined;
  /** `Exp(g, sk)`. */
  base(sk: Uint8Array): Promise<Uint8Array>;
  /** `ElementToSharedSecret(Exp(elem, sk))`; throws `CryptoError` for an invalid element.
   * `ownElement` is `Exp(g, sk)` when known (a speed hint for the backend). */
  sharedSecret(sk: Uint8Array, elem: Uint8Array, ownElement?: Uint8Array): Promise<Uint8Array>;
  /** A fresh `sk_E`: `(Exp(g, sk_E), ElementToSharedSecret(Exp(elem, sk_E)))`. */
  ephemeral(elem: Uint8Array): Promise<{ ct: Uint8Array; ss: Uint8Array }>;
  /** Throws `CryptoError` unless `elem` is a valid encoded element. */
  validate(elem: Uint8Array): Promise<void>;
}

/**
 * Curve25519 (draft-irtf-cfrg-concrete-hybrid-kems §"Curve25519 Nominal Group"): RandomScalar and
 * ElementToSharedSecret are the identity, Exp is X25519. Every 32-byte string is an element
 * (RFC 7748 §5). X25519 of a small-order point is 32 zero bytes: the construction defines no
 * check for it (ct_T and ek_T enter the combiner, and ss_PQ keeps the secret secret), so neither
 * side refuses it. Both backends refuse the all-zero output, and as that is the only way X25519
 * on 32-byte inputs can fail, their refusal is turned back into the zero string here.
 */
export function x25519Group(dh: DhPrimitive): NominalGroup {
  if (dh.name !== "X25519") throw new TypeError("x25519Group needs the X25519 primitive");
  const ZERO = new Uint8Array(32);
  const sharedSecret = async (sk: Uint8Array, elem: Uint8Array) => {
    try {
      return await dh.dh(sk, elem);
    } catch (e) {
      if (e instanceof CryptoError) return ZERO.slice();
      throw e;
    }
  };
  return {
    name: "X25519",
    Nseed: 32,
    NseedE: 32,
    Nscalar: 32,
    Nelem: 32,
    randomScalar: (seed) => (seed.length >= 32 ? seed.slice(0, 32) : undefined),
    base: (sk) => dh.publicKey(sk),
    sharedSecret,
    async ephemeral(elem) {
      try {
        const { publicKey, dh: ss } = await dh.ephemeralDh(elem);
        return { ct: publicKey, ss };
      } catch (e) {
        if (!(e instanceof CryptoError)) throw e;
        // A small-order ek_T: same result as the spec's, with a scalar chosen here.
        const sk = randomBytes(32);
        const ct = await dh.publicKey(sk);
        const ss = await sharedSecret(sk, elem);
        sk.fill(0);
        return { ct, ss };
      }
    },
    validate: async () => {},
  };
}

/**
 * P-256 / P-384 (draft-irtf-cfrg-concrete-hybrid-kems §"P-256 and P-384 Nominal Groups"): elements
 * are uncompressed SEC1 points `0x04 || X || Y` on the curve (any other encoding, including the
 * "hybrid" 0x06/0x07 forms OpenSSL would accept, is refused), ElementToSharedSecret is the X
 * coordinate, and RandomScalar takes the first Nscalar-byte big-endian window of the seed that is
 * in [1, n-1].
 *
 * Nseed: P-256 128 (four windows), P-384 48 (one), as the concrete-hybrid-kems draft has it now.
 * The revision the draft-ietf-hpke-pq vectors were made with gave P-256 96 bytes; the windows are
 * read from one SHAKE256 stream, so both give the same key unless three windows in a row fail
 * (probability about 2^-96), where the older revision fails and this one reads a fourth.
 * `NseedE` is the vectors' seed_E length (P-256 96, P-384 48).
 */
export function nistGroup(dh: DhPrimitive, nseed: number, nseedE: number): NominalGroup {
  if (dh.name !== "P-256" && dh.name !== "P-384")
    throw new TypeError("nistGroup needs the P-256 or P-384 primitive");
  const curve = NIST_CURVES[dh.name];
  const name = dh.name;
  const n = curve.size;
  const checkEncoding = (elem: Uint8Array) => {
    if (!isUncompressedPointEncoding(curve, elem))
      throw new CryptoError(`${name} element must be an uncompressed point (0x04 || X || Y)`);
  };
  return {
    name,
    Nseed: nseed,
    NseedE: nseedE,
    Nscalar: n,
    Nelem: 1 + 2 * n,
    randomScalar(seed) {
      for (let start = 0; start + n <= seed.length; start += n) {
        const candidate = seed.subarray(start, start + n);
        if (isScalarInRange(curve, candidate)) return candidate.slice();
      }
      return undefined;
    },
    base: (sk) => dh.publicKey(sk),
    async sharedSecret(sk, elem, ownElement) {
      checkEncoding(elem);
      return dh.dh(sk, elem, ownElement);
    },
    async ephemeral(elem) {
      checkEncoding(elem);
      const { publicKey, dh: ss } = await dh.ephemeralDh(elem);
      return { ct: publicKey, ss };
    },
    async validate(elem) {
      checkEncoding(elem);
      await dh.validatePublicKey(elem);
    },
  };
}

/** The seed of a hybrid KEM's private key, expanded. */
interface Expanded {
  readonly dkPq: Uint8Array;
  readonly dkT: Uint8Array;
  readonly ekT: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface HybridKemParams {
  /** HPKE KEM id (draft-ietf-hpke-pq). */
  readonly id: number;
  /** Name in draft-ietf-hpke-pq. */
  readonly name: string;
  /** The combiner's domain-separation label. */
  readonly label: Uint8Array;
  readonly ml: MlKemPrimitive;
  readonly group: NominalGroup;
}

/** Nsk and Nsecret of every hybrid KEM. */
const NSK = 32;
const NSS = 32;

/** A hybrid KEM of draft-ietf-hpke-pq over `params` (see the module comment). */
export function hybridKem(params: HybridKemParams): PqKem {
  const { id, name, label, ml, group } = params;
  const suiteId = kemSuiteId(id);
  const Npk = ml.Nek + group.Nelem;
  const Nenc = ml.Nct + group.Nelem;
  const expandedKeys = new ExpandedKeyCache<Promise<Expanded>>();

  async function expand(seed: Uint8Array): Promise<Expanded> {
    const full = shake256(seed, { dkLen: 64 + group.Nseed });
    try {
      const { ek: ekPq, dk: dkPq } = ml.keyGen(full.subarray(0, 64));
      const dkT = group.randomScalar(full.subarray(64));
      if (dkT === undefined)
        throw new DeriveKeyPairError(`${name}: RandomScalar found no valid ${group.name} scalar`);
      const ekT = await group.base(dkT);
      return { dkPq, dkT, ekT, publicKey: concat(ekPq, ekT) };
    } finally {
      full.fill(0);
    }
  }

  function expandCached(sk: Uint8Array): Promise<Expanded> {
    if (sk.length !== NSK) throw new DecapError(`${name} private key must be ${NSK} bytes`);
    return expandedKeys.get(sk, expand);
  }

  function combine(ssPq: Uint8Array, ssT: Uint8Array, ctT: Uint8Array, ekT: Uint8Array) {
    const input = concat(ssPq, ssT, ctT, ekT, label);
    const ss = sha3_256(input);
    input.fill(0);
    ssPq.fill(0);
    ssT.fill(0);
    return ss;
  }

  function splitPublicKey(pk: Uint8Array): [Uint8Array, Uint8Array] {
    if (pk.length !== Npk)
      throw new EncapError(`${name} encapsulation key must be ${Npk} bytes, got ${pk.length}`);
    return [pk.subarray(0, ml.Nek), pk.subarray(ml.Nek)];
  }

  async function encapWith(
    pk: Uint8Array,
    randomness: Uint8Array | undefined,
  ): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
    const [ekPq, ekT] = splitPublicKey(pk);
    const m = randomness?.subarray(0, 32);
    const { ss: ssPq, ct: ctPq } = ml.encaps(ekPq, m);
    let t: { ct: Uint8Array; ss: Uint8Array };
    try {
      if (randomness === undefined) {
        t = await group.ephemeral(ekT);
      } else {
        const skE = group.randomScalar(randomness.subarray(32));
        if (skE === undefined) throw new EncapError(`${name}: RandomScalar failed on seed_E`);
        t = { ct: await group.base(skE), ss: await group.sharedSecret(skE, ekT) };
        skE.fill(0);
      }
    } catch (e) {
      if (e instanceof EncapError) throw e;
      if (e instanceof CryptoError) throw new EncapError(`${name}: invalid ${group.name} key`);
      throw e;
    }
    return { sharedSecret: combine(ssPq, t.ss, t.ct, ekT), enc: concat(ctPq, t.ct) };
  }

  async function fromSeed(seed: Uint8Array): Promise<KeyPair> {
    const e = expand(seed);
    // The pair is likely to decapsulate soon (TreeKEM, key packages): keep the expansion.
    const expanded = await expandedKeys.get(seed, () => e);
    return { privateKey: seed, publicKey: expanded.publicKey };
  }

  return {
    id,
    name,
    Nsecret: NSS,
    Nenc,
    Npk,
    Nsk: NSK,
    Nrandom: 32 + group.NseedE,
    generateKeyPair: () => fromSeed(randomBytes(NSK)),
    deriveKeyPair: (ikm) => fromSeed(deriveKeyPairSeed(suiteId, ikm, NSK)),
    encap: (pk) => encapWith(pk, undefined),
    async encapDeterministic(pk, randomness) {
      if (randomness.length < 32 + group.Nscalar)
        throw new EncapError(`${name}: encapsulation randomness too short`);
      return encapWith(pk, randomness);
    },
    async decap(enc, sk) {
      if (enc.length !== Nenc)
        throw new DecapError(`${name} ciphertext must be ${Nenc} bytes, got ${enc.length}`);
      const e = await expandCached(sk);
      const ctPq = enc.subarray(0, ml.Nct);
      const ctT = enc.subarray(ml.Nct);
      const ssPq = ml.decaps(e.dkPq, ctPq);
      let ssT: Uint8Array;
      try {
        ssT = await group.sharedSecret(e.dkT, ctT, e.ekT);
      } catch (err) {
        ssPq.fill(0);
        if (err instanceof CryptoError)
          throw new DecapError(`${name}: ciphertext holds an invalid ${group.name} element`);
        throw err;
      }
      return combine(ssPq, ssT, ctT, e.ekT);
    },
    async validatePublicKey(pk) {
      const [ekPq, ekT] = splitPublicKey(pk);
      ml.checkEncapsulationKey(ekPq);
      try {
        await group.validate(ekT);
      } catch (e) {
        if (e instanceof CryptoError)
          throw new EncapError(`${name}: invalid ${group.name} public key`);
        throw e;
      }
    },
  };
}
