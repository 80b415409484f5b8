import { type CryptoBackend, memoize } from "../backend.js";
import { nodeAead } from "./aead.js";
import { nodeEcdh } from "./ecdh.js";
import { nodeEcdsa } from "./ecdsa.js";
import { nodeEddsa } from "./eddsa.js";
import { nodeHash } from "./hash.js";
import { nodeHkdf } from "./hkdf.js";
import { nodeMontgomery } from "./montgomery.js";
import { nodeRandomBytes } from "./random.js";

export { setNodeKeyCaching } from "./keyCache.js";

/** The primitives on Node's built-in `node:crypto` (OpenSSL). Instances are built on demand. */
export const nodeBackend: CryptoBackend = {
  name: "node",
  hash: memoize(nodeHash),
  kdf: memoize(nodeHkdf),
  aead: memoize(nodeAead),
  // One instance per algorithm, so suites that share a primitive share its key caches.
  dh: memoize((name) =>
    name === "X25519" || name === "X448" ? nodeMontgomery(name) : nodeEcdh(name),
  ),
  signature: memoize((name) => {
    switch (name) {
      case "Ed25519":
      case "Ed448":
        return nodeEddsa(name);
      case "ECDSA-P256-SHA256":
        return nodeEcdsa("P-256");
      case "ECDSA-P384-SHA384":
        return nodeEcdsa("P-384");
      case "ECDSA-P521-SHA512":
        return nodeEcdsa("P-521");
    }
  }),
  randomBytes: nodeRandomBytes,
};
