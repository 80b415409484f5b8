import { describe, expect, it } from "vitest";
import {
  CIPHER_SUITES,
  cipherSuiteInfo,
  getCipherSuite,
  isSupportedCipherSuite,
  PQ_CIPHER_SUITES,
  registerCipherSuite,
  registerPqCipherSuite,
} from "../../src/crypto/suites.js";
import { CryptoError, UsageError } from "../../src/errors.js";
import { utf8 } from "../../src/util/bytes.js";
import { flipBit, SUITE_IDS } from "./helpers.js";

// RFC 9420 §17.1 and the HPKE / TLS registries.
const EXPECTED = [
  [1, "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", 0x20, 1, 1, 0x0807, 32],
  [2, "MLS_128_DHKEMP256_AES128GCM_SHA256_P256", 0x10, 1, 1, 0x0403, 32],
  [3, "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519", 0x20, 1, 3, 0x0807, 32],
  [4, "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448", 0x21, 3, 2, 0x0808, 64],
  [5, "MLS_256_DHKEMP521_AES256GCM_SHA512_P521", 0x12, 3, 2, 0x0603, 64],
  [6, "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448", 0x21, 3, 3, 0x0808, 64],
  [7, "MLS_256_DHKEMP384_AES256GCM_SHA384_P384", 0x11, 2, 2, 0x0503, 48],
] as const;

// draft-ietf-mls-pq-ciphersuites-06 §"MLS Cipher Suites": TBDn at 0xF000 + n (decisions.md);
// KEM, KDF, AEAD, signature code points, Nh.
const PQ_EXPECTED = [
  [0xf001, "MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519", 0x647a, 1, 1, 0x0807, 32],
  [0xf002, "MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519", 0x647a, 2, 2, 0x0807, 48],
  [0xf003, "MLS_128_MLKEM768P256_AES128GCM_SHA256_P256", 0x0050, 1, 1, 0x0403, 32],
  [0xf004, "MLS_128_MLKEM768P256_AES256GCM_SHA384_P256", 0x0050, 2, 2, 0x0403, 48],
  [0xf005, "MLS_192_MLKEM1024P384_AES256GCM_SHA384_P384", 0x0051, 2, 2, 0x0503, 48],
  [0xf006, "MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519", 0x0041, 2, 2, 0x0807, 48],
  [0xf007, "MLS_128_MLKEM768_AES256GCM_SHA384_P256", 0x0041, 2, 2, 0x0403, 48],
  [0xf008, "MLS_192_MLKEM1024_AES256GCM_SHA384_P384", 0x0042, 2, 2, 0x0503, 48],
  [0xf009, "MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44", 0x647a, 2, 3, 0x0904, 48],
  [0xf00a, "MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65", 0x0041, 2, 2, 0x0905, 48],
  [0xf00b, "MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87", 0x0042, 2, 2, 0x0906, 48],
] as const;

describe("the cipher-suite table", () => {
  it("lists the seven suites of RFC 9420 §17.1", () => {
    expect(
      CIPHER_SUITES.map((s) => [s.id, s.name, s.kemId, s.kdfId, s.aeadId, s.signatureSchemeId]),
    ).toEqual(EXPECTED.map((e) => e.slice(0, 6)));
  });

  it.each(EXPECTED)(
    "suite %i is assembled from the right primitives",
    (id, name, kem, kdf, aead, sig, nh) => {
      for (const backend of ["auto", "node", "webcrypto", "js"] as const) {
        const s = getCipherSuite(id, { backend });
        expect([s.id, s.name, s.hpke.kem.id, s.kdf.id, s.aead.id, s.signature.id]).toEqual([
          id,
          name,
          kem,
          kdf,
          aead,
          sig,
        ]);
        expect(s.hash.size).toBe(nh);
        expect(s.kdf.Nh).toBe(nh);
        expect(s.randomBytes(nh)).toHaveLength(nh);
      }
    },
  );

  it("lists the eleven suites of draft-ietf-mls-pq-ciphersuites-06 at 0xF001–0xF00B", () => {
    expect(
      PQ_CIPHER_SUITES.map((s) => [s.id, s.name, s.kemId, s.kdfId, s.aeadId, s.signatureSchemeId]),
    ).toEqual(PQ_EXPECTED.map((e) => e.slice(0, 6)));
    expect(PQ_CIPHER_SUITES.map((s) => s.tbd)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const s of [...CIPHER_SUITES, ...PQ_CIPHER_SUITES]) expect(cipherSuiteInfo(s.id)).toBe(s);
    expect(cipherSuiteInfo(0xf00c)).toBeUndefined();
  });

  it("keeps what the combiner depends on: 0xF006 = ML-KEM-768 + Ed25519, 0xF00A = ML-KEM-768 + ML-DSA-65", () => {
    expect([cipherSuiteInfo(0xf006)?.kem, cipherSuiteInfo(0xf006)?.signature]).toEqual([
      "ML-KEM-768",
      "Ed25519",
    ]);
    expect([cipherSuiteInfo(0xf00a)?.kem, cipherSuiteInfo(0xf00a)?.signature]).toEqual([
      "ML-KEM-768",
      "ML-DSA-65",
    ]);
  });

  it.each(PQ_EXPECTED.map((e) => [e[0].toString(16), e] as const))(
    "PQ suite 0x%s is assembled from the right primitives",
    (_hex, [id, name, kem, kdf, aead, sig, nh]) => {
      for (const backend of ["auto", "node", "webcrypto", "js"] as const) {
        const s = getCipherSuite(id, { backend });
        expect([s.id, s.name, s.hpke.kem.id, s.kdf.id, s.aead.id, s.signature.id]).toEqual([
          id,
          name,
          kem,
          kdf,
          aead,
          sig,
        ]);
        expect(s.hash.size).toBe(nh);
        expect(s.kdf.Nh).toBe(nh);
      }
    },
  );

  it.each(PQ_EXPECTED.map((e) => [e[0].toString(16), e[0]] as const))(
    "PQ suite 0x%s: HPKE sealed on one backend opens on the other; signatures cross too",
    async (_hex, id) => {
      const node = getCipherSuite(id, { backend: "node" });
      const js = getCipherSuite(id, { backend: "js" });
      const kp = await node.hpke.kem.deriveKeyPair(utf8("suite test"));
      expect(await js.hpke.kem.deriveKeyPair(utf8("suite test"))).toEqual(kp);
      const info = utf8("info");
      const aad = utf8("aad");
      const pt = utf8("plaintext");
      for (const [a, b] of [
        [node, js],
        [js, node],
      ] as const) {
        const { enc, ciphertext } = await a.hpke.seal(kp.publicKey, info, aad, pt);
        expect(await b.hpke.open(kp.privateKey, kp.publicKey, enc, info, aad, ciphertext)).toEqual(
          pt,
        );
        await expect(
          b.hpke.open(kp.privateKey, kp.publicKey, enc, info, aad, flipBit(ciphertext)),
        ).rejects.toThrow(CryptoError);
        const ex = await a.hpke.sendExport(kp.publicKey, info, utf8("ctx"), 32);
        expect(
          await b.hpke.receiveExport(kp.privateKey, kp.publicKey, ex.enc, info, utf8("ctx"), 32),
        ).toEqual(ex.secret);
        const sk = await a.signature.generateKeyPair();
        const sig = await a.signature.sign(sk.privateKey, pt);
        expect(await b.signature.verify(sk.publicKey, pt, sig)).toBe(true);
      }
    },
  );

  it("serves a PQ suite at another code point on request", () => {
    registerPqCipherSuite(10, 0xf0b0);
    const s = getCipherSuite(0xf0b0);
    expect([s.id, s.name, s.hpke.kem.id, s.signature.id]).toEqual([
      0xf0b0,
      "MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65",
      0x0041,
      0x0905,
    ]);
    expect(getCipherSuite(0xf00a).id).toBe(0xf00a);
    expect(() => registerPqCipherSuite(12, 0xf0b1)).toThrow(UsageError);
    expect(() => registerPqCipherSuite(1, 0xf001)).toThrow(UsageError);
  });

  it("caches instances per id and backend", () => {
    expect(getCipherSuite(1)).toBe(getCipherSuite(1, { backend: "auto" }));
    expect(getCipherSuite(2, { backend: "js" })).toBe(getCipherSuite(2, { backend: "js" }));
    expect(getCipherSuite(2, { backend: "js" })).not.toBe(getCipherSuite(2, { backend: "node" }));
  });

  it("knows which ids it supports", () => {
    for (const id of SUITE_IDS) expect(isSupportedCipherSuite(id)).toBe(true);
    for (const [id] of PQ_EXPECTED) expect(isSupportedCipherSuite(id)).toBe(true);
    for (const id of [0, 8, 0xf000, 0xf00c, 0xffff, 1.5, -1])
      expect(isSupportedCipherSuite(id)).toBe(false);
    expect(() => getCipherSuite(8)).toThrow(UsageError);
  });

  it("takes new suites through registerCipherSuite", () => {
    const id = 0xf0a1;
    const base = getCipherSuite(1);
    const seen: string[] = [];
    registerCipherSuite(id, ({ backend }) => {
      seen.push(backend);
      return { ...getCipherSuite(1, { backend }), id, name: "TEST_SUITE" };
    });
    expect(isSupportedCipherSuite(id)).toBe(true);
    const s = getCipherSuite(id);
    expect(s.name).toBe("TEST_SUITE");
    expect(s.hash).toBe(base.hash);
    expect(getCipherSuite(id)).toBe(s);
    getCipherSuite(id, { backend: "js" });
    expect(seen).toEqual(["auto", "js"]);
    expect(() => registerCipherSuite(id, () => s)).toThrow(UsageError);
    expect(() => registerCipherSuite(1, () => s)).toThrow(UsageError);
    expect(() => registerCipherSuite(0, () => s)).toThrow(UsageError);
    expect(() => registerCipherSuite(0x10000, () => s)).toThrow(UsageError);
  });

  it("refuses a factory that builds a suite with another id", () => {
    registerCipherSuite(0xf0a2, () => getCipherSuite(1));
    expect(() => getCipherSuite(0xf0a2)).toThrow(UsageError);
  });
});
