import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { CryptoError } from "../../errors.js";
import type { SignatureScheme } from "../provider.js";
import { ExpandedKeyCache, randomBytes } from "./common.js";

/**
 * ML-DSA (FIPS 204) signatures as MLS uses them (draft-ietf-mls-pq-ciphersuites, which points to
 * draft-ietf-tls-mldsa): the pure variant (not HashML-DSA), with the empty context string, so the
 * signed message is FIPS 204's `M' = 0x00 || 0x00 || M` for the whole serialized SignContent.
 * Signing is hedged (fresh 32-byte `rnd`, FIPS 204's default); deterministic signatures verify
 * the same way. On @noble/post-quantum: Node 20's OpenSSL 3.0 has no ML-DSA.
 *
 * Keys: the public key is FIPS 204's encoded pk; the private key is the 32-byte seed ξ of
 * `ML-DSA.KeyGen_internal` (the seed form of RFC 9881), expanded to the FIPS 204 signing key
 * when used. Expanded keys are cached per key array (see `ExpandedKeyCache`; ../README.md has
 * the measurements that justify it).
 */

export type MlDsaName = "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87";

type Noble = typeof ml_dsa44;

/** TLS SignatureScheme code points (draft-ietf-tls-mldsa). */
export const MLDSA_SIGNATURE_ID: Readonly<Record<MlDsaName, number>> = {
  "ML-DSA-44": 0x0904,
  "ML-DSA-65": 0x0905,
  "ML-DSA-87": 0x0906,
};

const PARAMS: Readonly<Record<MlDsaName, { tls: string; impl: Noble }>> = {
  "ML-DSA-44": { tls: "mldsa44", impl: ml_dsa44 },
  "ML-DSA-65": { tls: "mldsa65", impl: ml_dsa65 },
  "ML-DSA-87": { tls: "mldsa87", impl: ml_dsa87 },
};

export function isMlDsaName(name: string): name is MlDsaName {
  return Object.hasOwn(PARAMS, name);
}

/** Bytes of the private key (the seed ξ). */
const NSEED = 32;
const EMPTY_CONTEXT = new Uint8Array(0);

/** An ML-DSA signature scheme with the FIPS 204 operations the tests call directly. */
export interface MlDsa extends SignatureScheme {
  readonly parameterSet: MlDsaName;
  readonly Npk: number;
  readonly Nsig: number;
  /** `ML-DSA.KeyGen_internal(ξ)`: the FIPS 204 (expanded) signing key and the public key. */
  expand(seed: Uint8Array): { signingKey: Uint8Array; publicKey: Uint8Array };
  /** `ML-DSA.Sign(sk, M, ctx = "")` with the expanded key and the given 32-byte `rnd`
   * (all zero: the deterministic variant). */
  signWithExpandedKey(signingKey: Uint8Array, message: Uint8Array, rnd: Uint8Array): Uint8Array;
}

function make(name: MlDsaName): MlDsa {
  const { tls, impl } = PARAMS[name];
  const id = MLDSA_SIGNATURE_ID[name];
  const Npk = impl.lengths.publicKey!;
  const Nsig = impl.lengths.signature!;
  const keys = new ExpandedKeyCache<{ signingKey: Uint8Array; publicKey: Uint8Array }>();

  function expand(seed: Uint8Array) {
    if (seed.length !== NSEED) throw new CryptoError(`${name} private key must be a 32-byte seed`);
    const { secretKey, publicKey } = impl.keygen(seed);
    return { signingKey: secretKey, publicKey };
  }
  const expanded = (seed: Uint8Array) => {
    if (seed.length !== NSEED) throw new CryptoError(`${name} private key must be a 32-byte seed`);
    return keys.get(seed, expand);
  };
  function signWithExpandedKey(signingKey: Uint8Array, message: Uint8Array, rnd: Uint8Array) {
    if (rnd.length !== 32) throw new CryptoError(`${name} rnd must be 32 bytes`);
    return impl.sign(message, signingKey, { context: EMPTY_CONTEXT, extraEntropy: rnd });
  }

  return {
    id,
    name: tls,
    parameterSet: name,
    Npk,
    Nsig,
    expand,
    signWithExpandedKey,
    generateKeyPair: async () => {
      const privateKey = randomBytes(NSEED);
      return { privateKey, publicKey: expanded(privateKey).publicKey.slice() };
    },
    publicKey: async (seed) => expanded(seed).publicKey.slice(),
    sign: async (seed, message) => {
      const rnd = randomBytes(32);
      const sig = signWithExpandedKey(expanded(seed).signingKey, message, rnd);
      rnd.fill(0);
      return sig;
    },
    verify: async (publicKey, message, signature) => {
      if (publicKey.length !== Npk || signature.length !== Nsig) return false;
      try {
        return impl.verify(signature, message, publicKey, { context: EMPTY_CONTEXT });
      } catch {
        return false;
      }
    },
  };
}

const SCHEMES: Readonly<Record<MlDsaName, MlDsa>> = {
  "ML-DSA-44": make("ML-DSA-44"),
  "ML-DSA-65": make("ML-DSA-65"),
  "ML-DSA-87": make("ML-DSA-87"),
};

/** The ML-DSA signature scheme of this parameter set (one shared instance). */
export function mlDsa(name: MlDsaName): MlDsa {
  return SCHEMES[name];
}
