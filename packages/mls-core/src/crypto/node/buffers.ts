import { Buffer } from "node:buffer";

/** A Buffer over the same memory as `u8`, for passing bytes into `node:crypto` without copying. */
export function view(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/**
 * A plain Uint8Array copy of a Buffer that `node:crypto` returned. Small Buffers share a pooled
 * ArrayBuffer, so results (often secrets) are copied out rather than handed on as views.
 */
export function copyOut(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

export function toBase64Url(u8: Uint8Array): string {
  return view(u8).toString("base64url");
}

/** Decodes a JWK coordinate, left-padding to `size` bytes (JWK omits no zeros, but be safe). */
export function fromBase64Url(s: string | undefined, size: number): Uint8Array {
  if (s === undefined) throw new TypeError("JWK member missing");
  const raw = Buffer.from(s, "base64url");
  if (raw.length > size) throw new TypeError("JWK member too long");
  const out = new Uint8Array(size);
  out.set(raw, size - raw.length);
  return out;
}
