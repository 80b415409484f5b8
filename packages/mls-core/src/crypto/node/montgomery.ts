import * as nc from "node:crypto";
import { CryptoError } from "../../errors.js";
import type { DhPrimitive } from "../backend.js";
import { copyOut } from "./buffers.js";
import { PrivateKeyCache, PublicKeyCache } from "./keyCache.js";
import {
  generateOkpKeyPair,
  okpPrivateKey,
  okpPublicKey,
  okpRawPrivate,
  okpRawPublic,
} from "./keys.js";

/** X25519 and X448 (RFC 7748) with OpenSSL. */
export function nodeMontgomery(name: "X25519" | "X448"): DhPrimitive {
  const size = name === "X25519" ? 32 : 56;
  const privateKeys = new PrivateKeyCache<nc.KeyObject>();
  const publicKeys = new PublicKeyCache<nc.KeyObject>(256);
  const importPrivate = (sk: Uint8Array) => okpPrivateKey(name, sk);
  const importPublic = (pk: Uint8Array) => okpPublicKey(name, pk);

  function derive(privateKey: nc.KeyObject, pk: Uint8Array): Uint8Array {
    try {
      const publicKey = publicKeys.get(pk, importPublic);
      return copyOut(nc.diffieHellman({ privateKey, publicKey }));
    } catch {
      // OpenSSL refuses an all-zero result (a small-order public key), as RFC 9180 §7.1.4 asks.
      throw new CryptoError(`${name} key agreement failed`);
    }
  }

  return {
    name,
    Npk: size,
    Nsk: size,
    Ndh: size,
    publicKey: async (sk) => okpRawPublic(privateKeys.get(sk, importPrivate), size),
    generateKeyPair: async () => {
      const { privateKey } = generateOkpKeyPair(name);
      return {
        privateKey: okpRawPrivate(privateKey, size),
        publicKey: okpRawPublic(privateKey, size),
      };
    },
    dh: async (sk, pk) => derive(privateKeys.get(sk, importPrivate), pk),
    ephemeralDh: async (pk) => {
      const { privateKey, publicKey } = generateOkpKeyPair(name);
      return { publicKey: okpRawPublic(publicKey, size), dh: derive(privateKey, pk) };
    },
    // Every 32 (56) byte string is an X25519 (X448) public key (RFC 7748 §5); small-order ones are
    // caught by the all-zero check on the DH output.
    validatePublicKey: async () => {},
  };
}
