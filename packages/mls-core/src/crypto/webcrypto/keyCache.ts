import * as caches from "../keyCaches.js";

/**
 * The CryptoKey caches (../keyCaches.ts): an import is an asynchronous call into the browser's
 * crypto library, often dearer than the operation. The caches hold the import's promise, so
 * concurrent users of one key share one import. Private CryptoKeys are imported non-extractable.
 */
const caching: caches.CacheSwitch = { enabled: true };

/** Turns the WebCrypto key caches on or off (for measuring what they are worth). */
export function setWebCryptoKeyCaching(on: boolean): void {
  caching.enabled = on;
}

export class PublicKeyCache<V> {
  readonly #inner: caches.PublicKeyCache<Promise<V>>;
  constructor(capacity: number) {
    this.#inner = new caches.PublicKeyCache(capacity, caching);
  }
  get(pk: Uint8Array, make: (pk: Uint8Array) => Promise<V>): Promise<V> {
    return this.#inner.get(pk, make);
  }
}

export class PrivateKeyCache<V> {
  readonly #inner = new caches.PrivateKeyCache<Promise<V>>(caching);
  get(sk: Uint8Array, make: (sk: Uint8Array) => Promise<V>): Promise<V> {
    return this.#inner.get(sk, make);
  }
}
