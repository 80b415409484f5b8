import { UsageError } from "../../errors.js";
import type { HashName } from "../backend.js";
import type { Kdf } from "../provider.js";
import { importHmacKey, WEB_HASH_SIZE, webHmac } from "./hash.js";
import { bs, subtle, u8 } from "./subtle.js";

const HKDF_ID: Readonly<Record<HashName, number>> = {
  "SHA-256": 0x0001,
  "SHA-384": 0x0002,
  "SHA-512": 0x0003,
};

/**
 * HKDF (RFC 5869) on WebCrypto's HMAC. WebCrypto's own HKDF only does Extract-then-Expand, and
 * HPKE and MLS call Expand on their own PRKs, so both steps are HMACs: Extract one, Expand one per
 * output block with the PRK imported once.
 */
export function webHkdf(name: HashName): Kdf {
  const size = WEB_HASH_SIZE[name];
  return {
    id: HKDF_ID[name],
    Nh: size,
    extract: (salt, ikm) => webHmac(name, salt, ikm),
    expand: async (prk, info, length) => {
      if (!Number.isInteger(length) || length < 0 || length > 255 * size)
        throw new UsageError(`HKDF-Expand length ${length} out of range`);
      const out = new Uint8Array(length);
      if (length === 0) return out;
      const key = await importHmacKey(name, prk);
      const block = new Uint8Array(size + info.length + 1);
      block.set(info, size);
      let t: Uint8Array = new Uint8Array(0);
      for (let i = 1, off = 0; off < length; i++, off += size) {
        // T(i) = HMAC(PRK, T(i-1) || info || i)
        const input = i === 1 ? block.subarray(size) : block;
        if (i > 1) block.set(t, 0);
        block[block.length - 1] = i;
        t = u8(await subtle().sign("HMAC", key, bs(input)));
        out.set(t.subarray(0, Math.min(size, length - off)), off);
      }
      block.fill(0);
      t.fill(0);
      return out;
    },
  };
}
