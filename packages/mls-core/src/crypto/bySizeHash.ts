import type { Hash } from "./provider.js";

/**
 * A hash that takes `small` for inputs shorter than `threshold` bytes and `large` from there on:
 * in a browser, noble's synchronous SHA-2 beats a `crypto.subtle` call on the short inputs of
 * the key schedule and secret tree, and WebCrypto wins by 2–13× from a few hundred bytes (tree
 * hashes over post-quantum keys, transcript hashes over commits). Both compute the same function,
 * so the choice per call changes nothing but time.
 */
export function bySizeHash(small: Hash, large: Hash, threshold: number): Hash {
  return {
    name: small.name,
    size: small.size,
    digest: (data) => (data.length >= threshold ? large.digest(data) : small.digest(data)),
    mac: (key, data) => (data.length >= threshold ? large.mac(key, data) : small.mac(key, data)),
  };
}
