import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { CryptoError, UsageError } from "../../errors.js";
import type { AeadName } from "../backend.js";
import type { Aead } from "../provider.js";

const PARAMS = {
  "AES-128-GCM": { id: 0x0001, Nk: 16, cipher: gcm },
  "AES-256-GCM": { id: 0x0002, Nk: 32, cipher: gcm },
  ChaCha20Poly1305: { id: 0x0003, Nk: 32, cipher: chacha20poly1305 },
} as const;

const NN = 12;
const NT = 16;

/** AES-GCM and ChaCha20-Poly1305 in pure JS (@noble/ciphers). */
export function nobleAead(name: AeadName): Aead {
  const { id, Nk, cipher } = PARAMS[name];
  const check = (key: Uint8Array, nonce: Uint8Array) => {
    if (key.length !== Nk) throw new UsageError(`AEAD key must be ${Nk} bytes`);
    if (nonce.length !== NN) throw new UsageError(`AEAD nonce must be ${NN} bytes`);
  };
  return {
    id,
    Nk,
    Nn: NN,
    Nt: NT,
    seal: async (key, nonce, aad, plaintext) => {
      check(key, nonce);
      return cipher(key, nonce, aad).encrypt(plaintext);
    },
    open: async (key, nonce, aad, ciphertext) => {
      check(key, nonce);
      if (ciphertext.length < NT) throw new CryptoError("AEAD ciphertext shorter than its tag");
      try {
        return cipher(key, nonce, aad).decrypt(ciphertext);
      } catch {
        throw new CryptoError("AEAD authentication failed");
      }
    },
  };
}
