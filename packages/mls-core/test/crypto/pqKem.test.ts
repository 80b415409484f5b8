import { sha3_256, shake256 } from "@noble/hashes/sha3.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { describe, expect, it } from "vitest";
import type { AeadName, CryptoBackend, HashName } from "../../src/crypto/backend.js";
import { HpkeSuite } from "../../src/crypto/hpke/hpke.js";
import {
  DecapError,
  EncapError,
  mlKem768,
  mlKem768P256,
  mlKem768X25519,
  mlKem1024,
  mlKem1024P384,
  type PqKem,
  setPqKeyCaching,
  shake256LabeledDerive,
} from "../../src/crypto/pq/index.js";
import { CryptoError } from "../../src/errors.js";
import { concat, toHex, utf8 } from "../../src/util/bytes.js";
import { BACKENDS, flipBit, hex, readFixture } from "./helpers.js";

/** draft-ietf-hpke-pq test vectors (test/fixtures/hpke-pq-vectors.json, see the README there). */
interface Fixture {
  source: { repo: string; commit: string; path: string };
  cases: {
    mode: number;
    kem_id: number;
    kdf_id: number;
    aead_id: number;
    info?: string;
    ikmR: string;
    ikmE: string;
    skRm: string;
    pkRm: string;
    enc: string;
    shared_secret: string;
    key?: string;
    base_nonce?: string;
    exporter_secret?: string;
    encryptions?: { aad: string; ct: string; nonce: string; pt: string }[];
    exports?: { exporter_context: string; L: number; exported_value: string }[];
  }[];
}

const fixture = readFixture<Fixture>("hpke-pq-vectors.json");

/** draft-ietf-hpke-pq IANA tables: id → [name, Nsecret, Nenc, Npk, Nsk]. */
const TABLE: Record<number, [string, number, number, number, number]> = {
  65: ["ML-KEM-768", 32, 1088, 1184, 64],
  66: ["ML-KEM-1024", 32, 1568, 1568, 64],
  80: ["MLKEM768-P256", 32, 1153, 1249, 32],
  81: ["MLKEM1024-P384", 32, 1665, 1665, 32],
  25722: ["MLKEM768-X25519", 32, 1120, 1216, 32],
};

function kems(backend: CryptoBackend): Record<number, PqKem> {
  return {
    65: mlKem768,
    66: mlKem1024,
    80: mlKem768P256(backend.dh("P-256")),
    81: mlKem1024P384(backend.dh("P-384")),
    25722: mlKem768X25519(backend.dh("X25519")),
  };
}

const KDF: Record<number, HashName> = { 1: "SHA-256", 2: "SHA-384" };
const AEAD: Record<number, AeadName> = {
  1: "AES-128-GCM",
  2: "AES-256-GCM",
  3: "ChaCha20Poly1305",
};

const name = (id: number) => TABLE[id]![0];

describe("draft-ietf-hpke-pq fixture", () => {
  it("names its source and covers every KEM the PQ suites use", () => {
    expect(fixture.source).toEqual({
      repo: "hpkewg/hpke-pq",
      commit: "74dafaa65f79a5eaa210af7ba967e5425a21d05b",
      path: "test-vectors.json",
    });
    expect(new Set(fixture.cases.map((c) => c.kem_id))).toEqual(
      new Set([0x41, 0x42, 0x50, 0x51, 0x647a]),
    );
    // HPKE with HKDF (what MLS uses) for every KEM.
    const full = fixture.cases.filter((c) => c.encryptions !== undefined);
    expect(new Set(full.map((c) => c.kem_id)).size).toBe(5);
    for (const c of fixture.cases) expect(c.mode).toBe(0);
  });

  it("every KEM has the draft's id and sizes", () => {
    for (const backend of BACKENDS)
      for (const [id, kem] of Object.entries(kems(backend))) {
        const [n, Nsecret, Nenc, Npk, Nsk] = TABLE[Number(id)]!;
        expect([kem.id, kem.name, kem.Nsecret, kem.Nenc, kem.Npk, kem.Nsk]).toEqual([
          Number(id),
          n,
          Nsecret,
          Nenc,
          Npk,
          Nsk,
        ]);
      }
  });
});

describe.each(BACKENDS)("$name backend: draft-ietf-hpke-pq vectors", (backend) => {
  const byId = kems(backend);
  describe.each(
    fixture.cases.map(
      (c) => [`${name(c.kem_id)} / KDF ${c.kdf_id} / AEAD ${c.aead_id}`, c] as const,
    ),
  )("%s", (_label, c) => {
    const kem = byId[c.kem_id]!;

    it("DeriveKeyPair(ikmR)", async () => {
      const r = await kem.deriveKeyPair(hex(c.ikmR));
      expect(toHex(r.privateKey)).toBe(c.skRm);
      expect(toHex(r.publicKey)).toBe(c.pkRm);
    });

    it("Encap with the vectors' randomness (ikmE), Decap", async () => {
      expect(hex(c.ikmE)).toHaveLength(kem.Nrandom);
      const { sharedSecret, enc } = await kem.encapDeterministic(hex(c.pkRm), hex(c.ikmE));
      expect(toHex(enc)).toBe(c.enc);
      expect(toHex(sharedSecret)).toBe(c.shared_secret);
      expect(toHex(await kem.decap(hex(c.enc), hex(c.skRm), hex(c.pkRm)))).toBe(c.shared_secret);
    });

    if (c.encryptions === undefined) return;
    const encryptions = c.encryptions;
    const exports = c.exports!;
    const info = hex(c.info!);
    const hpke = new HpkeSuite(kem, backend.kdf(KDF[c.kdf_id]!), backend.aead(AEAD[c.aead_id]!));

    it("key schedule", async () => {
      const s = await hpke.keySchedule(hex(c.shared_secret), info);
      expect(toHex(s.key)).toBe(c.key);
      expect(toHex(s.baseNonce)).toBe(c.base_nonce);
      expect(toHex(s.exporterSecret)).toBe(c.exporter_secret);
    });

    it("SetupBaseS with ikmE, Seal of every message in order, Export", async () => {
      const { enc, context } = await hpke.setupBaseS(hex(c.pkRm), info, hex(c.ikmE));
      expect(toHex(enc)).toBe(c.enc);
      for (const e of encryptions)
        expect(toHex(await context.seal(hex(e.aad), hex(e.pt)))).toBe(e.ct);
      for (const x of exports)
        expect(toHex(await context.export(hex(x.exporter_context), x.L))).toBe(x.exported_value);
    });

    it("SetupBaseR, Open of every message in order; single-shot open and receiveExport", async () => {
      const ctx = await hpke.setupBaseR(hex(c.skRm), hex(c.pkRm), hex(c.enc), info);
      for (const e of encryptions) expect(toHex(await ctx.open(hex(e.aad), hex(e.ct)))).toBe(e.pt);
      const e0 = encryptions[0]!;
      const open = (ct: Uint8Array) =>
        hpke.open(hex(c.skRm), hex(c.pkRm), hex(c.enc), info, hex(e0.aad), ct);
      expect(toHex(await open(hex(e0.ct)))).toBe(e0.pt);
      await expect(open(flipBit(hex(e0.ct)))).rejects.toThrow(CryptoError);
      const x = exports[0]!;
      const secret = await hpke.receiveExport(
        hex(c.skRm),
        hex(c.pkRm),
        hex(c.enc),
        info,
        hex(x.exporter_context),
        x.L,
      );
      expect(toHex(secret)).toBe(x.exported_value);
    });
  });
});

describe("SHAKE256 LabeledDerive (draft-ietf-hpke-hpke §4)", () => {
  it("is SHAKE256 over ikm || 'HPKE-v1' || suite_id || len(label) || label || I2OSP(L, 2) || context", () => {
    const ikm = utf8("ikm");
    const suiteId = hex("4b454d0041");
    const expected = shake256(
      concat(ikm, utf8("HPKE-v1"), suiteId, hex("000d"), utf8("DeriveKeyPair"), hex("0040")),
      { dkLen: 64 },
    );
    expect(shake256LabeledDerive(suiteId, ikm, "DeriveKeyPair", new Uint8Array(0), 64)).toEqual(
      expected,
    );
  });
});

describe.each(BACKENDS)("$name backend: PQ KEMs", (backend) => {
  describe.each(Object.values(kems(backend)).map((k) => [k.name, k] as const))("%s", (_n, kem) => {
    it("round trip with fresh keys and fresh randomness; DeriveKeyPair is deterministic", async () => {
      const kp = await kem.generateKeyPair();
      expect(kp.privateKey).toHaveLength(kem.Nsk);
      expect(kp.publicKey).toHaveLength(kem.Npk);
      await kem.validatePublicKey(kp.publicKey);
      const a = await kem.encap(kp.publicKey);
      const b = await kem.encap(kp.publicKey);
      expect(a.enc).toHaveLength(kem.Nenc);
      expect(a.enc).not.toEqual(b.enc);
      expect(await kem.decap(a.enc, kp.privateKey, kp.publicKey)).toEqual(a.sharedSecret);
      expect(await kem.decap(b.enc, kp.privateKey, kp.publicKey)).toEqual(b.sharedSecret);
      const d1 = await kem.deriveKeyPair(utf8("some input keying material"));
      const d2 = await kem.deriveKeyPair(utf8("some input keying material"));
      expect(d2).toEqual(d1);
      expect((await kem.deriveKeyPair(utf8("other input keying material"))).publicKey).not.toEqual(
        d1.publicKey,
      );
    });

    it("refuses encapsulation keys and ciphertexts of the wrong size", async () => {
      const kp = await kem.deriveKeyPair(utf8("sizes"));
      const { enc } = await kem.encap(kp.publicKey);
      for (const pk of [kp.publicKey.subarray(1), concat(kp.publicKey, Uint8Array.of(0))]) {
        await expect(kem.encap(pk)).rejects.toThrow(EncapError);
        await expect(kem.validatePublicKey(pk)).rejects.toThrow(EncapError);
      }
      for (const e of [enc.subarray(1), concat(enc, Uint8Array.of(0)), new Uint8Array(0)])
        await expect(kem.decap(e, kp.privateKey, kp.publicKey)).rejects.toThrow(DecapError);
      for (const sk of [kp.privateKey.subarray(1), concat(kp.privateKey, Uint8Array.of(0))])
        await expect(kem.decap(enc, sk, kp.publicKey)).rejects.toThrow(DecapError);
      await expect(kem.encapDeterministic(kp.publicKey, new Uint8Array(31))).rejects.toThrow(
        EncapError,
      );
    });

    it("refuses an ML-KEM encapsulation key that fails the modulus check (FIPS 203 §7.2)", async () => {
      const kp = await kem.deriveKeyPair(utf8("modulus"));
      // The first coefficient of t̂ is the low 12 bits of bytes 0–1; 0xfff ≥ q = 3329.
      const bad = kp.publicKey.slice();
      bad[0] = 0xff;
      bad[1] = bad[1]! | 0x0f;
      await expect(kem.encap(bad)).rejects.toThrow(EncapError);
      await expect(kem.validatePublicKey(bad)).rejects.toThrow(EncapError);
      // q itself (3329 = 0xd01) is out of range too; q - 1 is fine.
      for (const [value, ok] of [
        [3329, false],
        [3328, true],
      ] as const) {
        const k = kp.publicKey.slice();
        k[0] = value & 0xff;
        k[1] = (k[1]! & 0xf0) | (value >> 8);
        if (ok) await expect(kem.validatePublicKey(k)).resolves.toBeUndefined();
        else await expect(kem.validatePublicKey(k)).rejects.toThrow(EncapError);
      }
    });

    it("keeps no stale expansion when the private key array is reused", async () => {
      const kp = await kem.deriveKeyPair(utf8("cache"));
      const { enc, sharedSecret } = await kem.encap(kp.publicKey);
      const sk = kp.privateKey.slice();
      expect(await kem.decap(enc, sk, kp.publicKey)).toEqual(sharedSecret);
      const other = await kem.deriveKeyPair(utf8("cache 2"));
      sk.set(other.privateKey);
      const viaReused = await kem.decap(enc, sk, other.publicKey);
      expect(viaReused).toEqual(await kem.decap(enc, other.privateKey.slice(), other.publicKey));
      expect(viaReused).not.toEqual(sharedSecret);
      setPqKeyCaching(false);
      try {
        expect(await kem.decap(enc, kp.privateKey, kp.publicKey)).toEqual(sharedSecret);
      } finally {
        setPqKeyCaching(true);
      }
    });
  });

  describe.each([
    ["MLKEM768-P256", () => mlKem768P256(backend.dh("P-256")), 65],
    ["MLKEM1024-P384", () => mlKem1024P384(backend.dh("P-384")), 97],
  ] as const)("%s: the P-curve half", (_n, make, Nelem) => {
    const kem = make();
    const ekT = (pk: Uint8Array) => pk.subarray(pk.length - Nelem);

    it("refuses public keys whose EC point is not an uncompressed point on the curve", async () => {
      const kp = await kem.deriveKeyPair(utf8("points"));
      const variants: Uint8Array[] = [];
      for (const prefix of [0x00, 0x02, 0x03, 0x06, 0x07]) {
        const pk = kp.publicKey.slice();
        ekT(pk)[0] = prefix;
        variants.push(pk);
      }
      variants.push(flipBit(kp.publicKey, -1)); // off the curve
      const zero = kp.publicKey.slice();
      ekT(zero).fill(0, 1);
      variants.push(zero);
      for (const pk of variants) {
        await expect(kem.encap(pk)).rejects.toThrow(EncapError);
        await expect(kem.validatePublicKey(pk)).rejects.toThrow(EncapError);
      }
    });

    it("refuses a ciphertext whose EC point is invalid", async () => {
      const kp = await kem.deriveKeyPair(utf8("ct points"));
      const { enc } = await kem.encap(kp.publicKey);
      const badPrefix = enc.slice();
      badPrefix[enc.length - Nelem] = 0x06;
      for (const e of [flipBit(enc, -1), badPrefix])
        await expect(kem.decap(e, kp.privateKey, kp.publicKey)).rejects.toThrow(DecapError);
    });
  });

  it("MLKEM768-X25519: a small-order X25519 point is not refused; ss_T is then all zero", async () => {
    const kem = mlKem768X25519(backend.dh("X25519"));
    const kp = await kem.deriveKeyPair(utf8("x-wing low order"));
    const { enc } = await kem.encap(kp.publicKey);
    const lowOrder = new Uint8Array(32); // u = 0
    const tampered = concat(enc.subarray(0, 1088), lowOrder);
    const ss = await kem.decap(tampered, kp.privateKey, kp.publicKey);
    // Recompute by the draft's formula: SHA3-256(ss_M || ss_X || ct_X || pk_X || label).
    const expanded = shake256(kp.privateKey, { dkLen: 96 });
    const ml = ml_kem768.keygen(expanded.subarray(0, 64));
    const ssM = ml_kem768.decapsulate(enc.subarray(0, 1088), ml.secretKey);
    const pkX = kp.publicKey.subarray(1184);
    const expected = sha3_256(concat(ssM, new Uint8Array(32), lowOrder, pkX, hex("5c2e2f2f5e5c")));
    expect(ss).toEqual(expected);
    // Encapsulating to a public key with a small-order X25519 half works too.
    const pkLow = concat(kp.publicKey.subarray(0, 1184), lowOrder);
    const e = await kem.encap(pkLow);
    expect(e.enc).toHaveLength(1120);
  });

  it("ML-KEM rejects a tampered ciphertext implicitly: K̄ = J(z || c)", async () => {
    const kp = await mlKem768.deriveKeyPair(utf8("implicit rejection"));
    const { enc, sharedSecret } = await mlKem768.encap(kp.publicKey);
    const bad = flipBit(enc, 5);
    const ss = await mlKem768.decap(bad, kp.privateKey, kp.publicKey);
    expect(ss).not.toEqual(sharedSecret);
    const z = kp.privateKey.subarray(32, 64);
    expect(ss).toEqual(shake256(concat(z, bad), { dkLen: 32 }));
  });

  it("errors are CryptoErrors", () => {
    expect(new EncapError("x")).toBeInstanceOf(CryptoError);
    expect(new DecapError("x")).toBeInstanceOf(CryptoError);
  });
});

describe("node and JS hybrid KEMs are interchangeable", () => {
  const [node, js] = BACKENDS as [CryptoBackend, CryptoBackend];
  it.each([
    ["MLKEM768-X25519", (b: CryptoBackend) => mlKem768X25519(b.dh("X25519"))],
    ["MLKEM768-P256", (b: CryptoBackend) => mlKem768P256(b.dh("P-256"))],
    ["MLKEM1024-P384", (b: CryptoBackend) => mlKem1024P384(b.dh("P-384"))],
  ] as const)("%s", async (_n, make) => {
    const [a, b] = [make(node), make(js)];
    const ikm = utf8("interop");
    const ka = await a.deriveKeyPair(ikm);
    expect(await b.deriveKeyPair(ikm)).toEqual(ka);
    const fromA = await a.encap(ka.publicKey);
    expect(await b.decap(fromA.enc, ka.privateKey, ka.publicKey)).toEqual(fromA.sharedSecret);
    const fromB = await b.encap(ka.publicKey);
    expect(await a.decap(fromB.enc, ka.privateKey, ka.publicKey)).toEqual(fromB.sharedSecret);
  });
});
