// TEMPORARY post-quantum suites for the combiner while the full PQ provider is written (issue 4).
import { shake256 } from "@noble/hashes/sha3.js";
import { ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import { CryptoError } from "../errors.js";
import { BOOTSTRAP_PARTS } from "./_bootstrap.js";
import type { CipherSuite, Kem, KeyPair, SignatureScheme } from "./provider.js";

const te = new TextEncoder();
function cat(...p: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const x of p) n += x.length;
  const o = new Uint8Array(n);
  let i = 0;
  for (const x of p) {
    o.set(x, i);
    i += x.length;
  }
  return o;
}
const i2osp = (n: number, l: number) => {
  const o = new Uint8Array(l);
  for (let i = l - 1; i >= 0; i--) {
    o[i] = n & 0xff;
    n >>>= 8;
  }
  return o;
};

/** draft-ietf-hpke-hpke LabeledDerive for SHAKE256 (single-stage KDF). */
export function shake256LabeledDerive(
  suiteId: Uint8Array,
  ikm: Uint8Array,
  label: string,
  context: Uint8Array,
  L: number,
): Uint8Array {
  const l = te.encode(label);
  const labeled = cat(
    ikm,
    te.encode("HPKE-v1"),
    suiteId,
    i2osp(l.length, 2),
    l,
    i2osp(L, 2),
    context,
  );
  return shake256(labeled, { dkLen: L });
}

type MlKem = typeof ml_kem768;

function mlkemKem(id: number, impl: MlKem, Npk: number, Nenc: number): Kem {
  const suiteId = cat(te.encode("KEM"), i2osp(id, 2));
  const expanded = new Map<string, Uint8Array>();
  const expand = (seed: Uint8Array) => {
    const k = Buffer.from(seed).toString("hex");
    let e = expanded.get(k);
    if (e === undefined) {
      e = impl.keygen(seed).secretKey;
      if (expanded.size > 256) expanded.clear();
      expanded.set(k, e);
    }
    return e;
  };
  const fromSeed = (seed: Uint8Array): KeyPair => ({
    privateKey: seed,
    publicKey: impl.keygen(seed).publicKey,
  });
  return {
    id,
    Nsecret: 32,
    Nenc,
    Npk,
    Nsk: 64,
    generateKeyPair: async () => fromSeed(crypto.getRandomValues(new Uint8Array(64))),
    deriveKeyPair: async (ikm) =>
      fromSeed(shake256LabeledDerive(suiteId, ikm, "DeriveKeyPair", new Uint8Array(0), 64)),
    encap: async (pk) => {
      if (pk.length !== Npk) throw new CryptoError("ML-KEM encapsulation key has the wrong length");
      try {
        const { cipherText, sharedSecret } = impl.encapsulate(pk);
        return { enc: cipherText, sharedSecret };
      } catch {
        throw new CryptoError("invalid ML-KEM encapsulation key");
      }
    },
    decap: async (enc, sk) => {
      if (enc.length !== Nenc) throw new CryptoError("ML-KEM ciphertext has the wrong length");
      if (sk.length !== 64) throw new CryptoError("ML-KEM private key must be a 64-byte seed");
      return impl.decapsulate(enc, expand(sk));
    },
    validatePublicKey: async (pk) => {
      if (pk.length !== Npk) throw new CryptoError("ML-KEM encapsulation key has the wrong length");
    },
  };
}

type MlDsa = typeof ml_dsa65;

function mldsa(id: number, name: string, impl: MlDsa): SignatureScheme {
  const expanded = new Map<string, Uint8Array>();
  const sk = (seed: Uint8Array) => {
    const k = Buffer.from(seed).toString("hex");
    let e = expanded.get(k);
    if (e === undefined) {
      e = impl.keygen(seed).secretKey;
      if (expanded.size > 64) expanded.clear();
      expanded.set(k, e);
    }
    return e;
  };
  const empty = new Uint8Array(0);
  return {
    id,
    name,
    generateKeyPair: async () => {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      return { privateKey: seed, publicKey: impl.keygen(seed).publicKey };
    },
    publicKey: async (seed) => impl.keygen(seed).publicKey,
    sign: async (seed, m) => impl.sign(m, sk(seed), { context: empty }),
    verify: async (pk, m, s) => {
      try {
        return impl.verify(s, m, pk, { context: empty });
      } catch {
        return false;
      }
    },
  };
}

const mlkem768 = mlkemKem(0x0041, ml_kem768, 1184, 1088);
const mlkem1024 = mlkemKem(0x0042, ml_kem1024, 1568, 1568);
const dsa65 = mldsa(0x0905, "ML-DSA-65", ml_dsa65);
const dsa87 = mldsa(0x0906, "ML-DSA-87", ml_dsa87);

const P = BOOTSTRAP_PARTS;
export const BOOTSTRAP_PQ_SUITES: Record<number, CipherSuite> = {
  61446: P.suite(
    0xf006,
    "MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519",
    P.sha384,
    P.k384,
    P.aes256,
    mlkem768,
    P.ed25519,
  ),
  61447: P.suite(
    0xf007,
    "MLS_128_MLKEM768_AES256GCM_SHA384_P256",
    P.sha384,
    P.k384,
    P.aes256,
    mlkem768,
    P.ecdsaP256,
  ),
  61448: P.suite(
    0xf008,
    "MLS_192_MLKEM1024_AES256GCM_SHA384_P384",
    P.sha384,
    P.k384,
    P.aes256,
    mlkem1024,
    P.ecdsaP384,
  ),
  61450: P.suite(
    0xf00a,
    "MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65",
    P.sha384,
    P.k384,
    P.aes256,
    mlkem768,
    dsa65,
  ),
  61451: P.suite(
    0xf00b,
    "MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87",
    P.sha384,
    P.k384,
    P.aes256,
    mlkem1024,
    dsa87,
  ),
};
