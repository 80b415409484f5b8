import { CryptoError, MlsError } from "../../errors.js";
import { concat, EMPTY, utf8 } from "../../util/bytes.js";
import type { DhName, DhPrimitive, HashName } from "../backend.js";
import {
  isScalarInRange,
  isUncompressedPointEncoding,
  NIST_CURVES,
  normalizeScalar,
} from "../curves.js";
import type { Kdf, Kem, KeyPair } from "../provider.js";
import { i2osp, LabeledKdf } from "./labeled.js";

/** DHKEM identifiers (RFC 9180 §7.1). */
export const DHKEM_ID: Readonly<Record<DhName, number>> = {
  "P-256": 0x0010,
  "P-384": 0x0011,
  "P-521": 0x0012,
  X25519: 0x0020,
  X448: 0x0021,
};

/** The hash of each DHKEM's own HKDF (RFC 9180 §7.1). */
export const DHKEM_HASH: Readonly<Record<DhName, HashName>> = {
  "P-256": "SHA-256",
  "P-384": "SHA-384",
  "P-521": "SHA-512",
  X25519: "SHA-256",
  X448: "SHA-512",
};

/** RFC 9180 §7.1.3: the mask for the first candidate byte (P-521's top byte holds one bit). */
const BITMASK: Readonly<Record<DhName, number>> = {
  "P-256": 0xff,
  "P-384": 0xff,
  "P-521": 0x01,
  X25519: 0xff,
  X448: 0xff,
};

/** RFC 9180 §7.1.3: 256 candidates in a row were not valid scalars (each fails with probability
 * about 2^-32 on P-256, far less on P-384/P-521), so this is never expected to be thrown. */
export class DeriveKeyPairError extends CryptoError {}

/** A KEM that can also encapsulate with chosen randomness, to check published vectors. */
export interface DeterministicKem extends Kem {
  /**
   * Encap(pkR) with the vectors' `ikmE`: for DHKEM (skE, pkE) = DeriveKeyPair(ikmE) (RFC 9180
   * vectors); for the KEMs of draft-ietf-hpke-pq `ikmE` is the randomness of the KEM's
   * EncapsDerand (see ../pq/). For tests only: never reuse an ikmE.
   */
  encapDeterministic(
    publicKey: Uint8Array,
    ikmE: Uint8Array,
  ): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }>;
}

const L_EAE_PRK = utf8("eae_prk");
const L_SHARED_SECRET = utf8("shared_secret");
const L_DKP_PRK = utf8("dkp_prk");
const L_SK = utf8("sk");
const L_CANDIDATE = utf8("candidate");

/**
 * DHKEM(Group, KDF) of RFC 9180 §4.1, written over a `DhPrimitive` and the KEM's own `Kdf` (HKDF
 * with `DHKEM_HASH[dh.name]`), so the same code runs on every backend. Validation (§7.1.4):
 * public keys must have the right length (and the 0x04 prefix on the P-curves) and decode to a
 * point; P-curve private keys must be in [1, n-1]; an all-zero X25519/X448 result is refused.
 * All of these throw `CryptoError`.
 */
export function dhKem(dh: DhPrimitive, kdf: Kdf): DeterministicKem {
  const id = DHKEM_ID[dh.name];
  const nist = dh.name === "X25519" || dh.name === "X448" ? undefined : NIST_CURVES[dh.name];
  const labeled = new LabeledKdf(kdf, concat(utf8("KEM"), i2osp(id, 2)));
  const Nsecret = kdf.Nh;

  function checkPublic(pk: Uint8Array, what: string): void {
    const ok = nist === undefined ? pk.length === dh.Npk : isUncompressedPointEncoding(nist, pk);
    if (!ok) throw new CryptoError(`invalid ${dh.name} ${what}: wrong length or encoding`);
  }

  /** Canonical Nsk-byte form; P-521 keys given with a dropped leading zero are left-padded. */
  function checkPrivate(sk: Uint8Array): Uint8Array {
    if (nist !== undefined) return normalizeScalar(nist, sk);
    if (sk.length !== dh.Nsk) throw new CryptoError(`invalid ${dh.name} private key`);
    return sk;
  }

  /** Runs a backend step; any failure that is not already ours becomes a `CryptoError`. */
  async function guarded<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof MlsError) throw e;
      throw new CryptoError(`${dh.name} ${what} failed`);
    }
  }

  function checkDh(z: Uint8Array): Uint8Array {
    // RFC 9180 §7.1.4: the X25519/X448 all-zero output must be rejected. (Backends refuse it
    // too; this makes the rule hold whatever the backend does.)
    let acc = 0;
    for (const b of z) acc |= b;
    if (acc === 0 || z.length !== dh.Ndh) throw new CryptoError(`${dh.name} key agreement failed`);
    return z;
  }

  async function extractAndExpand(z: Uint8Array, kemContext: Uint8Array): Promise<Uint8Array> {
    const eaePrk = await labeled.extract(EMPTY, L_EAE_PRK, z);
    return labeled.expand(eaePrk, L_SHARED_SECRET, kemContext, Nsecret);
  }

  async function deriveKeyPair(ikm: Uint8Array): Promise<KeyPair> {
    const dkpPrk = await labeled.extract(EMPTY, L_DKP_PRK, ikm);
    let sk: Uint8Array | undefined;
    if (nist === undefined) {
      sk = await labeled.expand(dkpPrk, L_SK, EMPTY, dh.Nsk);
    } else {
      // §7.1.3 rejection sampling: candidates until one is in [1, n-1].
      for (let counter = 0; sk === undefined; counter++) {
        if (counter > 255) throw new DeriveKeyPairError("DeriveKeyPair found no valid scalar");
        const bytes = await labeled.expand(dkpPrk, L_CANDIDATE, i2osp(counter, 1), dh.Nsk);
        bytes[0] = bytes[0]! & BITMASK[dh.name];
        if (isScalarInRange(nist, bytes)) sk = bytes;
      }
    }
    const privateKey = sk;
    const publicKey = await guarded("public key derivation", () => dh.publicKey(privateKey));
    return { privateKey, publicKey };
  }

  async function encapWith(
    pkR: Uint8Array,
    ephemeral: () => Promise<{ publicKey: Uint8Array; dh: Uint8Array }>,
  ): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
    checkPublic(pkR, "public key");
    const e = await guarded("encapsulation", ephemeral);
    const z = checkDh(e.dh);
    const sharedSecret = await extractAndExpand(z, concat(e.publicKey, pkR));
    z.fill(0);
    return { sharedSecret, enc: e.publicKey };
  }

  return {
    id,
    Nsecret,
    Nenc: dh.Npk,
    Npk: dh.Npk,
    Nsk: dh.Nsk,
    generateKeyPair: () => guarded("key generation", () => dh.generateKeyPair()),
    deriveKeyPair,
    encap: (pkR) => encapWith(pkR, () => dh.ephemeralDh(pkR)),
    encapDeterministic: async (pkR, ikmE) => {
      const eph = await deriveKeyPair(ikmE);
      return encapWith(pkR, async () => ({
        publicKey: eph.publicKey,
        dh: await dh.dh(eph.privateKey, pkR, eph.publicKey),
      }));
    },
    decap: async (enc, skR, pkR) => {
      checkPublic(enc, "encapsulation");
      checkPublic(pkR, "public key");
      const sk = checkPrivate(skR);
      const z = checkDh(await guarded("decapsulation", () => dh.dh(sk, enc, pkR)));
      const sharedSecret = await extractAndExpand(z, concat(enc, pkR));
      z.fill(0);
      return sharedSecret;
    },
    validatePublicKey: async (pk) => {
      checkPublic(pk, "public key");
      await guarded("public key validation", () => dh.validatePublicKey(pk));
    },
  };
}
