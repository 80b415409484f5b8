import * as nc from "node:crypto";
import { CryptoError } from "../../errors.js";
import {
  isUncompressedPointEncoding,
  NIST_CURVES,
  type NistCurve,
  normalizeScalar,
} from "../curves.js";
import type { SignatureScheme } from "../provider.js";
import { copyOut, view } from "./buffers.js";
import { PrivateKeyCache, PublicKeyCache } from "./keyCache.js";
import { ecPrivateKeyFromScalar, ecPublicKey, ecRawPrivate, ecRawPublic } from "./keys.js";

const PARAMS = {
  "P-256": { id: 0x0403, tls: "ecdsa_secp256r1_sha256", hash: "sha256" },
  "P-384": { id: 0x0503, tls: "ecdsa_secp384r1_sha384", hash: "sha384" },
  "P-521": { id: 0x0603, tls: "ecdsa_secp521r1_sha512", hash: "sha512" },
} as const;

/**
 * ECDSA with OpenSSL (FIPS 186-5), signatures DER-encoded (ECDSA-Sig-Value) as in TLS and
 * RFC 9420 §5.1.2; public keys uncompressed SEC1 points; private keys big-endian scalars.
 */
export function nodeEcdsa(curve: NistCurve): SignatureScheme {
  const p = PARAMS[curve];
  const info = NIST_CURVES[curve];
  const privateKeys = new PrivateKeyCache<nc.KeyObject>();
  const publicKeys = new PublicKeyCache<nc.KeyObject>(256);
  // Keyed by the caller's array; a short (65-byte P-521) key is padded inside, so the cache
  // misses for it, which is only slower.
  const privateKey = (sk: Uint8Array) =>
    privateKeys.get(sk, (d) => {
      try {
        return ecPrivateKeyFromScalar(curve, normalizeScalar(info, d));
      } catch (e) {
        if (e instanceof CryptoError) throw e;
        throw new CryptoError(`invalid ${curve} private key`);
      }
    });
  const importPublic = (pk: Uint8Array) => ecPublicKey(curve, pk);
  return {
    id: p.id,
    name: p.tls,
    generateKeyPair: async () => {
      const { privateKey: k } = nc.generateKeyPairSync("ec", { namedCurve: curve });
      return { privateKey: ecRawPrivate(curve, k), publicKey: ecRawPublic(curve, k) };
    },
    publicKey: async (sk) => ecRawPublic(curve, privateKey(sk)),
    sign: async (sk, message) =>
      copyOut(nc.sign(p.hash, view(message), { key: privateKey(sk), dsaEncoding: "der" })),
    verify: async (pk, message, signature) => {
      if (!isUncompressedPointEncoding(info, pk)) return false;
      try {
        const key = publicKeys.get(pk, importPublic);
        return nc.verify(p.hash, view(message), { key, dsaEncoding: "der" }, view(signature));
      } catch {
        return false;
      }
    },
  };
}
