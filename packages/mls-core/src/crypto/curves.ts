import { CryptoError } from "../errors.js";
import { fromHex } from "../util/bytes.js";

/**
 * Public constants of the NIST prime curves (FIPS 186-5 / SEC 2) that the backends and DHKEM
 * need without curve arithmetic: the size of a scalar and the group order n, big-endian.
 */
export type NistCurve = "P-256" | "P-384" | "P-521";

export interface NistCurveInfo {
  /** Bytes of a scalar and of a field element (Nsk, Ndh). */
  readonly size: number;
  /** The group order n, big-endian, `size` bytes. */
  readonly order: Uint8Array;
}

export const NIST_CURVES: Readonly<Record<NistCurve, NistCurveInfo>> = {
  "P-256": {
    size: 32,
    order: fromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
  },
  "P-384": {
    size: 48,
    order: fromHex(
      "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf" +
        "581a0db248b0a77aecec196accc52973",
    ),
  },
  "P-521": {
    size: 66,
    order: fromHex(
      "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
        "fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e9138" +
        "6409",
    ),
  },
};

/** True iff the big-endian `scalar` (exactly `size` bytes) lies in [1, n-1]. */
export function isScalarInRange(curve: NistCurveInfo, scalar: Uint8Array): boolean {
  if (scalar.length !== curve.size) return false;
  let nonZero = 0;
  for (const b of scalar) nonZero |= b;
  if (nonZero === 0) return false;
  // Lexicographic comparison of equal-length big-endian strings is numeric comparison.
  for (let i = 0; i < scalar.length; i++) {
    const d = scalar[i]! - curve.order[i]!;
    if (d !== 0) return d < 0;
  }
  return false;
}

/**
 * A private scalar in canonical form: exactly `size` bytes and in [1, n-1]. Shorter inputs are
 * left-padded, since some published vectors drop a leading zero byte (66-byte P-521 keys given as
 * 65). Throws `CryptoError` for anything else.
 */
export function normalizeScalar(curve: NistCurveInfo, scalar: Uint8Array): Uint8Array {
  let s = scalar;
  if (s.length < curve.size && s.length > 0) {
    s = new Uint8Array(curve.size);
    s.set(scalar, curve.size - scalar.length);
  }
  if (!isScalarInRange(curve, s)) throw new CryptoError("invalid private key");
  return s;
}

/** Checks the SEC1 uncompressed form 0x04 || X || Y (RFC 9180 §7.1.1); not the curve equation. */
export function isUncompressedPointEncoding(curve: NistCurveInfo, point: Uint8Array): boolean {
  return point.length === 1 + 2 * curve.size && point[0] === 0x04;
}
