import { describe, expect, it } from "vitest";
import type { SignatureName } from "../../src/crypto/backend.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { nodeBackend } from "../../src/crypto/node/index.js";
import { CryptoError } from "../../src/errors.js";
import { toHex, utf8 } from "../../src/util/bytes.js";
import { BACKENDS, flipBit, hex, labeledContent, readMlsVectors } from "./helpers.js";

const SCHEMES: readonly { name: SignatureName; id: number; tls: string; Npk: number }[] = [
  { name: "Ed25519", id: 0x0807, tls: "ed25519", Npk: 32 },
  { name: "Ed448", id: 0x0808, tls: "ed448", Npk: 57 },
  { name: "ECDSA-P256-SHA256", id: 0x0403, tls: "ecdsa_secp256r1_sha256", Npk: 65 },
  { name: "ECDSA-P384-SHA384", id: 0x0503, tls: "ecdsa_secp384r1_sha384", Npk: 97 },
  { name: "ECDSA-P521-SHA512", id: 0x0603, tls: "ecdsa_secp521r1_sha512", Npk: 133 },
];

const SUITE_SIGNATURE: Record<number, SignatureName> = {
  1: "Ed25519",
  2: "ECDSA-P256-SHA256",
  3: "Ed25519",
  4: "Ed448",
  5: "ECDSA-P521-SHA512",
  6: "Ed448",
  7: "ECDSA-P384-SHA384",
};

interface CryptoBasics {
  cipher_suite: number;
  sign_with_label: {
    content: string;
    label: string;
    priv: string;
    pub: string;
    signature: string;
  };
}

describe.each(BACKENDS)("$name backend: signatures", (backend) => {
  describe.each(SCHEMES)("$name", ({ name, id, tls, Npk }) => {
    const scheme = backend.signature(name);

    it("has its TLS code point and name", () => {
      expect(scheme.id).toBe(id);
      expect(scheme.name).toBe(tls);
    });

    it("signs and verifies; rejects tampered messages, signatures and keys", async () => {
      const { privateKey, publicKey } = await scheme.generateKeyPair();
      expect(publicKey.length).toBe(Npk);
      expect(await scheme.publicKey(privateKey)).toEqual(publicKey);
      const msg = utf8("a message to sign");
      const sig = await scheme.sign(privateKey, msg);
      expect(await scheme.verify(publicKey, msg, sig)).toBe(true);
      expect(await scheme.verify(publicKey, flipBit(msg), sig)).toBe(false);
      expect(await scheme.verify(publicKey, msg, flipBit(sig, -1))).toBe(false);
      expect(await scheme.verify(publicKey, msg, flipBit(sig, 10))).toBe(false);
      const other = await scheme.generateKeyPair();
      expect(await scheme.verify(other.publicKey, msg, sig)).toBe(false);
      // Malformed inputs give false, never an exception.
      expect(await scheme.verify(publicKey, msg, new Uint8Array(0))).toBe(false);
      expect(await scheme.verify(publicKey, msg, sig.subarray(1))).toBe(false);
      expect(await scheme.verify(publicKey, msg, new Uint8Array([...sig, 0]))).toBe(false);
      expect(await scheme.verify(publicKey.subarray(1), msg, sig)).toBe(false);
      expect(await scheme.verify(new Uint8Array(Npk), msg, sig)).toBe(false);
      expect(await scheme.verify(flipBit(publicKey, -1), msg, sig)).toBe(false);
    });

    it("refuses a private key of the wrong size", async () => {
      const { privateKey } = await scheme.generateKeyPair();
      const tooLong = new Uint8Array([1, ...privateKey]);
      await expect(scheme.sign(tooLong, utf8("m"))).rejects.toThrow(CryptoError);
    });
  });

  it("ECDSA refuses the zero scalar and scalars not below the group order", async () => {
    const p256 = backend.signature("ECDSA-P256-SHA256");
    await expect(p256.sign(new Uint8Array(32), utf8("m"))).rejects.toThrow(CryptoError);
    await expect(p256.sign(new Uint8Array(32).fill(0xff), utf8("m"))).rejects.toThrow(CryptoError);
  });

  it("accepts a P-521 private key with its leading zero byte dropped", async () => {
    const p521 = backend.signature("ECDSA-P521-SHA512");
    let kp = await p521.generateKeyPair();
    while (kp.privateKey[0] !== 0) kp = await p521.generateKeyPair(); // top byte is 0 or 1
    const short = kp.privateKey.subarray(1);
    expect(await p521.publicKey(short)).toEqual(kp.publicKey);
    const sig = await p521.sign(short, utf8("m"));
    expect(await p521.verify(kp.publicKey, utf8("m"), sig)).toBe(true);
  });
});

describe("official MLS vectors (crypto-basics sign_with_label), both backends", () => {
  const vectors = readMlsVectors<CryptoBasics[]>("crypto-basics.json");
  it.each(vectors.map((v) => [v.cipher_suite, v] as const))("suite %i", async (suite, v) => {
    const s = v.sign_with_label;
    const content = labeledContent(s.label, hex(s.content));
    for (const backend of BACKENDS) {
      const scheme = backend.signature(SUITE_SIGNATURE[suite]!);
      expect(toHex(await scheme.publicKey(hex(s.priv)))).toBe(s.pub);
      expect(await scheme.verify(hex(s.pub), content, hex(s.signature))).toBe(true);
      expect(await scheme.verify(hex(s.pub), flipBit(content), hex(s.signature))).toBe(false);
      const mine = await scheme.sign(hex(s.priv), content);
      expect(await scheme.verify(hex(s.pub), content, mine)).toBe(true);
      // EdDSA is deterministic: the published signature must be reproduced exactly.
      if (suite === 1 || suite === 3 || suite === 4 || suite === 6) {
        expect(toHex(mine)).toBe(s.signature);
      }
    }
  });
});

describe("node and JS signatures are interchangeable", () => {
  it.each(SCHEMES)("$name", async ({ name }) => {
    const n = nodeBackend.signature(name);
    const j = nobleBackend.signature(name);
    const msg = nodeBackend.randomBytes(100);
    for (const [signer, verifier] of [
      [n, j],
      [j, n],
    ] as const) {
      const kp = await signer.generateKeyPair();
      expect(await verifier.publicKey(kp.privateKey)).toEqual(kp.publicKey);
      const sig = await signer.sign(kp.privateKey, msg);
      expect(await verifier.verify(kp.publicKey, msg, sig)).toBe(true);
      expect(await verifier.verify(kp.publicKey, flipBit(msg), sig)).toBe(false);
    }
    if (name === "Ed25519" || name === "Ed448") {
      const kp = await n.generateKeyPair();
      expect(await j.sign(kp.privateKey, msg)).toEqual(await n.sign(kp.privateKey, msg));
    }
  });

  it("ECDSA: JS verification accepts the high-S signatures OpenSSL produces", async () => {
    // noble signs low-S only; OpenSSL signs either. Over 16 OpenSSL signatures, about half are
    // high-S, and noble must accept them all (verify with lowS: false).
    const n = nodeBackend.signature("ECDSA-P256-SHA256");
    const j = nobleBackend.signature("ECDSA-P256-SHA256");
    const kp = await n.generateKeyPair();
    for (let i = 0; i < 16; i++) {
      const msg = utf8(`message ${i}`);
      expect(await j.verify(kp.publicKey, msg, await n.sign(kp.privateKey, msg))).toBe(true);
    }
  });
});
