import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { CryptoBackend } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { nodeBackend } from "../../src/crypto/node/index.js";
import { webCryptoBackend } from "../../src/crypto/webcrypto/index.js";
import { concat, fromHex, utf8 } from "../../src/util/bytes.js";

/** Every backend; Node has `crypto.subtle`, so the WebCrypto one is checked here as in a browser. */
export const BACKENDS: readonly CryptoBackend[] = [nodeBackend, webCryptoBackend, nobleBackend];
export const SUITE_IDS = [1, 2, 3, 4, 5, 6, 7] as const;

export const hex = fromHex;

const here = dirname(fileURLToPath(import.meta.url));

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(here, "..", "fixtures", name), "utf8")) as T;
}

/** The official MLS vectors: `MLS_VECTORS_DIR`, or `../shared/mls-vectors` beside the repo. */
export function readMlsVectors<T>(file: string): T {
  const repoRoot = resolve(here, "..", "..", "..", "..");
  const dir = process.env.MLS_VECTORS_DIR ?? join(repoRoot, "..", "shared", "mls-vectors");
  const path = join(resolve(dir), file);
  if (!existsSync(path)) throw new Error(`official MLS test vectors not found: ${path}`);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** A variable-length vector (RFC 9420 §2.1.2), written here independently of src/codec. */
export function opaqueV(data: Uint8Array): Uint8Array {
  const n = data.length;
  if (n < 0x40) return concat(Uint8Array.of(n), data);
  if (n < 0x4000) return concat(Uint8Array.of(0x40 | (n >> 8), n & 0xff), data);
  throw new Error("test helper: vector too long");
}

/** `struct { opaque label<V> = "MLS 1.0 " + label; opaque content<V>; }` (RFC 9420 §5.1.2, §5.1.3). */
export function labeledContent(label: string, content: Uint8Array): Uint8Array {
  return concat(opaqueV(utf8(`MLS 1.0 ${label}`)), opaqueV(content));
}

/** A copy with one bit flipped at `index` (negative counts from the end). */
export function flipBit(b: Uint8Array, index = 0): Uint8Array {
  const out = b.slice();
  const i = index < 0 ? out.length + index : index;
  out[i] = out[i]! ^ 0x01;
  return out;
}
