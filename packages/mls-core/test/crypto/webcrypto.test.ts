import { describe, expect, it } from "vitest";
import { bySizeHash } from "../../src/crypto/bySizeHash.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import type { Hash } from "../../src/crypto/provider.js";
import { cipherSuiteImplementations, getCipherSuite } from "../../src/crypto/suites.js";
import {
  webCryptoBackend,
  webCryptoDecisions,
  webCryptoImplementation,
} from "../../src/crypto/webcrypto/index.js";
import { PrivateKeyCache } from "../../src/crypto/webcrypto/keyCache.js";
import { UsageError } from "../../src/errors.js";
import { utf8 } from "../../src/util/bytes.js";

/**
 * The WebCrypto backend's own choices (the primitives themselves are checked against the
 * known answers with every other backend, test/crypto/*.test.ts via BACKENDS). Node ≥ 20 has
 * `crypto.subtle` with Ed25519 and X25519, as current browsers do.
 */
describe("WebCrypto backend", () => {
  it("takes what crypto.subtle has and noble for what WebCrypto lacks", async () => {
    expect(await webCryptoImplementation("dh", "X25519")).toBe("webcrypto");
    expect(await webCryptoImplementation("dh", "P-521")).toBe("webcrypto");
    expect(await webCryptoImplementation("signature", "Ed25519")).toBe("webcrypto");
    expect(await webCryptoImplementation("aead", "AES-256-GCM")).toBe("webcrypto");
    expect(await webCryptoImplementation("dh", "X448")).toBe("js");
    expect(await webCryptoImplementation("signature", "Ed448")).toBe("js");
    expect(await webCryptoImplementation("aead", "ChaCha20Poly1305")).toBe("js");
    expect(webCryptoDecisions()).toMatchObject({ "dh:X25519": "webcrypto", "dh:X448": "js" });
  });

  it("refuses a primitive it does not know, with a usage error", async () => {
    await expect(webCryptoImplementation("hash", "MD5")).rejects.toBeInstanceOf(UsageError);
  });

  it('"webcrypto" composes a suite as a browser does: curves and AES-GCM native, HKDF on noble, hashing by size', async () => {
    expect(await cipherSuiteImplementations(getCipherSuite(1, { backend: "webcrypto" }))).toEqual({
      hash: "js+webcrypto",
      kdf: "js",
      aead: "webcrypto",
      kem: "webcrypto",
      signature: "webcrypto",
    });
    // Suite 3: ChaCha20-Poly1305 is not in WebCrypto.
    expect(
      await cipherSuiteImplementations(getCipherSuite(3, { backend: "webcrypto" })),
    ).toMatchObject({
      aead: "js",
      kem: "webcrypto",
    });
    // 0xF00A: ML-KEM and ML-DSA are noble's everywhere.
    expect(
      await cipherSuiteImplementations(getCipherSuite(0xf00a, { backend: "webcrypto" })),
    ).toEqual({
      hash: "js+webcrypto",
      kdf: "js",
      aead: "webcrypto",
      kem: "js",
      signature: "js",
    });
    expect(await cipherSuiteImplementations(getCipherSuite(1, { backend: "node" }))).toEqual({
      hash: "node",
      kdf: "node",
      aead: "node",
      kem: "node",
      signature: "node",
    });
  });

  it("cipherSuiteImplementations refuses a suite it did not build", async () => {
    const copy = { ...getCipherSuite(1) };
    await expect(cipherSuiteImplementations(copy)).rejects.toBeInstanceOf(UsageError);
  });

  it("a by-size hash agrees with both of its halves and takes the native one from 256 bytes", async () => {
    const calls: string[] = [];
    const spy = (name: string, h: Hash): Hash => ({
      ...h,
      digest: (d) => {
        calls.push(name);
        return h.digest(d);
      },
      mac: (k, d) => {
        calls.push(name);
        return h.mac(k, d);
      },
    });
    const h = bySizeHash(
      spy("js", nobleBackend.hash("SHA-256")),
      spy("web", webCryptoBackend.hash("SHA-256")),
      256,
    );
    for (const n of [0, 1, 255, 256, 4096]) {
      const data = new Uint8Array(n).fill(n & 0xff);
      expect(await h.digest(data)).toEqual(await nobleBackend.hash("SHA-256").digest(data));
      expect(await h.mac(utf8("k"), data)).toEqual(
        await nobleBackend.hash("SHA-256").mac(utf8("k"), data),
      );
    }
    expect(calls).toEqual(["js", "js", "js", "js", "js", "js", "web", "web", "web", "web"]);
  });

  it("HMAC with an empty key (HPKE's LabeledExtract salt) agrees with noble", async () => {
    const data = utf8("empty-key HMAC");
    for (const h of ["SHA-256", "SHA-384", "SHA-512"] as const)
      expect(await webCryptoBackend.hash(h).mac(new Uint8Array(0), data)).toEqual(
        await nobleBackend.hash(h).mac(new Uint8Array(0), data),
      );
  });

  it("the private-key cache misses when the caller's array now holds other bytes", async () => {
    const cache = new PrivateKeyCache<string>();
    const sk = new Uint8Array([1, 2, 3]);
    let made = 0;
    const make = async (b: Uint8Array) => `${++made}:${b.join(",")}`;
    expect(await cache.get(sk, make)).toBe("1:1,2,3");
    expect(await cache.get(sk, make)).toBe("1:1,2,3");
    sk[0] = 9;
    expect(await cache.get(sk, make)).toBe("2:9,2,3");
    expect(made).toBe(2);
  });
});
