/**
 * Micro-benchmark of the cipher-suite primitives, Node's crypto against pure JS, for the seven
 * RFC 9420 suites. Not a test: it prints a table of medians and, with --json, writes rows.
 *
 *   npm run bench -- primitives [--quick] [--json <path>]
 *   npx tsx --conditions=source bench/src/primitives.ts [--quick] [--json <path>]   (the same)
 *
 * The JSON is an object: { bench, machine, cores, node, openssl, commit, quick, date, rows }; rows
 * have impl "hpqmls", backend "node" | "js", n 0 and tree "none" (no group is involved).
 *
 * Ops (µs are medians over batched samples; inputs are fixed-size):
 *   hash, hmac               64-byte input                      bytes = output size
 *   aead-seal, aead-open     64-byte plaintext, 16-byte AAD     bytes = ciphertext size
 *   derive-key-pair          HPKE DeriveKeyPair, fresh 32-byte ikm each call   bytes = Npk
 *   hpke-seal, hpke-open     single-shot base mode, 64 bytes, to / with a key not seen before
 *                            (key caches off: TreeKEM keys are new every commit) bytes = enc+ct
 *   sign, verify             256-byte message; one signer / eight signers, keys seen before
 *                            (caches on: members sign and verify with the same keys)  bytes = sig
 *   sign-cold, verify-cold   the same with key caches off (first use of a key)
 */
import { pathToFileURL } from "node:url";
import { setNodeKeyCaching } from "../../packages/mls-core/src/crypto/node/index.js";
import type { CipherSuite, KeyPair } from "../../packages/mls-core/src/crypto/provider.js";
import { getCipherSuite } from "../../packages/mls-core/src/crypto/suites.js";
import { type BenchArgs, parseBenchArgs } from "./args.js";
import { writeJson } from "./common.js";
import { machineInfo } from "./machine.js";
import { Progress } from "./progress.js";
import { mdTable } from "./report/markdown.js";

interface Row {
  impl: "hpqmls";
  backend: "node" | "js";
  suite: number;
  n: 0;
  tree: "none";
  op: string;
  medianMs: number;
  bytes: number;
}

/** Time budget per (suite, impl, op), and the bounds on samples. */
let BUDGET_MS = 500;
let MIN_SAMPLES = 9;
const MAX_SAMPLES = 200;
const TARGET_SAMPLE_MS = 2;

async function median(op: () => Promise<unknown>): Promise<number> {
  // Warm up (JIT for the JS path; first-use costs for both), then calibrate the batch size so a
  // sample lasts about TARGET_SAMPLE_MS.
  const warmEnd = performance.now() + BUDGET_MS / 5;
  let warm = 0;
  do {
    await op();
    warm++;
  } while (performance.now() < warmEnd && warm < 50);
  let t = performance.now();
  await op();
  const one = Math.max(performance.now() - t, 0.001);
  const batch = Math.max(1, Math.floor(TARGET_SAMPLE_MS / one));
  const samples: number[] = [];
  const end = performance.now() + BUDGET_MS;
  while (
    samples.length < MAX_SAMPLES &&
    (samples.length < MIN_SAMPLES || performance.now() < end)
  ) {
    t = performance.now();
    for (let i = 0; i < batch; i++) await op();
    samples.push((performance.now() - t) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

/** Cycles through a pool. */
function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

interface Fixtures {
  msg64: Uint8Array;
  aad: Uint8Array;
  msg256: Uint8Array;
  info: Uint8Array;
  recipients: KeyPair[];
  sealed: { kp: KeyPair; enc: Uint8Array; ct: Uint8Array }[];
  signers: KeyPair[];
  signed: { pk: Uint8Array; sig: Uint8Array }[];
  ikms: Uint8Array[];
}

/** Inputs made once per suite with the node backend, shared by both implementations. */
async function fixtures(suite: CipherSuite): Promise<Fixtures> {
  const r = (n: number) => suite.randomBytes(n);
  const info = r(32);
  const msg64 = r(64);
  const msg256 = r(256);
  const recipients: KeyPair[] = [];
  const sealed: Fixtures["sealed"] = [];
  const signers: KeyPair[] = [];
  const signed: Fixtures["signed"] = [];
  for (let i = 0; i < 16; i++) {
    const kp = await suite.hpke.kem.generateKeyPair();
    recipients.push(kp);
    const { enc, ciphertext } = await suite.hpke.seal(kp.publicKey, info, new Uint8Array(0), msg64);
    sealed.push({ kp, enc, ct: ciphertext });
  }
  for (let i = 0; i < 8; i++) {
    const kp = await suite.signature.generateKeyPair();
    signers.push(kp);
    signed.push({ pk: kp.publicKey, sig: await suite.signature.sign(kp.privateKey, msg256) });
  }
  const ikms = Array.from({ length: 64 }, () => r(32));
  return { msg64, aad: r(16), msg256, info, recipients, sealed, signers, signed, ikms };
}

type Op = { op: string; caching: boolean; run: () => Promise<number> };

/** Each op returns its `bytes` figure. */
function ops(s: CipherSuite, f: Fixtures): Op[] {
  const key = s.randomBytes(s.aead.Nk);
  const nonce = s.randomBytes(s.aead.Nn);
  const macKey = s.randomBytes(s.hash.size);
  const empty = new Uint8Array(0);
  let aeadCt: Uint8Array = new Uint8Array(0);
  const nextIkm = cycle(f.ikms);
  const nextRecipient = cycle(f.recipients);
  const nextSealed = cycle(f.sealed);
  const nextSigned = cycle(f.signed);
  const nextSigner = cycle(f.signers);
  const signer = f.signers[0]!;
  return [
    { op: "hash", caching: true, run: async () => (await s.hash.digest(f.msg64)).length },
    { op: "hmac", caching: true, run: async () => (await s.hash.mac(macKey, f.msg64)).length },
    {
      op: "aead-seal",
      caching: true,
      run: async () => {
        aeadCt = await s.aead.seal(key, nonce, f.aad, f.msg64);
        return aeadCt.length;
      },
    },
    {
      op: "aead-open",
      caching: true,
      run: async () => (await s.aead.open(key, nonce, f.aad, aeadCt)).length + s.aead.Nt,
    },
    {
      op: "derive-key-pair",
      caching: true,
      run: async () => (await s.hpke.kem.deriveKeyPair(nextIkm().slice())).publicKey.length,
    },
    {
      op: "hpke-seal",
      caching: false,
      run: async () => {
        const { enc, ciphertext } = await s.hpke.seal(
          nextRecipient().publicKey,
          f.info,
          empty,
          f.msg64,
        );
        return enc.length + ciphertext.length;
      },
    },
    {
      op: "hpke-open",
      caching: false,
      run: async () => {
        const x = nextSealed();
        await s.hpke.open(x.kp.privateKey, x.kp.publicKey, x.enc, f.info, empty, x.ct);
        return x.enc.length + x.ct.length;
      },
    },
    {
      op: "sign",
      caching: true,
      run: async () => (await s.signature.sign(signer.privateKey, f.msg256)).length,
    },
    {
      op: "verify",
      caching: true,
      run: async () => {
        const x = nextSigned();
        if (!(await s.signature.verify(x.pk, f.msg256, x.sig))) throw new Error("verify failed");
        return x.sig.length;
      },
    },
    {
      op: "sign-cold",
      caching: false,
      run: async () => (await s.signature.sign(nextSigner().privateKey.slice(), f.msg256)).length,
    },
    {
      op: "verify-cold",
      caching: false,
      run: async () => {
        const x = nextSigned();
        if (!(await s.signature.verify(x.pk, f.msg256, x.sig))) throw new Error("verify failed");
        return x.sig.length;
      },
    },
  ];
}

const us = (ms: number) => (ms * 1000).toFixed(ms < 0.01 ? 2 : 1);

export async function runPrimitives(args: BenchArgs): Promise<number> {
  const quick = args.quick;
  BUDGET_MS = args.budgetMs ?? (quick ? 120 : 500);
  MIN_SAMPLES = quick ? 5 : 9;
  const m = machineInfo();
  const meta = {
    bench: "primitives",
    machine: m.cpu,
    cores: m.cores,
    node: m.node,
    openssl: process.versions.openssl,
    commit: m.commit,
    quick,
    date: m.date,
  };
  const suites = [1, 2, 3, 4, 5, 6, 7];
  const progress = new Progress(suites.length * 11, "primitives");
  const lines: string[] = [];
  const print = (s = "") => lines.push(s);
  print("# Cipher-suite primitives: Node crypto against pure JS (median µs per operation)");
  print();
  print(`${meta.machine} (${meta.cores} cores), Node ${meta.node}, OpenSSL ${meta.openssl}`);
  print(`commit ${meta.commit}${quick ? ", --quick" : ""}`);
  const rows: Row[] = [];
  const started = performance.now();
  for (const id of suites) {
    const impls = [
      ["node", getCipherSuite(id, { backend: "node" })],
      ["js", getCipherSuite(id, { backend: "js" })],
    ] as const;
    progress.phase(`suite ${id}`);
    const f = await fixtures(impls[0][1]);
    print();
    print(`## Suite ${id} ${impls[0][1].name}`);
    print();
    const table: string[][] = [];
    const opLists = impls.map(([, s]) => ops(s, f));
    for (let k = 0; k < opLists[0]!.length; k++) {
      const medians: number[] = [];
      let bytes = 0;
      progress.step(opLists[0]![k]!.op);
      for (let j = 0; j < impls.length; j++) {
        const o = opLists[j]![k]!;
        setNodeKeyCaching(o.caching);
        bytes = await o.run();
        const med = await median(o.run);
        setNodeKeyCaching(true);
        medians.push(med);
        rows.push({
          impl: "hpqmls",
          backend: impls[j]![0],
          suite: id,
          n: 0,
          tree: "none",
          op: o.op,
          medianMs: med,
          bytes,
        });
      }
      const [n, j] = medians as [number, number];
      table.push([opLists[0]![k]!.op, us(n), us(j), `${(j / n).toFixed(1)}×`]);
      progress.tick();
    }
    print(mdTable(["op", "node µs", "js µs", "js ÷ node"], table));
  }
  progress.finish();
  print();
  print(`${((performance.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`${lines.join("\n")}\n`);
  if (args.json !== undefined) {
    writeJson(args.json, { ...meta, rows });
    process.stdout.write(`wrote ${rows.length} rows to ${args.json}\n`);
  }
  return 0;
}

// Run directly: npx tsx --conditions=source bench/src/primitives.ts [--quick] [--json <path>]
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await runPrimitives(parseBenchArgs(["primitives", ...process.argv.slice(2)]));
