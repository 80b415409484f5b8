import { ed448 } from "@noble/curves/ed448.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { CryptoError } from "../../errors.js";
import type { SignatureName } from "../backend.js";
import { isUncompressedPointEncoding, NIST_CURVES, normalizeScalar } from "../curves.js";
import type { SignatureScheme } from "../provider.js";

const EDDSA = {
  Ed25519: { id: 0x0807, tls: "ed25519", curve: ed25519, Nsk: 32, Npk: 32, Nsig: 64 },
  Ed448: { id: 0x0808, tls: "ed448", curve: ed448, Nsk: 57, Npk: 57, Nsig: 114 },
} as const;

const ECDSA = {
  "ECDSA-P256-SHA256": { id: 0x0403, tls: "ecdsa_secp256r1_sha256", curve: p256, nist: "P-256" },
  "ECDSA-P384-SHA384": { id: 0x0503, tls: "ecdsa_secp384r1_sha384", curve: p384, nist: "P-384" },
  "ECDSA-P521-SHA512": { id: 0x0603, tls: "ecdsa_secp521r1_sha512", curve: p521, nist: "P-521" },
} as const;

/** Ed25519 / Ed448 (RFC 8032, pure, empty context) in pure JS. */
function eddsa(name: "Ed25519" | "Ed448"): SignatureScheme {
  const p = EDDSA[name];
  const checkSk = (sk: Uint8Array) => {
    if (sk.length !== p.Nsk) throw new CryptoError(`${name} private key must be ${p.Nsk} bytes`);
    return sk;
  };
  return {
    id: p.id,
    name: p.tls,
    generateKeyPair: async () => {
      const privateKey = p.curve.utils.randomSecretKey();
      return { privateKey, publicKey: p.curve.getPublicKey(privateKey) };
    },
    publicKey: async (sk) => p.curve.getPublicKey(checkSk(sk)),
    sign: async (sk, message) => p.curve.sign(message, checkSk(sk)),
    verify: async (pk, message, signature) => {
      if (pk.length !== p.Npk || signature.length !== p.Nsig) return false;
      try {
        // Strict RFC 8032 decoding, as OpenSSL does, rather than ZIP-215's laxer rules.
        return p.curve.verify(signature, message, pk, { zip215: false });
      } catch {
        return false;
      }
    },
  };
}

/**
 * ECDSA (FIPS 186-5) in pure JS, DER signatures as in RFC 9420 §5.1.2. Signing is deterministic
 * (RFC 6979) and produces low-S signatures; verification accepts high S too, as OpenSSL does
 * and as other MLS implementations produce.
 */
function ecdsa(name: keyof typeof ECDSA): SignatureScheme {
  const p = ECDSA[name];
  const info = NIST_CURVES[p.nist];
  return {
    id: p.id,
    name: p.tls,
    generateKeyPair: async () => {
      const privateKey = p.curve.utils.randomSecretKey();
      return { privateKey, publicKey: p.curve.getPublicKey(privateKey, false) };
    },
    publicKey: async (sk) => p.curve.getPublicKey(normalizeScalar(info, sk), false),
    sign: async (sk, message) =>
      p.curve.sign(message, normalizeScalar(info, sk), { prehash: true, format: "der" }),
    verify: async (pk, message, signature) => {
      if (!isUncompressedPointEncoding(info, pk)) return false;
      try {
        return p.curve.verify(signature, message, pk, {
          prehash: true,
          lowS: false,
          format: "der",
        });
      } catch {
        return false;
      }
    },
  };
}

export function nobleSignature(name: SignatureName): SignatureScheme {
  return name === "Ed25519" || name === "Ed448" ? eddsa(name) : ecdsa(name);
}
