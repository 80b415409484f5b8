import { constantTimeEqual } from "../util/bytes.js";

/**
 * Caches of imported keys, for the backends whose key import is dear (OpenSSL KeyObjects in
 * ./node/, CryptoKeys in ./webcrypto/): MLS uses the same keys again and again, a member's
 * signature key for every message, the tree's leaf keys for every commit. Measured effects are
 * in ./README.md. Values may be promises (WebCrypto): concurrent users of a key share one import.
 *
 * - Public keys: a small LRU keyed by the key bytes (public data, so a string key is harmless).
 * - Private keys: a WeakMap keyed by the caller's Uint8Array, so no secret becomes a string and
 *   an entry dies with the array. A hit is only taken if the array still holds the same bytes
 *   (compared in constant time), so reusing or wiping the array is safe.
 */

/** Whether a backend's caches are on (a backend turns them off to measure their worth). */
export interface CacheSwitch {
  enabled: boolean;
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096)
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 4096)));
  return s;
}

export class PublicKeyCache<V> {
  readonly #map = new Map<string, V>();
  constructor(
    private readonly capacity: number,
    private readonly on: CacheSwitch,
    /** The map key of a public key (a backend may have a faster one than `latin1`). */
    private readonly keyOf: (pk: Uint8Array) => string = latin1,
  ) {}

  get(pk: Uint8Array, make: (pk: Uint8Array) => V): V {
    if (!this.on.enabled) return make(pk);
    const k = this.keyOf(pk);
    const hit = this.#map.get(k);
    if (hit !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, hit);
      return hit;
    }
    const v = make(pk);
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
  constructor(private readonly on: CacheSwitch) {}

  get(sk: Uint8Array, make: (sk: Uint8Array) => V): V {
    if (!this.on.enabled) return make(sk);
    const hit = this.#map.get(sk);
    if (hit !== undefined && constantTimeEqual(hit.bytes, sk)) return hit.value;
    const bytes = sk.slice();
    const value = make(bytes);
    this.#map.set(sk, { bytes, value });
    return value;
  }
}
