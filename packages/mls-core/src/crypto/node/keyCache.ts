import * as caches from "../keyCaches.js";
import { view } from "./buffers.js";

/**
 * The OpenSSL KeyObject caches (../keyCaches.ts). Turning raw key bytes into a `KeyObject` is
 * often dearer than the operation itself (importing a P-384 public key checks n·Q = O, ~0.66 ms,
 * more than an ECDSA verify).
 */
const caching: caches.CacheSwitch = { enabled: true };

/** Turns the caches on or off (for measuring what they are worth). */
export function setNodeKeyCaching(on: boolean): void {
  caching.enabled = on;
}

export class PublicKeyCache<V> extends caches.PublicKeyCache<V> {
  constructor(capacity: number) {
    super(capacity, caching, (pk) => view(pk).toString("latin1"));
  }
}

export class PrivateKeyCache<V> extends caches.PrivateKeyCache<V> {
  constructor() {
    super(caching);
  }
}
