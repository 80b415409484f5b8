import { Buffer } from "node:buffer";
import * as nc from "node:crypto";
import { NIST_CURVES, type NistCurve } from "../curves.js";
import { fromBase64Url, toBase64Url, view } from "./buffers.js";

/**
 * Raw key bytes ↔ OpenSSL KeyObjects. On Node 20 (OpenSSL 3.0) the DER decoders are slow: a
 * PKCS#8 X25519 private key takes ~1.2 ms to import and an SPKI public key ~0.25 ms, against
 * ~0.08 ms and ~0.013 ms through JWK, which goes straight to the raw-key constructors. So keys
 * travel as JWK, except EC private keys whose public point is unknown: those use a SEC1
 * ECPrivateKey without the optional public key, and OpenSSL computes the point while decoding.
 */

export type OkpCurve = "X25519" | "X448" | "Ed25519" | "Ed448";

/**
 * An OKP private key from its raw form (RFC 8037). Node builds it from `d` alone and derives the
 * public key itself; `x` must be present as a string but is not used, so it is left empty rather
 * than computed. (Should a later Node check `x`, this fails loudly, never silently.)
 */
export function okpPrivateKey(crv: OkpCurve, sk: Uint8Array): nc.KeyObject {
  return nc.createPrivateKey({
    key: { kty: "OKP", crv, d: toBase64Url(sk), x: "" },
    format: "jwk",
  });
}

export function okpPublicKey(crv: OkpCurve, pk: Uint8Array): nc.KeyObject {
  return nc.createPublicKey({ key: { kty: "OKP", crv, x: toBase64Url(pk) }, format: "jwk" });
}

/** The raw public key of an OKP KeyObject (private or public). */
export function okpRawPublic(key: nc.KeyObject, size: number): Uint8Array {
  return fromBase64Url(key.export({ format: "jwk" }).x, size);
}

export function okpRawPrivate(key: nc.KeyObject, size: number): Uint8Array {
  return fromBase64Url(key.export({ format: "jwk" }).d, size);
}

/** OpenSSL's curve names, for `createECDH` and key generation. */
export const OPENSSL_CURVE: Readonly<Record<NistCurve, string>> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};

const CURVE_OID: Readonly<Record<NistCurve, string>> = {
  "P-256": "06082a8648ce3d030107", // 1.2.840.10045.3.1.7
  "P-384": "06052b81040022", // 1.3.132.0.34
  "P-521": "06052b81040023", // 1.3.132.0.35
};

/** DER around the scalar: ECPrivateKey { version 1, privateKey, [0] parameters } (RFC 5915). */
const SEC1_FRAME = Object.fromEntries(
  (Object.keys(CURVE_OID) as NistCurve[]).map((c) => {
    const size = NIST_CURVES[c].size;
    const oid = Buffer.from(CURVE_OID[c], "hex");
    const params = Buffer.concat([Buffer.from([0xa0, oid.length]), oid]);
    const bodyLen = 3 + 2 + size + params.length; // all three curves stay under 128 bytes
    const head = Buffer.from([0x30, bodyLen, 0x02, 0x01, 0x01, 0x04, size]);
    return [c, { head, params }];
  }),
) as Record<NistCurve, { head: Buffer; params: Buffer }>;

/** An EC private key from its scalar alone (exactly the curve's size); OpenSSL derives Q. */
export function ecPrivateKeyFromScalar(curve: NistCurve, d: Uint8Array): nc.KeyObject {
  const { head, params } = SEC1_FRAME[curve];
  const der = Buffer.concat([head, view(d), params]);
  try {
    return nc.createPrivateKey({ key: der, format: "der", type: "sec1" });
  } finally {
    der.fill(0);
  }
}

/** An EC private key from its scalar and its (trusted) public point. */
export function ecPrivateKeyWithPublic(
  curve: NistCurve,
  d: Uint8Array,
  pk: Uint8Array,
): nc.KeyObject {
  const n = NIST_CURVES[curve].size;
  return nc.createPrivateKey({
    key: {
      kty: "EC",
      crv: curve,
      d: toBase64Url(d),
      x: toBase64Url(pk.subarray(1, 1 + n)),
      y: toBase64Url(pk.subarray(1 + n)),
    },
    format: "jwk",
  });
}

/** An EC public key from 0x04 || X || Y; OpenSSL checks the point is on the curve. */
export function ecPublicKey(curve: NistCurve, pk: Uint8Array): nc.KeyObject {
  const n = NIST_CURVES[curve].size;
  return nc.createPublicKey({
    key: {
      kty: "EC",
      crv: curve,
      x: toBase64Url(pk.subarray(1, 1 + n)),
      y: toBase64Url(pk.subarray(1 + n)),
    },
    format: "jwk",
  });
}

/** 0x04 || X || Y of an EC KeyObject, from its JWK form. */
export function ecRawPublic(curve: NistCurve, key: nc.KeyObject): Uint8Array {
  const n = NIST_CURVES[curve].size;
  const jwk = key.export({ format: "jwk" });
  const out = new Uint8Array(1 + 2 * n);
  out[0] = 0x04;
  out.set(fromBase64Url(jwk.x, n), 1);
  out.set(fromBase64Url(jwk.y, n), 1 + n);
  return out;
}

export function ecRawPrivate(curve: NistCurve, key: nc.KeyObject): Uint8Array {
  return fromBase64Url(key.export({ format: "jwk" }).d, NIST_CURVES[curve].size);
}

/** A fresh OKP key pair; the private KeyObject also yields the public key. */
export function generateOkpKeyPair(crv: OkpCurve): {
  privateKey: nc.KeyObject;
  publicKey: nc.KeyObject;
} {
  // One overload per literal type; they all return KeyObjects.
  return nc.generateKeyPairSync(crv.toLowerCase() as "ed25519");
}
