/**
 * Key-format quirks of the official vectors: some suite 5 (P-521) private keys are 65 bytes
 * because a leading zero was dropped; they are left-padded to the field size here.
 */
const SCALAR_SIZE: Record<number, number> = { 2: 32, 5: 66, 7: 48 };

export function signaturePrivateKey(suite: number, key: Uint8Array): Uint8Array {
  return padScalar(suite, key);
}

export function hpkePrivateKey(suite: number, key: Uint8Array): Uint8Array {
  return padScalar(suite, key);
}

function padScalar(suite: number, key: Uint8Array): Uint8Array {
  const size = SCALAR_SIZE[suite];
  if (size === undefined || key.length >= size) return key;
  const out = new Uint8Array(size);
  out.set(key, size - key.length);
  return out;
}
