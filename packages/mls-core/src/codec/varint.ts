import { CodecError } from "../errors.js";

/**
 * Variable-size vector length headers, RFC 9420 §2.1.2: a QUIC-style varint (RFC 9000 §16) of
 * 1, 2 or 4 bytes that MUST use the smallest encoding; prefix 0b11 is invalid.
 */

/** Largest length a variable-size header can carry (2^30 - 1). */
export const MAX_VARINT = 0x3fffffff;

export function varintSize(v: number): 1 | 2 | 4 {
  if (v < 0x40) return 1;
  if (v < 0x4000) return 2;
  if (v <= MAX_VARINT) return 4;
  throw new CodecError(`vector length ${v} exceeds the RFC 9420 §2.1.2 maximum of 2^30 - 1 bytes`);
}

/** Decodes a varint at `pos`; returns [value, bytes consumed]. Enforces minimal encoding. */
export function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  if (pos >= end) throw new CodecError("truncated input: expected a vector length");
  const first = buf[pos]!;
  const prefix = first >> 6;
  if (prefix === 3) throw new CodecError("invalid vector length prefix 0b11 (RFC 9420 §2.1.2)");
  const len = 1 << prefix;
  if (pos + len > end) throw new CodecError("truncated input: vector length header is cut off");
  let v = first & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + buf[pos + i]!;
  if (prefix === 1 && v < 0x40) throw new CodecError("non-minimal vector length (RFC 9420 §2.1.2)");
  if (prefix === 2 && v < 0x4000)
    throw new CodecError("non-minimal vector length (RFC 9420 §2.1.2)");
  return [v, len];
}
