import type { HashName } from "../backend.js";
import type { Hash } from "../provider.js";
import { bs, subtle, u8, type WebCryptoKey } from "./subtle.js";

const SIZE: Readonly<Record<HashName, number>> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/**
 * An HMAC key for WebCrypto. WebCrypto refuses an empty HMAC key, which HPKE's LabeledExtract
 * uses (salt ""); HMAC pads every key shorter than the block with zeros (RFC 2104 §2), so the
 * empty key and a single zero byte are the same key.
 */
export function importHmacKey(name: HashName, key: Uint8Array): Promise<WebCryptoKey> {
  const k = key.length === 0 ? new Uint8Array(1) : key;
  return subtle().importKey("raw", bs(k), { name: "HMAC", hash: name }, false, ["sign"]);
}

export async function webHmac(name: HashName, key: Uint8Array, data: Uint8Array) {
  return u8(await subtle().sign("HMAC", await importHmacKey(name, key), bs(data)));
}

/** SHA-2 and HMAC (RFC 2104) with `crypto.subtle`. */
export function webHash(name: HashName): Hash {
  return {
    name,
    size: SIZE[name],
    digest: async (data) => u8(await subtle().digest(name, bs(data))),
    mac: (key, data) => webHmac(name, key, data),
  };
}

export { SIZE as WEB_HASH_SIZE };
