/**
 * Work-around for a deadlock in Node.js 20 (seen on 20.20.2), installed by the benchmark CLI.
 *
 * `crypto.generateKeyPairSync` leaves a key-generation job object for the garbage collector; the
 * job's C++ destructor locks the mutex of the key it generated. `KeyObject.export({ format:
 * "jwk" })` of that key holds the same mutex while it allocates the result strings; if that
 * allocation triggers the collection that finalises the job, the thread waits on itself for ever
 * (idle CPU; main thread in futex_wait under ExportJWKEdKey / ExportJWKEcKey → GC →
 * ~KeyGenJob). Plain `node:crypto` reproduces it in a few thousand iterations of
 * `generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" })`. mls-core's node backend
 * generates and exports keys exactly like that, so benchmark runs that make thousands of members
 * hang at random.
 *
 * The shim makes `generateKeyPairSync` for OKP keys (X25519, X448, Ed25519, Ed448; without
 * encoding options) build the pair from random private bytes by import instead — no job object,
 * so no deadlock — with the same distribution of keys and the same cost (measured: 140–160 µs for
 * an Ed25519 + X25519 pair either way). NIST EC keys are left alone: importing them costs 1.5–3×
 * a generation in OpenSSL 3 (point validation), which would distort the timings of suites 2, 5
 * and 7, and exporting DER instead of JWK is 30–60× slower; `watchdog.ts` turns a hang there
 * into an error. Set BENCH_NO_KEYGEN_SHIM=1 to run without the shim.
 */
import * as nc from "node:crypto";
import { createRequire, syncBuiltinESMExports } from "node:module";

const OKP_SIZE: Readonly<Record<string, { crv: string; size: number }>> = {
  ed25519: { crv: "Ed25519", size: 32 },
  ed448: { crv: "Ed448", size: 57 },
  x25519: { crv: "X25519", size: 32 },
  x448: { crv: "X448", size: 56 },
};

const b64u = (b: Uint8Array) =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");

function okpPair(kind: string): { privateKey: nc.KeyObject; publicKey: nc.KeyObject } {
  const { crv, size } = OKP_SIZE[kind]!;
  const d = nc.randomBytes(size);
  // Node derives the public key from d; x must be a string but is not read.
  const privateKey = nc.createPrivateKey({
    key: { kty: "OKP", crv, d: b64u(d), x: "" },
    format: "jwk",
  });
  d.fill(0);
  return { privateKey, publicKey: nc.createPublicKey(privateKey) };
}

let installed = false;

/** Installs the shim once; returns whether it is active. */
export function installKeygenShim(): boolean {
  if (installed || process.env.BENCH_NO_KEYGEN_SHIM === "1") return installed;
  const cjs = createRequire(import.meta.url)("node:crypto") as typeof nc;
  const original = cjs.generateKeyPairSync;
  const replacement = (type: string, options?: Record<string, unknown>): unknown => {
    const plain =
      options === undefined ||
      (options.publicKeyEncoding === undefined && options.privateKeyEncoding === undefined);
    if (plain && OKP_SIZE[type] !== undefined) return okpPair(type);
    return (original as (t: string, o?: unknown) => unknown)(type, options);
  };
  (cjs as { generateKeyPairSync: unknown }).generateKeyPairSync = replacement;
  syncBuiltinESMExports();
  installed = true;
  return true;
}
