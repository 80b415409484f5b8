import { concat } from "../../util/bytes.js";

/**
 * The DER forms this backend builds or reads by hand: PKCS#8 wrappers for raw private keys (for
 * importing a key from its scalar or seed alone, which the "raw" format does not allow for
 * private keys) and ECDSA-Sig-Value (RFC 9420 §5.1.2 signs in DER; WebCrypto uses r || s).
 */

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  if (n < 0x80) return concat(Uint8Array.of(tag, n), body);
  if (n < 0x100) return concat(Uint8Array.of(tag, 0x81, n), body);
  return concat(Uint8Array.of(tag, 0x82, n >> 8, n & 0xff), body);
}

const hexBytes = (h: string) =>
  Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

/** PKCS#8 for X25519 / Ed25519 (RFC 8410): a fixed 16-byte prefix, then the 32-byte key. */
const OKP_PREFIX = {
  X25519: hexBytes("302e020100300506032b656e04220420"),
  Ed25519: hexBytes("302e020100300506032b657004220420"),
} as const;

export function okpPkcs8(curve: "X25519" | "Ed25519", key: Uint8Array): Uint8Array {
  return concat(OKP_PREFIX[curve], key);
}

/** AlgorithmIdentifier { id-ecPublicKey, namedCurve } (RFC 5480). */
const EC_ALGORITHM = {
  "P-256": hexBytes("301306072a8648ce3d020106082a8648ce3d030107"),
  "P-384": hexBytes("301006072a8648ce3d020106052b81040022"),
  "P-521": hexBytes("301006072a8648ce3d020106052b81040023"),
} as const;

/**
 * PKCS#8 around ECPrivateKey { version 1, privateKey } (RFC 5915) without the optional public
 * key: the implementation computes Q itself while importing.
 */
export function ecPkcs8(curve: "P-256" | "P-384" | "P-521", d: Uint8Array): Uint8Array {
  const ecPrivateKey = tlv(0x30, concat(hexBytes("020101"), tlv(0x04, d)));
  return tlv(0x30, concat(hexBytes("020100"), EC_ALGORITHM[curve], tlv(0x04, ecPrivateKey)));
}

/** One DER INTEGER for the unsigned big-endian `v`, minimally encoded. */
function derUint(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  return tlv(0x02, body[0]! & 0x80 ? concat(Uint8Array.of(0), body) : body);
}

/** ECDSA-Sig-Value from WebCrypto's r || s. */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  const n = sig.length / 2;
  return tlv(0x30, concat(derUint(sig.subarray(0, n)), derUint(sig.subarray(n))));
}

/** Reads a DER length at `p`; returns [length, next offset] or undefined if not minimal DER. */
function readLength(b: Uint8Array, p: number): [number, number] | undefined {
  const first = b[p];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, p + 1];
  if (first === 0x81) {
    const n = b[p + 1];
    return n === undefined || n < 0x80 ? undefined : [n, p + 2];
  }
  return undefined; // signatures of these curves are under 256 bytes
}

/**
 * r || s (each `size` bytes) from a strict DER ECDSA-Sig-Value, or undefined if the encoding is
 * not DER (extra bytes, non-minimal integers, negative values) or r or s does not fit in `size`.
 * Range checks against n are left to the verifier.
 */
export function derToP1363(der: Uint8Array, size: number): Uint8Array | undefined {
  if (der[0] !== 0x30) return undefined;
  const seq = readLength(der, 1);
  if (seq === undefined || seq[1] + seq[0] !== der.length) return undefined;
  const out = new Uint8Array(2 * size);
  let p = seq[1];
  for (let k = 0; k < 2; k++) {
    if (der[p] !== 0x02) return undefined;
    const len = readLength(der, p + 1);
    if (len === undefined || len[0] === 0 || len[1] + len[0] > der.length) return undefined;
    let body = der.subarray(len[1], len[1] + len[0]);
    if (body[0]! & 0x80) return undefined; // negative
    if (body.length > 1 && body[0] === 0 && !(body[1]! & 0x80)) return undefined; // not minimal
    if (body[0] === 0 && body.length > 1) body = body.subarray(1);
    if (body.length > size) return undefined;
    out.set(body, (k + 1) * size - body.length);
    p = len[1] + len[0];
  }
  return p === der.length ? out : undefined;
}
