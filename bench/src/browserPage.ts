/**
 * The in-page half of `npm run bench -- browser`: times each primitive of the WebCrypto backend
 * against the noble one, in the page that bench/src/browser.ts opens in Chromium. Bundled for
 * the browser with esbuild; exposes `globalThis.hpqmlsBrowserBench`.
 */
import type { CryptoBackend } from "../../packages/mls-core/src/crypto/backend.js";
import { nobleBackend } from "../../packages/mls-core/src/crypto/noble/index.js";
import { webCryptoBackend } from "../../packages/mls-core/src/crypto/webcrypto/index.js";

export interface BrowserBenchRow {
  readonly backend: "webcrypto" | "js";
  readonly op: string;
  /** Median over samples of the mean time per call within a sample, in ms. */
  readonly medianMs: number;
  readonly samples: number;
}

type Op = (b: CryptoBackend) => Promise<() => Promise<unknown>>;

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

/** Ops on the short inputs MLS uses: tree and transcript hashes, key schedule, secret tree. */
const OPS: Readonly<Record<string, Op>> = {
  "sha256 64B": async (b) => () => b.hash("SHA-256").digest(bytes(64)),
  "sha256 256B": async (b) => () => b.hash("SHA-256").digest(bytes(256)),
  "sha256 512B": async (b) => () => b.hash("SHA-256").digest(bytes(512)),
  "sha256 1KiB": async (b) => () => b.hash("SHA-256").digest(bytes(1024)),
  "sha256 16KiB": async (b) => () => b.hash("SHA-256").digest(bytes(16384)),
  "sha256 256KiB": async (b) => () => b.hash("SHA-256").digest(bytes(262144)),
  "sha384 16KiB": async (b) => () => b.hash("SHA-384").digest(bytes(16384)),
  "hmac-sha256 64B": async (b) => () => b.hash("SHA-256").mac(bytes(32), bytes(64)),
  "hmac-sha256 512B": async (b) => () => b.hash("SHA-256").mac(bytes(32), bytes(512)),
  "hmac-sha256 16KiB": async (b) => () => b.hash("SHA-256").mac(bytes(32), bytes(16384)),
  "aes128gcm seal 16KiB": async (b) => () =>
    b.aead("AES-128-GCM").seal(bytes(16), bytes(12), bytes(16), bytes(16384)),
  "hkdf-expand sha256 32B": async (b) => () => b.kdf("SHA-256").expand(bytes(32), bytes(40), 32),
  "aes128gcm seal 64B": async (b) => () =>
    b.aead("AES-128-GCM").seal(bytes(16), bytes(12), bytes(16), bytes(64)),
  "x25519 dh": async (b) => {
    const dh = b.dh("X25519");
    const [a, c] = [await dh.generateKeyPair(), await dh.generateKeyPair()];
    return () => dh.dh(a.privateKey, c.publicKey, a.publicKey);
  },
  "p256 dh": async (b) => {
    const dh = b.dh("P-256");
    const [a, c] = [await dh.generateKeyPair(), await dh.generateKeyPair()];
    return () => dh.dh(a.privateKey, c.publicKey, a.publicKey);
  },
  "ed25519 sign 256B": async (b) => {
    const s = b.signature("Ed25519");
    const k = await s.generateKeyPair();
    return () => s.sign(k.privateKey, bytes(256));
  },
  "ed25519 verify 256B": async (b) => {
    const s = b.signature("Ed25519");
    const k = await s.generateKeyPair();
    const sig = await s.sign(k.privateKey, bytes(256));
    return () => s.verify(k.publicKey, bytes(256), sig);
  },
  "ecdsa-p256 sign 256B": async (b) => {
    const s = b.signature("ECDSA-P256-SHA256");
    const k = await s.generateKeyPair();
    return () => s.sign(k.privateKey, bytes(256));
  },
  "ecdsa-p256 verify 256B": async (b) => {
    const s = b.signature("ECDSA-P256-SHA256");
    const k = await s.generateKeyPair();
    const sig = await s.sign(k.privateKey, bytes(256));
    return () => s.verify(k.publicKey, bytes(256), sig);
  },
};

async function measure(f: () => Promise<unknown>, budgetMs: number): Promise<[number, number]> {
  for (let i = 0; i < 20; i++) await f(); // warm-up (and each backend's one-time choice)
  let batch = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) await f();
    if (performance.now() - t > 2 || batch >= 1 << 16) break;
    batch *= 2;
  }
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < 5 || (performance.now() < end && samples.length < 200)) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) await f();
    samples.push((performance.now() - t) / batch);
  }
  samples.sort((x, y) => x - y);
  return [samples[samples.length >> 1]!, samples.length];
}

const api = {
  ops: () => Object.keys(OPS),
  async run(op: string, budgetMs: number): Promise<BrowserBenchRow[]> {
    const make = OPS[op];
    if (make === undefined) throw new Error(`unknown op ${op}`);
    const rows: BrowserBenchRow[] = [];
    for (const backend of [webCryptoBackend, nobleBackend]) {
      const [medianMs, samples] = await measure(await make(backend), budgetMs);
      rows.push({
        backend: backend.name === "webcrypto" ? "webcrypto" : "js",
        op,
        medianMs,
        samples,
      });
    }
    return rows;
  },
};

declare global {
  var hpqmlsBrowserBench: typeof api;
}
globalThis.hpqmlsBrowserBench = api;
