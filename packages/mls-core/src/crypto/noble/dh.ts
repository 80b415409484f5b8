import { x448 } from "@noble/curves/ed448.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { CryptoError } from "../../errors.js";
import type { DhName, DhPrimitive } from "../backend.js";

const MONTGOMERY = { X25519: { curve: x25519, size: 32 }, X448: { curve: x448, size: 56 } };
const WEIERSTRASS = {
  "P-256": { curve: p256, size: 32 },
  "P-384": { curve: p384, size: 48 },
  "P-521": { curve: p521, size: 66 },
};

function montgomery(name: "X25519" | "X448"): DhPrimitive {
  const { curve, size } = MONTGOMERY[name];
  const dh = (sk: Uint8Array, pk: Uint8Array) => {
    try {
      // Throws on a small-order point, whose result would be all zero (RFC 9180 §7.1.4).
      return curve.getSharedSecret(sk, pk);
    } catch {
      throw new CryptoError(`${name} key agreement failed`);
    }
  };
  return {
    name,
    Npk: size,
    Nsk: size,
    Ndh: size,
    publicKey: async (sk) => curve.getPublicKey(sk),
    generateKeyPair: async () => {
      const privateKey = curve.utils.randomSecretKey();
      return { privateKey, publicKey: curve.getPublicKey(privateKey) };
    },
    dh: async (sk, pk) => dh(sk, pk),
    ephemeralDh: async (pk) => {
      const sk = curve.utils.randomSecretKey();
      const shared = dh(sk, pk);
      return { publicKey: curve.getPublicKey(sk), dh: shared };
    },
    validatePublicKey: async () => {},
  };
}

function weierstrass(name: "P-256" | "P-384" | "P-521"): DhPrimitive {
  const { curve, size } = WEIERSTRASS[name];
  const dh = (sk: Uint8Array, pk: Uint8Array) => {
    let point: Uint8Array;
    try {
      point = curve.getSharedSecret(sk, pk, true);
    } catch {
      throw new CryptoError(`${name} key agreement failed: invalid public key`);
    }
    return point.slice(1); // the X coordinate (RFC 9180 §7.1.1)
  };
  return {
    name,
    Npk: 1 + 2 * size,
    Nsk: size,
    Ndh: size,
    publicKey: async (sk) => curve.getPublicKey(sk, false),
    generateKeyPair: async () => {
      const privateKey = curve.utils.randomSecretKey();
      return { privateKey, publicKey: curve.getPublicKey(privateKey, false) };
    },
    dh: async (sk, pk) => dh(sk, pk),
    ephemeralDh: async (pk) => {
      const sk = curve.utils.randomSecretKey();
      const shared = dh(sk, pk);
      return { publicKey: curve.getPublicKey(sk, false), dh: shared };
    },
    validatePublicKey: async (pk) => {
      try {
        curve.Point.fromBytes(pk).assertValidity();
      } catch {
        throw new CryptoError(`invalid ${name} public key`);
      }
    },
  };
}

/** X25519/X448 (RFC 7748) and ECDH on P-256/P-384/P-521 in pure JS (@noble/curves). */
export function nobleDh(name: DhName): DhPrimitive {
  return name === "X25519" || name === "X448" ? montgomery(name) : weierstrass(name);
}
