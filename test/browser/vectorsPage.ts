/**
 * The in-browser half of test/browser/vectors.test.ts, bundled by esbuild for the browser
 * (platform "browser": mls-core's package.json swaps its platform module for the WebCrypto one,
 * and any `node:` import would fail the bundle). It exposes `window.hpqmlsVectors`, which the
 * test drives through playwright: the official RFC 9420 vectors through the same runners as in
 * Node, and the PQ default suite's KEM and signature known answers plus a group's life.
 */
import {
  cipherSuiteImplementations,
  fromHex,
  getCipherSuite,
  MlsGroup,
  toHex,
  utf8,
} from "@hpqmls/mls-core";
import { deliverCommit, keyPackageFor, newClient } from "../../packages/mls-core/test/helpers.js";
import { type FileResult, runCases } from "../vectors/runner.js";
import { RUNNERS } from "../vectors/runners/index.js";

interface KemCase {
  kem_id: number;
  ikmR: string;
  skRm: string;
  pkRm: string;
  enc: string;
  shared_secret: string;
}
interface SigVerCase {
  tcId: number;
  parameterSet: string;
  testPassed: boolean;
  pk: string;
  message: string;
  signature: string;
}

/** What one check found: its name and, when it failed, why. */
export interface Check {
  readonly name: string;
  readonly error?: string;
}

async function check(out: Check[], name: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
    out.push({ name });
  } catch (e) {
    out.push({ name, error: e instanceof Error ? e.message : String(e) });
  }
}

function same(what: string, got: Uint8Array, want: string): void {
  if (toHex(got) !== want.toLowerCase()) throw new Error(`${what}: got ${toHex(got)}`);
}

/** KEM ids of the PQ suites checked here, and the suite that carries each. */
const PQ_KEM_SUITES: Readonly<Record<number, number>> = {
  65: 0xf00a, // ML-KEM-768, the combiner's default PQ suite
  25722: 0xf001, // X-Wing: X25519 on WebCrypto
  80: 0xf003, // MLKEM768-P256: P-256 on WebCrypto
};

const api = {
  secureContext: () => (globalThis as { isSecureContext?: boolean }).isSecureContext === true,
  hasSubtle: () => globalThis.crypto?.subtle !== undefined,

  async implementations(id: number) {
    return cipherSuiteImplementations(getCipherSuite(id));
  },

  async runVectors(name: string, cases: unknown[]): Promise<FileResult> {
    const runner = RUNNERS.get(name);
    if (runner === undefined) throw new Error(`no runner for ${name}`);
    return runCases(name, runner, cases);
  },

  async pqKnownAnswers(kemCases: KemCase[], sigVer: SigVerCase[]): Promise<Check[]> {
    const out: Check[] = [];
    for (const c of kemCases) {
      const id = PQ_KEM_SUITES[c.kem_id];
      if (id === undefined) continue;
      const kem = getCipherSuite(id).hpke.kem;
      await check(out, `kem 0x${c.kem_id.toString(16)}: DeriveKeyPair and Decap`, async () => {
        const kp = await kem.deriveKeyPair(fromHex(c.ikmR));
        same("skRm", kp.privateKey, c.skRm);
        same("pkRm", kp.publicKey, c.pkRm);
        same(
          "shared_secret",
          await kem.decap(fromHex(c.enc), kp.privateKey, kp.publicKey),
          c.shared_secret,
        );
      });
    }
    const mldsa65 = getCipherSuite(0xf00a).signature;
    for (const c of sigVer.filter((v) => v.parameterSet === "ML-DSA-65")) {
      await check(out, `ML-DSA-65 sigVer tcId ${c.tcId}`, async () => {
        const ok = await mldsa65.verify(fromHex(c.pk), fromHex(c.message), fromHex(c.signature));
        if (ok !== c.testPassed) throw new Error(`verify said ${ok}, expected ${c.testPassed}`);
      });
    }
    return out;
  },

  /** Create, add by Welcome, a commit with a path, messages both ways, state round trip. */
  async groupLife(id: number): Promise<Check[]> {
    const out: Check[] = [];
    await check(out, `suite 0x${id.toString(16)}: a group's life`, async () => {
      const suite = getCipherSuite(id);
      const a = await newClient(suite, "alice");
      const b = await newClient(suite, "bob");
      const alice = await MlsGroup.create({ suite, ...a });
      const kpB = await keyPackageFor(suite, b);
      const add = await alice.commit({ add: [kpB.keyPackage] });
      await alice.merge(add.staged);
      if (add.welcome === undefined) throw new Error("no Welcome");
      const bob = await MlsGroup.join({ suite, welcome: add.welcome, keyPackage: kpB });
      const upd = await bob.commit({ path: true });
      await deliverCommit(bob, upd.staged, upd.commit, [alice]);
      if (toHex(alice.epochAuthenticator) !== toHex(bob.epochAuthenticator))
        throw new Error("epoch authenticators differ");
      const bob2 = MlsGroup.deserialize(bob.serialize());
      const r = await bob2.process(await alice.encrypt(utf8("hello from the browser")));
      if (r.kind !== "application" || new TextDecoder().decode(r.data) !== "hello from the browser")
        throw new Error("application message did not round-trip");
    });
    return out;
  },
};

declare global {
  var hpqmlsVectors: typeof api;
}
globalThis.hpqmlsVectors = api;
