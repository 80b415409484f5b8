import * as nc from "node:crypto";
import { CryptoError } from "../../errors.js";
import type { DhPrimitive } from "../backend.js";
import { NIST_CURVES, type NistCurve } from "../curves.js";
import { copyOut, view } from "./buffers.js";
import { PrivateKeyCache, PublicKeyCache } from "./keyCache.js";
import {
  ecPrivateKeyFromScalar,
  ecPrivateKeyWithPublic,
  ecPublicKey,
  ecRawPrivate,
  ecRawPublic,
  OPENSSL_CURVE,
} from "./keys.js";

/**
 * ECDH on the NIST curves with OpenSSL, in one of two ways chosen per curve by measurement
 * (see ../README.md):
 *
 * - "ecdh": a `createECDH` object per call, fed raw bytes. No key import at all, but setting the
 *   private key recomputes its public point and `computeSecret` re-checks the peer point. Best on
 *   P-256, where OpenSSL's scalar multiplication is fast.
 * - "keyobject": KeyObjects (cached) and `crypto.diffieHellman`. On P-384/P-521 OpenSSL 3.0 is
 *   slow, and `diffieHellman` on imported keys beats `computeSecret` by 10–20%.
 *
 * pk(sk), which DeriveKeyPair needs for every TreeKEM node, always uses `createECDH`: it was the
 * fastest way on all three curves (P-384: 1.06 ms against 1.32 ms for a SEC1 import).
 */
export type NodeEcdhStrategy = "ecdh" | "keyobject";

export const NODE_ECDH_STRATEGY: Readonly<Record<NistCurve, NodeEcdhStrategy>> = {
  "P-256": "ecdh",
  "P-384": "keyobject",
  "P-521": "keyobject",
};

function fail(curve: NistCurve): never {
  throw new CryptoError(`${curve} key agreement failed: invalid public key`);
}

export function nodeEcdh(
  curve: NistCurve,
  strategy: NodeEcdhStrategy = NODE_ECDH_STRATEGY[curve],
): DhPrimitive {
  const info = NIST_CURVES[curve];
  const sslName = OPENSSL_CURVE[curve];
  const Npk = 1 + 2 * info.size;
  const base = { name: curve, Npk, Nsk: info.size, Ndh: info.size } as const;

  const publicKey = async (sk: Uint8Array) => {
    const e = nc.createECDH(sslName);
    e.setPrivateKey(view(sk));
    return copyOut(e.getPublicKey());
  };
  const generateKeyPair = async () => {
    const { privateKey } = nc.generateKeyPairSync("ec", { namedCurve: curve });
    return {
      privateKey: ecRawPrivate(curve, privateKey),
      publicKey: ecRawPublic(curve, privateKey),
    };
  };

  if (strategy === "ecdh") {
    const compute = (e: nc.ECDH, pk: Uint8Array): Uint8Array => {
      try {
        return copyOut(e.computeSecret(view(pk)));
      } catch {
        fail(curve);
      }
    };
    return {
      ...base,
      publicKey,
      generateKeyPair,
      dh: async (sk, pk) => {
        const e = nc.createECDH(sslName);
        e.setPrivateKey(view(sk));
        return compute(e, pk);
      },
      ephemeralDh: async (pk) => {
        const e = nc.createECDH(sslName);
        e.generateKeys();
        const dh = compute(e, pk);
        return { publicKey: copyOut(e.getPublicKey()), dh };
      },
      validatePublicKey: async (pk) => {
        try {
          nc.ECDH.convertKey(view(pk), sslName);
        } catch {
          fail(curve);
        }
      },
    };
  }

  const privateKeys = new PrivateKeyCache<nc.KeyObject>();
  const publicKeys = new PublicKeyCache<nc.KeyObject>(256);
  const importPublic = (pk: Uint8Array): nc.KeyObject => {
    try {
      return ecPublicKey(curve, pk);
    } catch {
      fail(curve);
    }
  };
  const derive = (privateKey: nc.KeyObject, pk: Uint8Array): Uint8Array => {
    const publicKey = publicKeys.get(pk, importPublic);
    try {
      return copyOut(nc.diffieHellman({ privateKey, publicKey }));
    } catch {
      fail(curve);
    }
  };
  return {
    ...base,
    publicKey,
    generateKeyPair,
    dh: async (sk, pk, ownPublicKey) => {
      const privateKey = privateKeys.get(sk, (d) => {
        // With its public point at hand, JWK import skips the scalar multiplication that SEC1
        // decoding does (0.66 ms against 1.3 ms on P-384). Only d enters the DH, so a wrong hint
        // cannot change the result; an unusable one falls back to SEC1.
        if (ownPublicKey !== undefined && ownPublicKey.length === Npk) {
          try {
            return ecPrivateKeyWithPublic(curve, d, ownPublicKey);
          } catch {}
        }
        return ecPrivateKeyFromScalar(curve, d);
      });
      return derive(privateKey, pk);
    },
    ephemeralDh: async (pk) => {
      const { privateKey, publicKey } = nc.generateKeyPairSync("ec", { namedCurve: curve });
      const dh = derive(privateKey, pk);
      return { publicKey: ecRawPublic(curve, publicKey), dh };
    },
    validatePublicKey: async (pk) => {
      publicKeys.get(pk, importPublic);
    },
  };
}
