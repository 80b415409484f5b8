import * as nc from "node:crypto";
import { CryptoError, UsageError } from "../../errors.js";
import type { AeadName } from "../backend.js";
import type { Aead } from "../provider.js";
import { view } from "./buffers.js";

/** HPKE AEAD identifiers and sizes (RFC 9180 §7.3); the tag is always 16 bytes. */
export const AEAD_PARAMS: Readonly<Record<AeadName, { id: number; Nk: number }>> = {
  "AES-128-GCM": { id: 0x0001, Nk: 16 },
  "AES-256-GCM": { id: 0x0002, Nk: 32 },
  ChaCha20Poly1305: { id: 0x0003, Nk: 32 },
};

const CIPHER: Readonly<Record<AeadName, nc.CipherGCMTypes | nc.CipherChaCha20Poly1305Types>> = {
  "AES-128-GCM": "aes-128-gcm",
  "AES-256-GCM": "aes-256-gcm",
  ChaCha20Poly1305: "chacha20-poly1305",
};

const NN = 12;
const NT = 16;

export function checkAeadArgs(Nk: number, key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== Nk) throw new UsageError(`AEAD key must be ${Nk} bytes`);
  if (nonce.length !== NN) throw new UsageError(`AEAD nonce must be ${NN} bytes`);
}

/** AES-GCM and ChaCha20-Poly1305 (RFC 5116 / RFC 8439) with OpenSSL. */
export function nodeAead(name: AeadName): Aead {
  const { id, Nk } = AEAD_PARAMS[name];
  const alg = CIPHER[name];
  const opts = { authTagLength: NT } as const;
  return {
    id,
    Nk,
    Nn: NN,
    Nt: NT,
    seal: async (key, nonce, aad, plaintext) => {
      checkAeadArgs(Nk, key, nonce);
      // The union of the GCM and ChaCha20-Poly1305 overloads; both take the same options.
      const c = nc.createCipheriv(alg as nc.CipherGCMTypes, view(key), view(nonce), opts);
      c.setAAD(view(aad));
      const out = new Uint8Array(plaintext.length + NT);
      const body = c.update(view(plaintext));
      out.set(body, 0);
      const tail = c.final();
      out.set(tail, body.length);
      out.set(c.getAuthTag(), body.length + tail.length);
      return out;
    },
    open: async (key, nonce, aad, ciphertext) => {
      checkAeadArgs(Nk, key, nonce);
      if (ciphertext.length < NT) throw new CryptoError("AEAD ciphertext shorter than its tag");
      const split = ciphertext.length - NT;
      const d = nc.createDecipheriv(alg as nc.CipherGCMTypes, view(key), view(nonce), opts);
      d.setAAD(view(aad));
      d.setAuthTag(view(ciphertext.subarray(split)));
      const out = new Uint8Array(split);
      const body = d.update(view(ciphertext.subarray(0, split)));
      out.set(body, 0);
      try {
        out.set(d.final(), body.length);
      } catch {
        out.fill(0);
        throw new CryptoError("AEAD authentication failed");
      }
      return out;
    },
  };
}
