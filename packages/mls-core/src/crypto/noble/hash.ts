import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import type { HashName } from "../backend.js";
import type { Hash } from "../provider.js";

export const NOBLE_HASH = { "SHA-256": sha256, "SHA-384": sha384, "SHA-512": sha512 } as const;

/** SHA-2 and HMAC (RFC 2104) in pure JS (@noble/hashes). */
export function nobleHash(name: HashName): Hash {
  const h = NOBLE_HASH[name];
  return {
    name,
    size: h.outputLen,
    digest: async (data) => h(data),
    mac: async (key, data) => hmac(h, key, data),
  };
}
