/** base64url without padding, as the API uses for binary fields; no `Buffer`, so the same code
 * runs in Node and in browsers. */
import { base64UrlDigit, toBase64Url } from "@hpqmls/mls-core";

export function b64(bytes: Uint8Array): string {
  return toBase64Url(bytes);
}

/**
 * Decodes base64url. Lenient as Node's `Buffer.from(s, "base64url")`, which this replaces: it also
 * takes the standard alphabet's `+` and `/`, skips whitespace, and stops at `=` or at any other
 * character outside the alphabet.
 */
export function unb64(s: string): Uint8Array {
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    const v = c === 43 ? 62 : c === 47 ? 63 : base64UrlDigit(c);
    if (v < 0) break;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.slice(0, o);
}
