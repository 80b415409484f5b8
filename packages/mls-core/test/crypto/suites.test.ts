import { describe, expect, it } from "vitest";
import {
  CIPHER_SUITES,
  getCipherSuite,
  isSupportedCipherSuite,
  registerCipherSuite,
} from "../../src/crypto/suites.js";
import { UsageError } from "../../src/errors.js";
import { SUITE_IDS } from "./helpers.js";

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

describe("the cipher-suite table", () => {
  it("lists the seven suites of RFC 9420 §17.1", () => {
    expect(
      CIPHER_SUITES.map((s) => [s.id, s.name, s.kemId, s.kdfId, s.aeadId, s.signatureSchemeId]),
    ).toEqual(EXPECTED.map((e) => e.slice(0, 6)));
  });

  it.each(EXPECTED)(
    "suite %i is assembled from the right primitives",
    (id, name, kem, kdf, aead, sig, nh) => {
      for (const backend of ["auto", "node", "js"] as const) {
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

  it("caches instances per id and backend", () => {
    expect(getCipherSuite(1)).toBe(getCipherSuite(1, { backend: "auto" }));
    expect(getCipherSuite(2, { backend: "js" })).toBe(getCipherSuite(2, { backend: "js" }));
    expect(getCipherSuite(2, { backend: "js" })).not.toBe(getCipherSuite(2, { backend: "node" }));
  });

  it("knows which ids it supports", () => {
    for (const id of SUITE_IDS) expect(isSupportedCipherSuite(id)).toBe(true);
    for (const id of [0, 8, 0xffff, 1.5, -1]) expect(isSupportedCipherSuite(id)).toBe(false);
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
