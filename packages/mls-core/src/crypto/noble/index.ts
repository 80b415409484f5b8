import { type CryptoBackend, memoize } from "../backend.js";
import { nobleAead } from "./aead.js";
import { nobleDh } from "./dh.js";
import { nobleHash } from "./hash.js";
import { nobleHkdf } from "./hkdf.js";
import { webRandomBytes } from "./random.js";
import { nobleSignature } from "./signature.js";

/** The pure-JS primitives (@noble/hashes, @noble/curves, @noble/ciphers); runs anywhere. */
export const nobleBackend: CryptoBackend = {
  name: "js",
  hash: memoize(nobleHash),
  kdf: memoize(nobleHkdf),
  aead: memoize(nobleAead),
  dh: memoize(nobleDh),
  signature: memoize(nobleSignature),
  randomBytes: webRandomBytes,
};
