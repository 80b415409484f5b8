import { expand, extract } from "@noble/hashes/hkdf.js";
import { UsageError } from "../../errors.js";
import type { HashName } from "../backend.js";
import type { Kdf } from "../provider.js";
import { NOBLE_HASH } from "./hash.js";

const HKDF_ID: Readonly<Record<HashName, number>> = {
  "SHA-256": 0x0001,
  "SHA-384": 0x0002,
  "SHA-512": 0x0003,
};

/** HKDF (RFC 5869) in pure JS (@noble/hashes). */
export function nobleHkdf(name: HashName): Kdf {
  const h = NOBLE_HASH[name];
  const Nh = h.outputLen;
  return {
    id: HKDF_ID[name],
    Nh,
    extract: async (salt, ikm) => extract(h, ikm, salt),
    expand: async (prk, info, length) => {
      if (!Number.isInteger(length) || length < 0 || length > 255 * Nh)
        throw new UsageError(`HKDF-Expand length ${length} out of range`);
      if (length === 0) return new Uint8Array(0);
      return expand(h, prk, info, length);
    },
  };
}
