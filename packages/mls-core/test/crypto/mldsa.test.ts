import { sha512 } from "@noble/hashes/sha2.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { describe, expect, it } from "vitest";
import { type MlDsaName, mlDsa, setPqKeyCaching } from "../../src/crypto/pq/index.js";
import { CryptoError } from "../../src/errors.js";
import { toHex, utf8 } from "../../src/util/bytes.js";
import { flipBit, hex, readFixture } from "./helpers.js";

/** A subset of the NIST ACVP ML-DSA vectors (test/fixtures/mldsa-acvp-subset.json; README there). */
interface Fixture {
  source: { repo: string; commit: string };
  keyGen: { tcId: number; parameterSet: MlDsaName; seed: string; pk: string; sk: string }[];
  sigGen: {
    tcId: number;
    parameterSet: MlDsaName;
    deterministic: boolean;
    message: string;
    sk: string;
    rnd?: string;
    signature: string;
  }[];
  sigVer: {
    tcId: number;
    parameterSet: MlDsaName;
    testPassed: boolean;
    reason: string;
    pk: string;
    message: string;
    signature: string;
  }[];
}

const fixture = readFixture<Fixture>("mldsa-acvp-subset.json");
const NOBLE = { "ML-DSA-44": ml_dsa44, "ML-DSA-65": ml_dsa65, "ML-DSA-87": ml_dsa87 } as const;
const lower = (s: string) => s.toLowerCase();

/** FIPS 204 Table 2 sizes and the TLS code points of draft-ietf-tls-mldsa. */
const SETS = [
  { set: "ML-DSA-44", id: 0x0904, tls: "mldsa44", Npk: 1312, Nsig: 2420 },
  { set: "ML-DSA-65", id: 0x0905, tls: "mldsa65", Npk: 1952, Nsig: 3309 },
  { set: "ML-DSA-87", id: 0x0906, tls: "mldsa87", Npk: 2592, Nsig: 4627 },
] as const;

describe("ML-DSA ACVP fixture", () => {
  it("names its source and covers every parameter set", () => {
    expect(fixture.source.repo).toBe("paulmillr/acvp-vectors");
    for (const { set } of SETS) {
      expect(fixture.keyGen.filter((t) => t.parameterSet === set).length).toBeGreaterThan(0);
      const sg = fixture.sigGen.filter((t) => t.parameterSet === set);
      expect(sg.some((t) => t.deterministic)).toBe(true);
      expect(sg.some((t) => !t.deterministic)).toBe(true);
      expect(fixture.sigVer.some((t) => t.parameterSet === set)).toBe(true);
    }
  });
});

describe.each(SETS)("$set", ({ set, id, tls, Npk, Nsig }) => {
  const scheme = mlDsa(set);

  it("has its TLS code point, name and sizes", () => {
    expect([scheme.id, scheme.name, scheme.Npk, scheme.Nsig]).toEqual([id, tls, Npk, Nsig]);
  });

  it.each(fixture.keyGen.filter((t) => t.parameterSet === set))(
    "ACVP keyGen tcId $tcId: the seed gives the pk and the expanded sk",
    async (t) => {
      expect(toHex(await scheme.publicKey(hex(t.seed)))).toBe(lower(t.pk));
      expect(toHex(scheme.expand(hex(t.seed)).signingKey)).toBe(lower(t.sk));
    },
  );

  it.each(fixture.sigGen.filter((t) => t.parameterSet === set))(
    "ACVP sigGen tcId $tcId (pure, empty context, deterministic: $deterministic)",
    async (t) => {
      const rnd = t.rnd === undefined ? new Uint8Array(32) : hex(t.rnd);
      const sig = scheme.signWithExpandedKey(hex(t.sk), hex(t.message), rnd);
      expect(toHex(sig)).toBe(lower(t.signature));
      // The published signature verifies through the scheme (pk computed from the sk).
      const pk = NOBLE[set].getPublicKey(hex(t.sk));
      expect(await scheme.verify(pk, hex(t.message), hex(t.signature))).toBe(true);
      expect(await scheme.verify(pk, flipBit(hex(t.message)), hex(t.signature))).toBe(false);
    },
  );

  it.each(fixture.sigVer.filter((t) => t.parameterSet === set))(
    "ACVP sigVer tcId $tcId: $reason",
    async (t) => {
      expect(await scheme.verify(hex(t.pk), hex(t.message), hex(t.signature))).toBe(t.testPassed);
    },
  );

  it("signs and verifies; hedged signatures differ; tampering fails", async () => {
    const kp = await scheme.generateKeyPair();
    expect(kp.privateKey).toHaveLength(32);
    expect(kp.publicKey).toHaveLength(Npk);
    expect(await scheme.publicKey(kp.privateKey)).toEqual(kp.publicKey);
    const msg = utf8("MLS 1.0 signed content");
    const s1 = await scheme.sign(kp.privateKey, msg);
    const s2 = await scheme.sign(kp.privateKey, msg);
    expect(s1).toHaveLength(Nsig);
    expect(s1).not.toEqual(s2);
    expect(await scheme.verify(kp.publicKey, msg, s1)).toBe(true);
    expect(await scheme.verify(kp.publicKey, msg, s2)).toBe(true);
    expect(await scheme.verify(kp.publicKey, flipBit(msg), s1)).toBe(false);
    expect(await scheme.verify(kp.publicKey, msg, flipBit(s1, 100))).toBe(false);
    expect(await scheme.verify(flipBit(kp.publicKey, 40), msg, s1)).toBe(false);
    expect(await scheme.verify(kp.publicKey, msg, s1.subarray(1))).toBe(false);
    expect(await scheme.verify(kp.publicKey.subarray(1), msg, s1)).toBe(false);
    expect(await scheme.verify(kp.publicKey, msg, new Uint8Array(0))).toBe(false);
  });

  it("is pure ML-DSA with the empty context: other contexts and HashML-DSA do not verify", async () => {
    const seed = new Uint8Array(32).fill(3);
    const { secretKey, publicKey } = NOBLE[set].keygen(seed);
    const msg = utf8("message");
    const plain = NOBLE[set].sign(msg, secretKey, { context: new Uint8Array(0) });
    expect(await scheme.verify(publicKey, msg, plain)).toBe(true);
    const withContext = NOBLE[set].sign(msg, secretKey, { context: utf8("ctx") });
    expect(await scheme.verify(publicKey, msg, withContext)).toBe(false);
    const preHashed = NOBLE[set].prehash(sha512).sign(msg, secretKey);
    expect(await scheme.verify(publicKey, msg, preHashed)).toBe(false);
    // And ours verifies under noble with the empty context.
    const ours = await scheme.sign(seed, msg);
    expect(NOBLE[set].verify(ours, msg, publicKey)).toBe(true);
  });

  it("refuses private keys that are not a 32-byte seed", async () => {
    for (const sk of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) {
      await expect(scheme.sign(sk, utf8("m"))).rejects.toThrow(CryptoError);
      await expect(scheme.publicKey(sk)).rejects.toThrow(CryptoError);
    }
  });

  it("the expanded-key cache never answers for bytes an array no longer holds", async () => {
    const sk = new Uint8Array(32).fill(1);
    const pk1 = await scheme.publicKey(sk);
    await scheme.sign(sk, utf8("m"));
    sk.fill(2);
    const pk2 = await scheme.publicKey(sk);
    expect(pk2).not.toEqual(pk1);
    expect(pk2).toEqual(NOBLE[set].keygen(new Uint8Array(32).fill(2)).publicKey);
    expect(await scheme.verify(pk2, utf8("m"), await scheme.sign(sk, utf8("m")))).toBe(true);
    // A returned public key is a copy: changing it does not change the cache.
    pk2.fill(0);
    expect(await scheme.publicKey(sk)).not.toEqual(pk2);
    setPqKeyCaching(false);
    try {
      expect(await scheme.verify(pk1, utf8("x"), await scheme.sign(sk.fill(1), utf8("x")))).toBe(
        true,
      );
    } finally {
      setPqKeyCaching(true);
    }
  });
});
