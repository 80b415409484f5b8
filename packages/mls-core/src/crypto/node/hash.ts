import * as nc from "node:crypto";
import type { HashName } from "../backend.js";
import type { Hash } from "../provider.js";
import { copyOut, view } from "./buffers.js";

/** OpenSSL's names for the SHA-2 functions, and their output sizes in bytes. */
export const NODE_HASH: Readonly<Record<HashName, { alg: string; size: number }>> = {
  "SHA-256": { alg: "sha256", size: 32 },
  "SHA-384": { alg: "sha384", size: 48 },
  "SHA-512": { alg: "sha512", size: 64 },
};

// One-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object: about 2.3 µs instead of 3.0 µs for
// SHA-256 of 32 bytes on the reference machine. Older runtimes fall back to createHash.
const oneShot = typeof nc.hash === "function" ? nc.hash : undefined;

/** SHA-2 and HMAC (RFC 2104) with OpenSSL. */
export function nodeHash(name: HashName): Hash {
  const { alg, size } = NODE_HASH[name];
  return {
    name,
    size,
    digest: async (data) =>
      copyOut(
        oneShot !== undefined
          ? oneShot(alg, view(data), "buffer")
          : nc.createHash(alg).update(view(data)).digest(),
      ),
    mac: async (key, data) => copyOut(nc.createHmac(alg, view(key)).update(view(data)).digest()),
  };
}
