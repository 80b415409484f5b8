import { CryptoError } from "../../errors.js";
import type { DhPrimitive } from "../backend.js";
import { isUncompressedPointEncoding, NIST_CURVES, type NistCurve } from "../curves.js";
import type { KeyPair } from "../provider.js";
import { ecPkcs8, okpPkcs8 } from "./der.js";
import { PrivateKeyCache, PublicKeyCache } from "./keyCache.js";
import {
  bs,
  fromBase64Url,
  subtle,
  u8,
  type WebCryptoKey,
  type WebCryptoKeyPair,
} from "./subtle.js";

/** 0x04 || X || Y from an EC JWK. */
export function ecPointFromJwk(
  curve: NistCurve,
  jwk: { x?: string | undefined; y?: string | undefined },
) {
  const n = NIST_CURVES[curve].size;
  const out = new Uint8Array(1 + 2 * n);
  out[0] = 0x04;
  out.set(fromBase64Url(jwk.x, n), 1);
  out.set(fromBase64Url(jwk.y, n), 1 + n);
  return out;
}

/** An EC key pair in raw form from a generated (extractable) WebCrypto private key. */
export async function ecRawKeyPair(curve: NistCurve, key: WebCryptoKey): Promise<KeyPair> {
  const jwk = await subtle().exportKey("jwk", key);
  return {
    privateKey: fromBase64Url(jwk.d, NIST_CURVES[curve].size),
    publicKey: ecPointFromJwk(curve, jwk),
  };
}

/**
 * pk(sk) of an EC scalar: WebCrypto has no scalar multiplication of its own, so the scalar is
 * imported (PKCS#8 without the public point, which the implementation then computes) and the
 * key exported again as JWK.
 */
export async function ecPublicFromScalar(
  curve: NistCurve,
  algorithm: "ECDH" | "ECDSA",
  d: Uint8Array,
): Promise<Uint8Array> {
  const usages = algorithm === "ECDH" ? ["deriveBits"] : ["sign"];
  let key: WebCryptoKey;
  try {
    key = await subtle().importKey(
      "pkcs8",
      bs(ecPkcs8(curve, d)),
      { name: algorithm, namedCurve: curve },
      true,
      usages,
    );
  } catch {
    throw new CryptoError(`invalid ${curve} private key`);
  }
  return ecPointFromJwk(curve, await subtle().exportKey("jwk", key));
}

function allZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

/** ECDH on P-256/P-384/P-521 with `crypto.subtle` (RFC 9180 §7.1: DH output is the X coordinate). */
export function webEcdh(curve: NistCurve): DhPrimitive {
  const info = NIST_CURVES[curve];
  const alg = { name: "ECDH", namedCurve: curve };
  const bits = 8 * info.size;
  const privateKeys = new PrivateKeyCache<WebCryptoKey>();
  const publicKeys = new PublicKeyCache<WebCryptoKey>(256);
  const fail = (): never => {
    throw new CryptoError(`${curve} key agreement failed: invalid public key`);
  };
  const importPublic = async (pk: Uint8Array) => {
    // WebCrypto's raw EC format may also take compressed points; DHKEM allows only 0x04.
    if (!isUncompressedPointEncoding(info, pk)) fail();
    try {
      return await subtle().importKey("raw", bs(pk), alg, true, []);
    } catch {
      return fail();
    }
  };
  const importPrivate = async (d: Uint8Array) => {
    try {
      return await subtle().importKey("pkcs8", bs(ecPkcs8(curve, d)), alg, false, ["deriveBits"]);
    } catch {
      throw new CryptoError(`invalid ${curve} private key`);
    }
  };
  const derive = async (privateKey: WebCryptoKey, pk: Uint8Array) => {
    const publicKey = await publicKeys.get(pk, importPublic);
    try {
      return u8(await subtle().deriveBits({ name: "ECDH", public: publicKey }, privateKey, bits));
    } catch {
      return fail();
    }
  };
  return {
    name: curve,
    Npk: 1 + 2 * info.size,
    Nsk: info.size,
    Ndh: info.size,
    publicKey: (sk) => ecPublicFromScalar(curve, "ECDH", sk),
    generateKeyPair: async () => {
      const kp = (await subtle().generateKey(alg, true, ["deriveBits"])) as WebCryptoKeyPair;
      return ecRawKeyPair(curve, kp.privateKey);
    },
    dh: async (sk, pk) => derive(await privateKeys.get(sk, importPrivate), pk),
    ephemeralDh: async (pk) => {
      const kp = (await subtle().generateKey(alg, false, ["deriveBits"])) as WebCryptoKeyPair;
      const dh = await derive(kp.privateKey, pk);
      return { publicKey: u8(await subtle().exportKey("raw", kp.publicKey)), dh };
    },
    validatePublicKey: async (pk) => {
      await publicKeys.get(pk, importPublic);
    },
  };
}

/** X25519 (RFC 7748) with `crypto.subtle` (Secure Curves), where the platform has it. */
export function webX25519(): DhPrimitive {
  const alg = { name: "X25519" };
  const privateKeys = new PrivateKeyCache<WebCryptoKey>();
  const publicKeys = new PublicKeyCache<WebCryptoKey>(256);
  const fail = (): never => {
    throw new CryptoError("X25519 key agreement failed");
  };
  const importPrivate = (sk: Uint8Array, extractable = false) => {
    if (sk.length !== 32) throw new CryptoError("X25519 private key must be 32 bytes");
    return subtle().importKey("pkcs8", bs(okpPkcs8("X25519", sk)), alg, extractable, [
      "deriveBits",
    ]);
  };
  const importPublic = async (pk: Uint8Array) => {
    try {
      return await subtle().importKey("raw", bs(pk), alg, true, []);
    } catch {
      return fail();
    }
  };
  const derive = async (privateKey: WebCryptoKey, pk: Uint8Array) => {
    const publicKey = await publicKeys.get(pk, importPublic);
    let out: Uint8Array;
    try {
      out = u8(await subtle().deriveBits({ name: "X25519", public: publicKey }, privateKey, 256));
    } catch {
      // WebCrypto refuses the all-zero output of a small-order point (RFC 7748 §6.1).
      return fail();
    }
    if (allZero(out)) fail(); // in case an implementation does not
    return out;
  };
  const publicKey = async (sk: Uint8Array) => {
    const key = await importPrivate(sk, true);
    return fromBase64Url((await subtle().exportKey("jwk", key)).x, 32);
  };
  return {
    name: "X25519",
    Npk: 32,
    Nsk: 32,
    Ndh: 32,
    publicKey,
    generateKeyPair: async () => {
      const kp = (await subtle().generateKey(alg, true, ["deriveBits"])) as WebCryptoKeyPair;
      const jwk = await subtle().exportKey("jwk", kp.privateKey);
      return { privateKey: fromBase64Url(jwk.d, 32), publicKey: fromBase64Url(jwk.x, 32) };
    },
    dh: async (sk, pk) => derive(await privateKeys.get(sk, (k) => importPrivate(k)), pk),
    ephemeralDh: async (pk) => {
      const kp = (await subtle().generateKey(alg, false, ["deriveBits"])) as WebCryptoKeyPair;
      const dh = await derive(kp.privateKey, pk);
      return { publicKey: u8(await subtle().exportKey("raw", kp.publicKey)), dh };
    },
    // Every 32-byte string is an X25519 public key (RFC 7748 §5).
    validatePublicKey: async () => {},
  };
}
