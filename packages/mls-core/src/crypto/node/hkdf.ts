import * as nc from "node:crypto";
import { UsageError } from "../../errors.js";
import type { HashName } from "../backend.js";
import type { Kdf } from "../provider.js";
import { copyOut, view } from "./buffers.js";
import { NODE_HASH } from "./hash.js";

/** HPKE KDF identifiers (RFC 9180 §7.2). */
export const HKDF_ID: Readonly<Record<HashName, number>> = {
  "SHA-256": 0x0001,
  "SHA-384": 0x0002,
  "SHA-512": 0x0003,
};

/**
 * HKDF (RFC 5869) on OpenSSL's HMAC. `crypto.hkdfSync` only offers Extract-then-Expand, while HPKE
 * and MLS call Expand on their own PRKs, so both steps are written on `createHmac`; Extract is a
 * single HMAC (an empty salt is HMAC's zero key, the same as HashLen zero bytes).
 */
export function nodeHkdf(name: HashName): Kdf {
  const { alg, size } = NODE_HASH[name];
  const counter = new Uint8Array(1);
  return {
    id: HKDF_ID[name],
    Nh: size,
    extract: async (salt, ikm) =>
      copyOut(nc.createHmac(alg, view(salt)).update(view(ikm)).digest()),
    expand: async (prk, info, length) => {
      if (!Number.isInteger(length) || length < 0 || length > 255 * size)
        throw new UsageError(`HKDF-Expand length ${length} out of range`);
      const out = new Uint8Array(length);
      const key = view(prk);
      let t: Uint8Array = new Uint8Array(0);
      for (let i = 1, off = 0; off < length; i++) {
        counter[0] = i;
        t = nc.createHmac(alg, key).update(t).update(view(info)).update(counter).digest();
        out.set(t.subarray(0, Math.min(size, length - off)), off);
        off += size;
      }
      return out;
    },
  };
}
