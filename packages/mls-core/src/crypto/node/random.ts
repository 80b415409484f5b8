import * as nc from "node:crypto";

/** Cryptographically secure random bytes from OpenSSL's CSPRNG, in a fresh (unpooled) array. */
export function nodeRandomBytes(length: number): Uint8Array {
  return nc.randomFillSync(new Uint8Array(length));
}
