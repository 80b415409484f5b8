import { getCipherSuite, type KeyPair, toHex } from "@hpqmls/mls-core";
import { b64 } from "./base64.js";

/**
 * Signed requests (packages/server/API.md, "Authentication"): Ed25519 over
 * `HPQMLS-REQUEST-V1\n<METHOD>\n<path?query>\n<ts>\n<nonce>\n<hex sha256(body)>`.
 * Everything goes through suite 1's primitives, so this runs unchanged in Node (OpenSSL) and in
 * browsers (WebCrypto, noble for SHA-256 of short bodies; see mls-core's crypto/README.md).
 */
const suite = () => getCipherSuite(1);
const ed25519 = () => suite().signature;

export function generateServiceKey(): Promise<KeyPair> {
  return ed25519().generateKeyPair();
}

export function registrationProof(key: KeyPair, identity: Uint8Array): Promise<Uint8Array> {
  const msg = `HPQMLS-REGISTER-V1\n${toHex(identity)}\n${toHex(key.publicKey)}`;
  return ed25519().sign(key.privateKey, new TextEncoder().encode(msg));
}

export async function authorizationHeader(
  clientId: string,
  key: KeyPair,
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  now = Date.now(),
): Promise<string> {
  const ts = Math.floor(now / 1000).toString();
  const nonce = b64(suite().randomBytes(16));
  const bodyHash = toHex(await suite().hash.digest(body));
  const input = `HPQMLS-REQUEST-V1\n${method.toUpperCase()}\n${pathWithQuery}\n${ts}\n${nonce}\n${bodyHash}`;
  const sig = await ed25519().sign(key.privateKey, new TextEncoder().encode(input));
  return `HPQMLS-Ed25519 client="${clientId}",ts="${ts}",nonce="${nonce}",sig="${b64(sig)}"`;
}
