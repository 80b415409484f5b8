import { constantTimeEqual } from "../../util/bytes.js";
import { view } from "./buffers.js";

/**
 * Caches of OpenSSL key objects. Turning raw key bytes into a `KeyObject` is often dearer than the
 * operation itself (importing a P-384 public key checks n·Q = O, ~0.66 ms, more than an ECDSA
 * verify), and MLS uses the same keys again and again: a member's signature key for every message,
 * the leaf keys of the tree for every commit. Measured effects are in ../README.md.
 *
 * - Public keys: a small LRU keyed by the key bytes (public data, so a string key is harmless).
 * - Private keys: a WeakMap keyed by the caller's Uint8Array, so no secret becomes a string and an
 *   entry dies with the array. A hit is only taken if the array still holds the same bytes
 *   (compared in constant time), so reusing or wiping the array is safe.
 */

let enabled = true;

/** Turns the caches on or off (for measuring what they are worth). */
export function setNodeKeyCaching(on: boolean): void {
  enabled = on;
}

export class PublicKeyCache<V> {
  readonly #map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(pk: Uint8Array, make: (pk: Uint8Array) => V): V {
    if (!enabled) return make(pk);
    const k = view(pk).toString("latin1");
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

  get(sk: Uint8Array, make: (sk: Uint8Array) => V): V {
    if (!enabled) return make(sk);
    const hit = this.#map.get(sk);
    if (hit !== undefined && constantTimeEqual(hit.bytes, sk)) return hit.value;
    const value = make(sk);
    this.#map.set(sk, { bytes: sk.slice(), value });
    return value;
  }
}
