import { describe, expect, it } from "vitest";
import type { HashName } from "../../src/crypto/backend.js";
import { CryptoError, UsageError } from "../../src/errors.js";
import { toHex, utf8 } from "../../src/util/bytes.js";
import { BACKENDS, flipBit, hex } from "./helpers.js";

const HASHES: readonly HashName[] = ["SHA-256", "SHA-384", "SHA-512"];

// FIPS 180-4 example "abc" digests.
const ABC: Record<HashName, string> = {
  "SHA-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  "SHA-384":
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed" +
    "8086072ba1e7cc2358baeca134c825a7",
  "SHA-512":
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
};

// RFC 4231 §4.2 (test case 1) and §4.3 (test case 2).
const HMAC_CASES: { key: Uint8Array; data: Uint8Array; mac: Record<HashName, string> }[] = [
  {
    key: new Uint8Array(20).fill(0x0b),
    data: utf8("Hi There"),
    mac: {
      "SHA-256": "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "SHA-384":
        "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c" +
        "faea9ea9076ede7f4af152e8b2fa9cb6",
      "SHA-512":
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde" +
        "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
    },
  },
  {
    key: utf8("Jefe"),
    data: utf8("what do ya want for nothing?"),
    mac: {
      "SHA-256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "SHA-384":
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e" +
        "8e2240ca5e69e2c78b3239ecfab21649",
      "SHA-512":
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554" +
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    },
  },
];

// RFC 5869 Appendix A.1 and A.3 (HKDF-SHA256).
const HKDF_CASES = [
  {
    ikm: new Uint8Array(22).fill(0x0b),
    salt: hex("000102030405060708090a0b0c"),
    info: hex("f0f1f2f3f4f5f6f7f8f9"),
    prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
    okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  },
  {
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
    okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  },
];

describe.each(BACKENDS)("$name backend: hash, HMAC, HKDF", (backend) => {
  it.each(HASHES)("%s digest of 'abc' (FIPS 180-4)", async (name) => {
    const h = backend.hash(name);
    expect(toHex(await h.digest(utf8("abc")))).toBe(ABC[name]);
    expect(h.size).toBe(ABC[name].length / 2);
  });

  it.each(HASHES)("%s HMAC (RFC 4231 cases 1 and 2)", async (name) => {
    for (const c of HMAC_CASES) {
      expect(toHex(await backend.hash(name).mac(c.key, c.data))).toBe(c.mac[name]);
    }
  });

  it("HMAC-SHA-256 with a key longer than the block (RFC 4231 case 6)", async () => {
    const mac = await backend
      .hash("SHA-256")
      .mac(
        new Uint8Array(131).fill(0xaa),
        utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
      );
    expect(toHex(mac)).toBe("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  });

  it("HKDF-SHA256 Extract and Expand (RFC 5869 A.1, A.3)", async () => {
    const kdf = backend.kdf("SHA-256");
    expect(kdf.id).toBe(1);
    expect(kdf.Nh).toBe(32);
    for (const c of HKDF_CASES) {
      const prk = await kdf.extract(c.salt, c.ikm);
      expect(toHex(prk)).toBe(c.prk);
      expect(toHex(await kdf.expand(prk, c.info, 42))).toBe(c.okm);
      // Expand's output is a prefix of a longer Expand's.
      expect(toHex(await kdf.expand(prk, c.info, 7))).toBe(c.okm.slice(0, 14));
    }
  });

  it.each(HASHES)("HKDF-%s ids, lengths and range checks", async (name) => {
    const kdf = backend.kdf(name);
    expect(kdf.id).toBe({ "SHA-256": 1, "SHA-384": 2, "SHA-512": 3 }[name]);
    const prk = await kdf.extract(new Uint8Array(0), utf8("ikm"));
    expect(prk.length).toBe(kdf.Nh);
    expect((await kdf.expand(prk, utf8("info"), 255 * kdf.Nh)).length).toBe(255 * kdf.Nh);
    expect((await kdf.expand(prk, utf8("info"), 0)).length).toBe(0);
    await expect(kdf.expand(prk, utf8("info"), 255 * kdf.Nh + 1)).rejects.toThrow(UsageError);
    // The empty salt is HashLen zero bytes (RFC 5869 §2.2).
    expect(await kdf.extract(new Uint8Array(kdf.Nh), utf8("ikm"))).toEqual(prk);
  });
});

describe("node and JS agree on HKDF over random inputs", () => {
  it.each(HASHES)("HKDF-%s", async (name) => {
    const [a, b] = BACKENDS.map((x) => x.kdf(name));
    for (const len of [1, 31, 32, 48, 64, 65, 200]) {
      const salt = BACKENDS[0]!.randomBytes(len % 50);
      const ikm = BACKENDS[0]!.randomBytes(len);
      const info = BACKENDS[0]!.randomBytes(len % 17);
      const prkA = await a!.extract(salt, ikm);
      expect(prkA).toEqual(await b!.extract(salt, ikm));
      expect(await a!.expand(prkA, info, len)).toEqual(await b!.expand(prkA, info, len));
    }
  });
});

// NIST GCM specification, test case 3 (AES-128, 96-bit IV, no AAD).
const GCM_TC3 = {
  key: "feffe9928665731c6d6a8f9467308308",
  iv: "cafebabefacedbaddecaf888",
  pt:
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
  ct:
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985" +
    "4d5c2af327cd64a62cf35abd2ba6fab4",
};

describe.each(BACKENDS)("$name backend: AEAD", (backend) => {
  it("AES-128-GCM known answer (GCM spec test case 3)", async () => {
    const aead = backend.aead("AES-128-GCM");
    const ct = await aead.seal(
      hex(GCM_TC3.key),
      hex(GCM_TC3.iv),
      new Uint8Array(0),
      hex(GCM_TC3.pt),
    );
    expect(toHex(ct)).toBe(GCM_TC3.ct);
    const pt = await aead.open(hex(GCM_TC3.key), hex(GCM_TC3.iv), new Uint8Array(0), ct);
    expect(toHex(pt)).toBe(GCM_TC3.pt);
  });

  it.each(["AES-128-GCM", "AES-256-GCM", "ChaCha20Poly1305"] as const)(
    "%s round trip, tamper and misuse",
    async (name) => {
      const aead = backend.aead(name);
      expect([aead.id, aead.Nk, aead.Nn, aead.Nt]).toEqual(
        {
          "AES-128-GCM": [1, 16, 12, 16],
          "AES-256-GCM": [2, 32, 12, 16],
          ChaCha20Poly1305: [3, 32, 12, 16],
        }[name],
      );
      const key = backend.randomBytes(aead.Nk);
      const nonce = backend.randomBytes(aead.Nn);
      const aad = utf8("header");
      for (const size of [0, 1, 16, 100]) {
        const pt = backend.randomBytes(size);
        const ct = await aead.seal(key, nonce, aad, pt);
        expect(ct.length).toBe(size + aead.Nt);
        expect(await aead.open(key, nonce, aad, ct)).toEqual(pt);
        await expect(aead.open(key, nonce, aad, flipBit(ct, -1))).rejects.toThrow(CryptoError);
        await expect(aead.open(key, nonce, aad, flipBit(ct, 0))).rejects.toThrow(CryptoError);
        await expect(aead.open(key, nonce, utf8("other"), ct)).rejects.toThrow(CryptoError);
        await expect(aead.open(key, flipBit(nonce), aad, ct)).rejects.toThrow(CryptoError);
        await expect(aead.open(flipBit(key), nonce, aad, ct)).rejects.toThrow(CryptoError);
      }
      await expect(aead.open(key, nonce, aad, new Uint8Array(aead.Nt - 1))).rejects.toThrow(
        CryptoError,
      );
      await expect(aead.seal(key.subarray(1), nonce, aad, aad)).rejects.toThrow(UsageError);
      await expect(aead.seal(key, nonce.subarray(1), aad, aad)).rejects.toThrow(UsageError);
    },
  );
});

describe("node and JS AEADs are interchangeable", () => {
  it.each(["AES-128-GCM", "AES-256-GCM", "ChaCha20Poly1305"] as const)("%s", async (name) => {
    const [a, b] = BACKENDS.map((x) => x.aead(name));
    const key = BACKENDS[0]!.randomBytes(a!.Nk);
    const nonce = BACKENDS[0]!.randomBytes(12);
    const pt = BACKENDS[0]!.randomBytes(77);
    const aad = BACKENDS[0]!.randomBytes(13);
    const ctA = await a!.seal(key, nonce, aad, pt);
    expect(await b!.seal(key, nonce, aad, pt)).toEqual(ctA);
    expect(await b!.open(key, nonce, aad, ctA)).toEqual(pt);
  });
});

describe.each(BACKENDS)("$name backend: randomBytes", (backend) => {
  it("returns fresh arrays of the asked length, also beyond 64 KiB", () => {
    const a = backend.randomBytes(32);
    const b = backend.randomBytes(32);
    expect(a.length).toBe(32);
    expect(a).not.toEqual(b);
    const big = backend.randomBytes(70_000);
    expect(big.length).toBe(70_000);
    expect(big.subarray(66_000).some((x) => x !== 0)).toBe(true);
  });
});
