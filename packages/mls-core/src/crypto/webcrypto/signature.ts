import { CryptoError } from "../../errors.js";
import {
  isUncompressedPointEncoding,
  NIST_CURVES,
  type NistCurve,
  normalizeScalar,
} from "../curves.js";
import type { SignatureScheme } from "../provider.js";
import { derToP1363, ecPkcs8, okpPkcs8, p1363ToDer } from "./der.js";
import { ecPublicFromScalar, ecRawKeyPair } from "./ecdh.js";
import { PrivateKeyCache, PublicKeyCache } from "./keyCache.js";
import {
  bs,
  fromBase64Url,
  subtle,
  u8,
  type WebCryptoKey,
  type WebCryptoKeyPair,
} from "./subtle.js";

/** Ed25519 (RFC 8032, pure) with `crypto.subtle` (Secure Curves), where the platform has it. */
export function webEd25519(): SignatureScheme {
  const alg = { name: "Ed25519" };
  const privateKeys = new PrivateKeyCache<WebCryptoKey>();
  const publicKeys = new PublicKeyCache<WebCryptoKey>(256);
  const importPrivate = async (sk: Uint8Array, extractable = false) => {
    if (sk.length !== 32) throw new CryptoError("Ed25519 private key must be 32 bytes");
    return subtle().importKey("pkcs8", bs(okpPkcs8("Ed25519", sk)), alg, extractable, ["sign"]);
  };
  const importPublic = (pk: Uint8Array) => subtle().importKey("raw", bs(pk), alg, true, ["verify"]);
  return {
    id: 0x0807,
    name: "ed25519",
    generateKeyPair: async () => {
      const kp = (await subtle().generateKey(alg, true, ["sign", "verify"])) as WebCryptoKeyPair;
      const jwk = await subtle().exportKey("jwk", kp.privateKey);
      return { privateKey: fromBase64Url(jwk.d, 32), publicKey: fromBase64Url(jwk.x, 32) };
    },
    publicKey: async (sk) => {
      const key = await importPrivate(sk, true);
      return fromBase64Url((await subtle().exportKey("jwk", key)).x, 32);
    },
    sign: async (sk, message) => {
      const key = await privateKeys.get(sk, (k) => importPrivate(k));
      return u8(await subtle().sign(alg, key, bs(message)));
    },
    verify: async (pk, message, signature) => {
      if (pk.length !== 32 || signature.length !== 64) return false;
      try {
        const key = await publicKeys.get(pk, importPublic);
        return await subtle().verify(alg, key, bs(signature), bs(message));
      } catch {
        return false;
      }
    },
  };
}

const ECDSA = {
  "P-256": { id: 0x0403, tls: "ecdsa_secp256r1_sha256", hash: "SHA-256" },
  "P-384": { id: 0x0503, tls: "ecdsa_secp384r1_sha384", hash: "SHA-384" },
  "P-521": { id: 0x0603, tls: "ecdsa_secp521r1_sha512", hash: "SHA-512" },
} as const;

/**
 * ECDSA (FIPS 186-5) with `crypto.subtle`, DER signatures as in RFC 9420 §5.1.2 (WebCrypto
 * itself signs and verifies r || s). Signing is randomized, as OpenSSL's; verification accepts
 * high S, as both other backends do.
 */
export function webEcdsa(curve: NistCurve): SignatureScheme {
  const p = ECDSA[curve];
  const info = NIST_CURVES[curve];
  const alg = { name: "ECDSA", namedCurve: curve };
  const signAlg = { name: "ECDSA", hash: p.hash };
  const privateKeys = new PrivateKeyCache<WebCryptoKey>();
  const publicKeys = new PublicKeyCache<WebCryptoKey>(256);
  const importPrivate = async (sk: Uint8Array) => {
    const d = normalizeScalar(info, sk);
    try {
      return await subtle().importKey("pkcs8", bs(ecPkcs8(curve, d)), alg, false, ["sign"]);
    } catch {
      throw new CryptoError(`invalid ${curve} private key`);
    }
  };
  const importPublic = (pk: Uint8Array) => subtle().importKey("raw", bs(pk), alg, true, ["verify"]);
  return {
    id: p.id,
    name: p.tls,
    generateKeyPair: async () => {
      const kp = (await subtle().generateKey(alg, true, ["sign", "verify"])) as WebCryptoKeyPair;
      return ecRawKeyPair(curve, kp.privateKey);
    },
    publicKey: (sk) => ecPublicFromScalar(curve, "ECDSA", normalizeScalar(info, sk)),
    sign: async (sk, message) => {
      // Keyed by the caller's array; a short (65-byte P-521) key is padded inside.
      const key = await privateKeys.get(sk, importPrivate);
      return p1363ToDer(u8(await subtle().sign(signAlg, key, bs(message))));
    },
    verify: async (pk, message, signature) => {
      if (!isUncompressedPointEncoding(info, pk)) return false;
      const rs = derToP1363(signature, info.size);
      if (rs === undefined) return false;
      try {
        const key = await publicKeys.get(pk, importPublic);
        return await subtle().verify(signAlg, key, bs(rs), bs(message));
      } catch {
        return false;
      }
    },
  };
}
