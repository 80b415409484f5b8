import { CryptoError, UsageError } from "../../errors.js";
import type { Aead } from "../provider.js";
import { bs, subtle, u8 } from "./subtle.js";

const PARAMS = {
  "AES-128-GCM": { id: 0x0001, Nk: 16 },
  "AES-256-GCM": { id: 0x0002, Nk: 32 },
} as const;

const NN = 12;
const NT = 16;

/** AES-GCM (RFC 5116) with `crypto.subtle`; a 16-byte tag appended, as RFC 9180 has it. */
export function webAesGcm(name: "AES-128-GCM" | "AES-256-GCM"): Aead {
  const { id, Nk } = PARAMS[name];
  const importKey = (key: Uint8Array, nonce: Uint8Array, usage: "encrypt" | "decrypt") => {
    if (key.length !== Nk) throw new UsageError(`AEAD key must be ${Nk} bytes`);
    if (nonce.length !== NN) throw new UsageError(`AEAD nonce must be ${NN} bytes`);
    return subtle().importKey("raw", bs(key), "AES-GCM", false, [usage]);
  };
  const params = (nonce: Uint8Array, aad: Uint8Array) => ({
    name: "AES-GCM",
    iv: bs(nonce),
    additionalData: bs(aad),
    tagLength: 8 * NT,
  });
  return {
    id,
    Nk,
    Nn: NN,
    Nt: NT,
    seal: async (key, nonce, aad, plaintext) => {
      const k = await importKey(key, nonce, "encrypt");
      return u8(await subtle().encrypt(params(nonce, aad), k, bs(plaintext)));
    },
    open: async (key, nonce, aad, ciphertext) => {
      const k = await importKey(key, nonce, "decrypt");
      if (ciphertext.length < NT) throw new CryptoError("AEAD ciphertext shorter than its tag");
      try {
        return u8(await subtle().decrypt(params(nonce, aad), k, bs(ciphertext)));
      } catch {
        throw new CryptoError("AEAD authentication failed");
      }
    },
  };
}
