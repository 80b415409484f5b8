import * as nc from "node:crypto";
import { CryptoError } from "../../errors.js";
import type { SignatureScheme } from "../provider.js";
import { copyOut, view } from "./buffers.js";
import { PrivateKeyCache, PublicKeyCache } from "./keyCache.js";
import {
  generateOkpKeyPair,
  okpPrivateKey,
  okpPublicKey,
  okpRawPrivate,
  okpRawPublic,
} from "./keys.js";

const PARAMS = {
  Ed25519: { id: 0x0807, tls: "ed25519", Nsk: 32, Npk: 32, Nsig: 64 },
  Ed448: { id: 0x0808, tls: "ed448", Nsk: 57, Npk: 57, Nsig: 114 },
} as const;

/** Ed25519 and Ed448 (RFC 8032, pure, empty context) with OpenSSL. */
export function nodeEddsa(name: "Ed25519" | "Ed448"): SignatureScheme {
  const p = PARAMS[name];
  const privateKeys = new PrivateKeyCache<nc.KeyObject>();
  const publicKeys = new PublicKeyCache<nc.KeyObject>(256);
  const importPrivate = (sk: Uint8Array): nc.KeyObject => {
    if (sk.length !== p.Nsk) throw new CryptoError(`${name} private key must be ${p.Nsk} bytes`);
    return okpPrivateKey(name, sk);
  };
  const importPublic = (pk: Uint8Array) => okpPublicKey(name, pk);
  return {
    id: p.id,
    name: p.tls,
    generateKeyPair: async () => {
      const { privateKey } = generateOkpKeyPair(name);
      return {
        privateKey: okpRawPrivate(privateKey, p.Nsk),
        publicKey: okpRawPublic(privateKey, p.Npk),
      };
    },
    publicKey: async (sk) => okpRawPublic(privateKeys.get(sk, importPrivate), p.Npk),
    sign: async (sk, message) =>
      copyOut(nc.sign(null, view(message), privateKeys.get(sk, importPrivate))),
    verify: async (pk, message, signature) => {
      if (pk.length !== p.Npk || signature.length !== p.Nsig) return false;
      try {
        return nc.verify(null, view(message), publicKeys.get(pk, importPublic), view(signature));
      } catch {
        return false;
      }
    },
  };
}
