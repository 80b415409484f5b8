import { badRequest } from "./errors.js";

/** base64url without padding, as the API uses for binary fields. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url decoding (no padding, no foreign characters); throws a 400 ApiError. */
export function unb64(s: string, field: string): Uint8Array {
  if (!B64URL.test(s) || s.length % 4 === 1)
    throw badRequest("invalid_base64", `${field} is not base64url without padding`);
  return new Uint8Array(Buffer.from(s, "base64url"));
}

export function isB64url(s: string): boolean {
  return B64URL.test(s) && s.length % 4 !== 1;
}
