/** base64url without padding, as the API uses for binary fields. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

export function unb64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "base64url"));
}
