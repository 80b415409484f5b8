import { constantTimeEqual } from "../../util/bytes.js";

/**
 * Caches of imported WebCrypto keys, as ../node/keyCache.ts keeps OpenSSL's: an import is an
 * asynchronous call into the browser's crypto library, often dearer than the operation, and MLS
 * uses the same keys again and again (a member's signature key, the tree's leaf keys).
 *
 * - Public keys: a small LRU keyed by the key bytes (public data, so a string key is harmless).
 * - Private keys: a WeakMap keyed by the caller's Uint8Array, hit only while the array still
 *   holds the same bytes (constant-time compare); no secret becomes a string, entries die with
 *   the arrays. Private CryptoKeys are imported non-extractable.
 */

let enabled = true;

/** Turns the WebCrypto key caches on or off (for measuring what they are worth). */
export function setWebCryptoKeyCaching(on: boolean): void {
  enabled = on;
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096)
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 4096)));
  return s;
}

export class PublicKeyCache<V> {
  readonly #map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  async get(pk: Uint8Array, make: (pk: Uint8Array) => Promise<V>): Promise<V> {
    if (!enabled) return make(pk);
    const k = latin1(pk);
    const hit = this.#map.get(k);
    if (hit !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, hit);
      return hit;
    }
    const v = await make(pk);
    this.#map.set(k, v);
    if (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    return v;
  }
}

export class PrivateKeyCache<V> {
  readonly #map = new WeakMap<Uint8Array, { bytes: Uint8Array; value: V }>();

  async get(sk: Uint8Array, make: (sk: Uint8Array) => Promise<V>): Promise<V> {
    if (!enabled) return make(sk);
    const hit = this.#map.get(sk);
    if (hit !== undefined && constantTimeEqual(hit.bytes, sk)) return hit.value;
    const bytes = sk.slice();
    const value = await make(bytes);
    this.#map.set(sk, { bytes, value });
    return value;
  }
}
