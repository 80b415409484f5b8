/**
 * The slice of the Web Cryptography API (W3C WebCrypto, with the Secure Curves additions for
 * Ed25519 and X25519) that this backend uses, typed here so that mls-core needs neither the DOM
 * library nor Node's types for it. `globalThis.crypto.subtle` is present in browsers (secure
 * contexts only), in Node ≥ 19, Deno and Bun.
 */

import { base64UrlDigit } from "../../util/base64url.js";

/** A WebCrypto `CryptoKey`; opaque here. */
export interface WebCryptoKey {
  readonly type: string;
}

export interface WebCryptoKeyPair {
  readonly privateKey: WebCryptoKey;
  readonly publicKey: WebCryptoKey;
}

/** The members of a JSON Web Key this backend reads. */
export interface Jwk {
  readonly kty?: string;
  readonly crv?: string;
  readonly d?: string;
  readonly x?: string;
  readonly y?: string;
}

type Algorithm = string | { readonly name: string; readonly [k: string]: unknown };
type Bytes = Uint8Array<ArrayBuffer>;

export interface Subtle {
  digest(algorithm: Algorithm, data: Bytes): Promise<ArrayBuffer>;
  importKey(
    format: "raw" | "pkcs8" | "spki",
    keyData: Bytes,
    algorithm: Algorithm,
    extractable: boolean,
    usages: readonly string[],
  ): Promise<WebCryptoKey>;
  importKey(
    format: "jwk",
    keyData: Jwk,
    algorithm: Algorithm,
    extractable: boolean,
    usages: readonly string[],
  ): Promise<WebCryptoKey>;
  exportKey(format: "jwk", key: WebCryptoKey): Promise<Jwk>;
  exportKey(format: "raw" | "pkcs8" | "spki", key: WebCryptoKey): Promise<ArrayBuffer>;
  generateKey(
    algorithm: Algorithm,
    extractable: boolean,
    usages: readonly string[],
  ): Promise<WebCryptoKeyPair | WebCryptoKey>;
  sign(algorithm: Algorithm, key: WebCryptoKey, data: Bytes): Promise<ArrayBuffer>;
  verify(algorithm: Algorithm, key: WebCryptoKey, signature: Bytes, data: Bytes): Promise<boolean>;
  encrypt(algorithm: Algorithm, key: WebCryptoKey, data: Bytes): Promise<ArrayBuffer>;
  decrypt(algorithm: Algorithm, key: WebCryptoKey, data: Bytes): Promise<ArrayBuffer>;
  deriveBits(algorithm: Algorithm, baseKey: WebCryptoKey, length: number): Promise<ArrayBuffer>;
}

/** The platform's SubtleCrypto, or undefined (no WebCrypto, or a browser's insecure context). */
export function getSubtle(): Subtle | undefined {
  const c = (globalThis as { crypto?: { subtle?: unknown } }).crypto;
  return c?.subtle === undefined || c.subtle === null ? undefined : (c.subtle as Subtle);
}

/** The SubtleCrypto, for primitives that were only selected because it exists. */
export function subtle(): Subtle {
  const s = getSubtle();
  if (s === undefined) throw new TypeError("WebCrypto (crypto.subtle) is not available");
  return s;
}

/**
 * `u8` as WebCrypto takes it. The API copies its inputs, so no copy is made here; only a view
 * over a SharedArrayBuffer (which WebCrypto refuses) is copied.
 */
export function bs(u8: Uint8Array): Bytes {
  return u8.buffer instanceof ArrayBuffer ? (u8 as Bytes) : new Uint8Array(u8);
}

export function u8(b: ArrayBuffer): Uint8Array {
  return new Uint8Array(b);
}

/** Decodes a JWK member into exactly `size` bytes, left-padded (JWK keeps leading zeros). */
export function fromBase64Url(s: string | undefined, size: number): Uint8Array {
  if (s === undefined) throw new TypeError("JWK member missing");
  if (s.length % 4 === 1) throw new TypeError("bad base64url");
  const raw = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = base64UrlDigit(c);
    if (v < 0) throw new TypeError("bad base64url");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw[o++] = (acc >> bits) & 0xff;
    }
  }
  if (o > size) throw new TypeError("JWK member too long");
  const out = new Uint8Array(size);
  out.set(raw.subarray(0, o), size - o);
  raw.fill(0);
  return out;
}
