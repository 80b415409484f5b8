import { p256, p384, p521 } from "@noble/curves/nist.js";
import { describe, expect, it } from "vitest";
import type { CryptoBackend, DhName } from "../../src/crypto/backend.js";
import { NIST_CURVES } from "../../src/crypto/curves.js";
import { DHKEM_HASH, DHKEM_ID, dhKem } from "../../src/crypto/hpke/dhkem.js";
import { nobleBackend } from "../../src/crypto/noble/index.js";
import { nodeBackend } from "../../src/crypto/node/index.js";
import { getCipherSuite } from "../../src/crypto/suites.js";
import { CryptoError } from "../../src/errors.js";
import { concat, toHex, utf8 } from "../../src/util/bytes.js";
import { BACKENDS, flipBit, hex, labeledContent, readMlsVectors, SUITE_IDS } from "./helpers.js";

const GROUPS: readonly DhName[] = ["X25519", "X448", "P-256", "P-384", "P-521"];

const kemOf = (backend: CryptoBackend, name: DhName) =>
  dhKem(backend.dh(name), backend.kdf(DHKEM_HASH[name]));

/** Low-order Montgomery u-coordinates: DH with them yields all zeros (RFC 7748 §6). */
const SMALL_ORDER: Record<"X25519" | "X448", Uint8Array[]> = {
  X25519: [new Uint8Array(32), concat(Uint8Array.of(1), new Uint8Array(31))],
  X448: [new Uint8Array(56), concat(Uint8Array.of(1), new Uint8Array(55))],
};

/** An uncompressed point that is not on the curve: (1, 1). */
function offCurve(size: number): Uint8Array {
  const p = new Uint8Array(1 + 2 * size);
  p[0] = 0x04;
  p[size] = 1;
  p[2 * size] = 1;
  return p;
}

describe("curve constants agree with @noble/curves", () => {
  it.each([
    ["P-256", p256],
    ["P-384", p384],
    ["P-521", p521],
  ] as const)("%s order and size", (name, curve) => {
    const info = NIST_CURVES[name];
    expect(BigInt(`0x${toHex(info.order)}`)).toBe(curve.Point.Fn.ORDER);
    expect(info.size).toBe(curve.Point.Fn.BYTES);
  });
});

describe.each(BACKENDS)("$name backend: DHKEM", (backend) => {
  describe.each(GROUPS)("%s", (name) => {
    const kem = kemOf(backend, name);

    it("round trip; sizes and id", async () => {
      expect(kem.id).toBe(DHKEM_ID[name]);
      const { privateKey, publicKey } = await kem.generateKeyPair();
      expect(privateKey.length).toBe(kem.Nsk);
      expect(publicKey.length).toBe(kem.Npk);
      await kem.validatePublicKey(publicKey);
      const { sharedSecret, enc } = await kem.encap(publicKey);
      expect(enc.length).toBe(kem.Nenc);
      expect(sharedSecret.length).toBe(kem.Nsecret);
      expect(await kem.decap(enc, privateKey, publicKey)).toEqual(sharedSecret);
      const again = await kem.encap(publicKey);
      expect(again.enc).not.toEqual(enc);
      expect(again.sharedSecret).not.toEqual(sharedSecret);
    });

    it("DeriveKeyPair is deterministic and its keys work", async () => {
      const ikm = backend.randomBytes(kem.Nsk);
      const a = await kem.deriveKeyPair(ikm);
      expect(await kem.deriveKeyPair(ikm)).toEqual(a);
      const { sharedSecret, enc } = await kem.encap(a.publicKey);
      expect(await kem.decap(enc, a.privateKey, a.publicKey)).toEqual(sharedSecret);
    });

    it("rejects public keys and encapsulations of the wrong length", async () => {
      const { privateKey, publicKey } = await kem.generateKeyPair();
      const { enc } = await kem.encap(publicKey);
      await expect(kem.encap(publicKey.subarray(1))).rejects.toThrow(CryptoError);
      await expect(kem.encap(concat(publicKey, Uint8Array.of(0)))).rejects.toThrow(CryptoError);
      await expect(kem.validatePublicKey(publicKey.subarray(1))).rejects.toThrow(CryptoError);
      await expect(kem.decap(enc.subarray(1), privateKey, publicKey)).rejects.toThrow(CryptoError);
      const longKey = concat(privateKey, Uint8Array.of(0));
      await expect(kem.decap(enc, longKey, publicKey)).rejects.toThrow(CryptoError);
    });

    if (name === "X25519" || name === "X448") {
      it("rejects small-order points: the all-zero DH output (RFC 9180 §7.1.4)", async () => {
        const { privateKey, publicKey } = await kem.generateKeyPair();
        for (const bad of SMALL_ORDER[name]) {
          await expect(kem.encap(bad)).rejects.toThrow(CryptoError);
          await expect(kem.decap(bad, privateKey, publicKey)).rejects.toThrow(CryptoError);
        }
      });
    } else {
      it("rejects points off the curve, compressed points and out-of-range scalars", async () => {
        const info = NIST_CURVES[name];
        const { privateKey, publicKey } = await kem.generateKeyPair();
        const { enc } = await kem.encap(publicKey);
        const bad = offCurve(info.size);
        await expect(kem.validatePublicKey(bad)).rejects.toThrow(CryptoError);
        await expect(kem.encap(bad)).rejects.toThrow(CryptoError);
        await expect(kem.decap(bad, privateKey, publicKey)).rejects.toThrow(CryptoError);
        await expect(kem.validatePublicKey(flipBit(publicKey, -1))).rejects.toThrow(CryptoError);
        const compressed = concat(
          Uint8Array.of(2 + (publicKey.at(-1)! & 1)),
          publicKey.subarray(1, 1 + info.size),
        );
        await expect(kem.encap(compressed)).rejects.toThrow(CryptoError);
        const wrongPrefix = publicKey.slice();
        wrongPrefix[0] = 0x06;
        await expect(kem.encap(wrongPrefix)).rejects.toThrow(CryptoError);
        await expect(kem.decap(enc, new Uint8Array(info.size), publicKey)).rejects.toThrow(
          CryptoError,
        );
        await expect(kem.decap(enc, info.order, publicKey)).rejects.toThrow(CryptoError);
        expect(await kem.decap(enc, privateKey, publicKey)).toHaveLength(kem.Nsecret);
      });
    }
  });

  it("P-521: a private key with its leading zero dropped is accepted", async () => {
    const kem = kemOf(backend, "P-521");
    let kp = await kem.generateKeyPair();
    while (kp.privateKey[0] !== 0) kp = await kem.generateKeyPair();
    const { sharedSecret, enc } = await kem.encap(kp.publicKey);
    expect(await kem.decap(enc, kp.privateKey.subarray(1), kp.publicKey)).toEqual(sharedSecret);
  });
});

describe("node and JS DHKEM agree", () => {
  it.each(GROUPS)("%s: DeriveKeyPair outputs and cross Encap/Decap", async (name) => {
    const n = kemOf(nodeBackend, name);
    const j = kemOf(nobleBackend, name);
    for (let i = 0; i < 4; i++) {
      const ikm = nodeBackend.randomBytes(32 + i);
      const kp = await n.deriveKeyPair(ikm);
      expect(await j.deriveKeyPair(ikm)).toEqual(kp);
      const a = await n.encap(kp.publicKey);
      expect(await j.decap(a.enc, kp.privateKey, kp.publicKey)).toEqual(a.sharedSecret);
      const b = await j.encap(kp.publicKey);
      expect(await n.decap(b.enc, kp.privateKey, kp.publicKey)).toEqual(b.sharedSecret);
      const ikmE = nodeBackend.randomBytes(32);
      expect(await n.encapDeterministic(kp.publicKey, ikmE)).toEqual(
        await j.encapDeterministic(kp.publicKey, ikmE),
      );
    }
  });
});

describe.each(SUITE_IDS)("suite %i: HPKE", (id) => {
  const node = getCipherSuite(id, { backend: "node" });
  const js = getCipherSuite(id, { backend: "js" });
  const info = utf8("info");
  const aad = utf8("aad");

  it("seal by one backend opens with the other; tampering fails", async () => {
    const kp = await node.hpke.kem.generateKeyPair();
    const pt = utf8("the plaintext");
    for (const [s, r] of [
      [node, js],
      [js, node],
      [node, node],
      [js, js],
    ] as const) {
      const { enc, ciphertext } = await s.hpke.seal(kp.publicKey, info, aad, pt);
      expect(await r.hpke.open(kp.privateKey, kp.publicKey, enc, info, aad, ciphertext)).toEqual(
        pt,
      );
      const open = (e: Uint8Array, i: Uint8Array, a: Uint8Array, c: Uint8Array) =>
        r.hpke.open(kp.privateKey, kp.publicKey, e, i, a, c);
      await expect(open(enc, info, aad, flipBit(ciphertext))).rejects.toThrow(CryptoError);
      await expect(open(enc, utf8("other"), aad, ciphertext)).rejects.toThrow(CryptoError);
      await expect(open(enc, info, utf8("other"), ciphertext)).rejects.toThrow(CryptoError);
      await expect(open(flipBit(enc, -1), info, aad, ciphertext)).rejects.toThrow(CryptoError);
    }
  });

  it("sendExport / receiveExport agree across backends", async () => {
    const kp = await js.hpke.kem.generateKeyPair();
    const ctx = utf8("exporter context");
    for (const [s, r] of [
      [node, js],
      [js, node],
    ] as const) {
      const { enc, secret } = await s.hpke.sendExport(kp.publicKey, info, ctx, 32);
      expect(secret).toHaveLength(32);
      expect(await r.hpke.receiveExport(kp.privateKey, kp.publicKey, enc, info, ctx, 32)).toEqual(
        secret,
      );
      expect(
        await r.hpke.receiveExport(kp.privateKey, kp.publicKey, enc, utf8("x"), ctx, 32),
      ).not.toEqual(secret);
    }
  });
});

interface CryptoBasics {
  cipher_suite: number;
  encrypt_with_label: {
    ciphertext: string;
    context: string;
    kem_output: string;
    label: string;
    plaintext: string;
    priv: string;
    pub: string;
  };
}

describe("official MLS vectors: encrypt_with_label opened with raw HPKE (RFC 9420 §5.1.3)", () => {
  const vectors = readMlsVectors<CryptoBasics[]>("crypto-basics.json");
  it.each(vectors.map((v) => [v.cipher_suite, v] as const))("suite %i", async (id, v) => {
    const e = v.encrypt_with_label;
    // EncryptContext { opaque label<V> = "MLS 1.0 " + label; opaque context<V> } is the info.
    const encryptContext = labeledContent(e.label, hex(e.context));
    for (const backend of ["node", "js"] as const) {
      const suite = getCipherSuite(id, { backend });
      const pt = await suite.hpke.open(
        hex(e.priv),
        hex(e.pub),
        hex(e.kem_output),
        encryptContext,
        new Uint8Array(0),
        hex(e.ciphertext),
      );
      expect(toHex(pt)).toBe(e.plaintext);
    }
  });
});
