import { describe, expect, it } from "vitest";
import type { AeadName, CryptoBackend, DhName, HashName } from "../../src/crypto/backend.js";
import { DHKEM_HASH, dhKem } from "../../src/crypto/hpke/dhkem.js";
import { HpkeSuite } from "../../src/crypto/hpke/hpke.js";
import { CryptoError } from "../../src/errors.js";
import { toHex } from "../../src/util/bytes.js";
import { BACKENDS, flipBit, hex, readFixture } from "./helpers.js";

/** RFC 9180 base-mode vectors for the KEM/KDF/AEAD triples of the MLS suites. */
interface Fixture {
  source: { repo: string; commit: string; path: string };
  missing: { mls_cipher_suite: number; kem_id: number; kdf_id: number; aead_id: number }[];
  cases: {
    mls_cipher_suite: number;
    mode: number;
    kem_id: number;
    kdf_id: number;
    aead_id: number;
    info: string;
    ikmR: string;
    ikmE: string;
    skRm: string;
    pkRm: string;
    skEm: string;
    pkEm: string;
    enc: string;
    shared_secret: string;
    key: string;
    base_nonce: string;
    exporter_secret: string;
    encryptions: { aad: string; ct: string; nonce: string; pt: string }[];
    exports: { exporter_context: string; L: number; exported_value: string }[];
  }[];
}

const fixture = readFixture<Fixture>("rfc9180-base-mode.json");

const KEM: Record<number, DhName> = {
  16: "P-256",
  17: "P-384",
  18: "P-521",
  32: "X25519",
  33: "X448",
};
const KDF: Record<number, HashName> = { 1: "SHA-256", 2: "SHA-384", 3: "SHA-512" };
const AEAD: Record<number, AeadName> = {
  1: "AES-128-GCM",
  2: "AES-256-GCM",
  3: "ChaCha20Poly1305",
};

function build(backend: CryptoBackend, c: Fixture["cases"][number]) {
  const dh = KEM[c.kem_id]!;
  const kem = dhKem(backend.dh(dh), backend.kdf(DHKEM_HASH[dh]));
  const hpke = new HpkeSuite(kem, backend.kdf(KDF[c.kdf_id]!), backend.aead(AEAD[c.aead_id]!));
  return { kem, hpke };
}

describe("RFC 9180 fixture", () => {
  it("names its source and covers suites 1–6; suite 7's triple is not in the official file", () => {
    expect(fixture.source.repo).toBe("cfrg/draft-irtf-cfrg-hpke");
    expect(fixture.cases.map((c) => c.mls_cipher_suite)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fixture.missing).toEqual([{ mls_cipher_suite: 7, kem_id: 0x11, kdf_id: 2, aead_id: 2 }]);
    for (const c of fixture.cases) expect(c.mode).toBe(0);
  });
});

describe.each(BACKENDS)("$name backend: RFC 9180 base-mode vectors", (backend) => {
  describe.each(fixture.cases.map((c) => [c.mls_cipher_suite, c] as const))(
    "suite %i triple",
    (_suite, c) => {
      const { kem, hpke } = build(backend, c);

      it("DeriveKeyPair(ikmR), DeriveKeyPair(ikmE)", async () => {
        const r = await kem.deriveKeyPair(hex(c.ikmR));
        expect(toHex(r.privateKey)).toBe(c.skRm);
        expect(toHex(r.publicKey)).toBe(c.pkRm);
        const e = await kem.deriveKeyPair(hex(c.ikmE));
        expect(toHex(e.privateKey)).toBe(c.skEm);
        expect(toHex(e.publicKey)).toBe(c.pkEm);
      });

      it("deterministic Encap and Decap", async () => {
        const { sharedSecret, enc } = await kem.encapDeterministic(hex(c.pkRm), hex(c.ikmE));
        expect(toHex(enc)).toBe(c.enc);
        expect(toHex(sharedSecret)).toBe(c.shared_secret);
        const ss = await kem.decap(hex(c.enc), hex(c.skRm), hex(c.pkRm));
        expect(toHex(ss)).toBe(c.shared_secret);
      });

      it("key schedule", async () => {
        const s = await hpke.keySchedule(hex(c.shared_secret), hex(c.info));
        expect(toHex(s.key)).toBe(c.key);
        expect(toHex(s.baseNonce)).toBe(c.base_nonce);
        expect(toHex(s.exporterSecret)).toBe(c.exporter_secret);
      });

      it("SetupBaseS / Seal for sequence numbers 0 and 1, and Export", async () => {
        const { enc, context } = await hpke.setupBaseS(hex(c.pkRm), hex(c.info), hex(c.ikmE));
        expect(toHex(enc)).toBe(c.enc);
        expect(c.encryptions[1]!.nonce).not.toBe(c.base_nonce); // seq 1 really is exercised
        for (const e of c.encryptions) {
          expect(toHex(await context.seal(hex(e.aad), hex(e.pt)))).toBe(e.ct);
        }
        for (const x of c.exports) {
          expect(toHex(await context.export(hex(x.exporter_context), x.L))).toBe(x.exported_value);
        }
      });

      it("SetupBaseR / Open in order; a replayed or reordered ciphertext fails", async () => {
        const ctx = await hpke.setupBaseR(hex(c.skRm), hex(c.pkRm), hex(c.enc), hex(c.info));
        const [first, second] = c.encryptions;
        await expect(ctx.open(hex(second!.aad), hex(second!.ct))).rejects.toThrow(CryptoError);
        expect(toHex(await ctx.open(hex(first!.aad), hex(first!.ct)))).toBe(first!.pt);
        expect(toHex(await ctx.open(hex(second!.aad), hex(second!.ct)))).toBe(second!.pt);
        expect(ctx.seq).toBe(2);
      });

      it("single-shot Open and receiveExport (sequence number 0)", async () => {
        const e = c.encryptions[0]!;
        const pt = await hpke.open(
          hex(c.skRm),
          hex(c.pkRm),
          hex(c.enc),
          hex(c.info),
          hex(e.aad),
          hex(e.ct),
        );
        expect(toHex(pt)).toBe(e.pt);
        await expect(
          hpke.open(
            hex(c.skRm),
            hex(c.pkRm),
            hex(c.enc),
            hex(c.info),
            hex(e.aad),
            flipBit(hex(e.ct)),
          ),
        ).rejects.toThrow(CryptoError);
        const x = c.exports[0]!;
        const secret = await hpke.receiveExport(
          hex(c.skRm),
          hex(c.pkRm),
          hex(c.enc),
          hex(c.info),
          hex(x.exporter_context),
          x.L,
        );
        expect(toHex(secret)).toBe(x.exported_value);
      });
    },
  );
});
