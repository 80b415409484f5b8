/**
 * Fuzzing the receive paths (issue #9): `MlsGroup.process` with mutated application messages,
 * proposals and commits (PublicMessage and PrivateMessage), `ApqSession.process` with mutated
 * plain messages and APQMessagePairs, and `MlsGroup.join` with mutated Welcomes. Every mutated
 * message must be refused with a typed error and leave the receiver exactly as it was (its whole
 * serialised state: epoch, epoch authenticator, pending proposals, ratchets), and the valid
 * originals must still process afterwards. "Insider" cases go further: the mutated content is
 * signed and MACed again with the sender's real keys (inner KeyPackage and LeafNode signatures
 * too), so mutations reach proposal and commit validation; those may be accepted, but a refusal
 * must still be typed and change nothing.
 *
 * FUZZ_RUNS raises the runs per case; FUZZ_SEED replays a failure.
 */
import { decodeApqMessage } from "@hpqmls/pq-combiner";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, CryptoError, UsageError, ValidationError } from "../../src/index.js";
import { fuzzRuns, fuzzSeed, mutatedArb, sameBytes } from "./arbitraries.js";
import {
  apqFixture,
  checkInsider,
  checkJoin,
  checkOriginals,
  checkProcess,
  insiderMessage,
  joinFixture,
  joinWith,
  mlsFixture,
  type ProcessFixture,
  tHalfOf,
} from "./processFixtures.js";

const seed = fuzzSeed();
const params = (numRuns: number) => ({ numRuns, ...(seed === undefined ? {} : { seed }) });

const [mls, apqPrivate, apqPublic, join] = await Promise.all([
  mlsFixture(),
  apqFixture(),
  apqFixture({ publicHandshakes: true }),
  joinFixture(),
]);

function fuzzFixture(f: ProcessFixture, runs: number) {
  describe(f.name, () => {
    it("processes every valid original (sanity)", async () => {
      await checkOriginals(f);
    });

    for (const c of f.cases) {
      it(`mutated ${c.name}: typed error, nothing changes`, async () => {
        await fc.assert(
          fc.asyncProperty(mutatedArb([{ bytes: c.bytes, sites: c.sites }], c.avoid), (b) =>
            checkProcess(f, c, b),
          ),
          params(runs),
        );
      });
    }

    it("still processes every valid original after the fuzzing, at the same receiver", async () => {
      await checkOriginals(f);
      // And the receiver itself (not a copy) accepts the first original.
      expect(await f.process(f.cases[0]!.bytes)).toBe(f.cases[0]!.expect);
    });
  });
}

fuzzFixture(mls, fuzzRuns(500));

describe("MlsGroup.process, insider mutations (re-signed by the sending member)", () => {
  for (const c of mls.insider.cases) {
    it(`mutated ${c.name}, validly signed and MACed: processed or typed error, nothing changes`, async () => {
      await fc.assert(
        fc.asyncProperty(mutatedArb([{ bytes: c.content, sites: c.sites }], c.avoid), (b) =>
          checkInsider(mls.insider, c, b),
        ),
        params(fuzzRuns(600)),
      );
    });
  }

  it("the unmutated content, re-signed, is accepted (the harness builds real messages)", async () => {
    for (const c of mls.insider.cases) {
      const bytes = await insiderMessage(mls.insider, c, c.content, true);
      expect(bytes).toBeDefined();
      const r = await mls.processOnCopy(bytes!);
      expect(["proposal", "commit"]).toContain(r);
    }
  });
});
fuzzFixture(apqPrivate, fuzzRuns(200));
fuzzFixture(apqPublic, fuzzRuns(200));

describe("MlsGroup.join", () => {
  it("mutated Welcome: typed error, KeyPackage keys intact", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedArb([{ bytes: join.welcome, sites: join.sites }]), (b) =>
        checkJoin(join, b),
      ),
      params(fuzzRuns(500)),
    );
    const g = await joinWith(join, join.welcome, true);
    expect(g.epoch).toBe(1n);
  });
});

describe("ApqSession proposal pairs", () => {
  /** Alice's FULL-request Update pair with one bit of its T half's AEAD ciphertext flipped. */
  async function brokenTHalf() {
    const f = await apqFixture();
    const c = f.cases.find((x) => x.name.startsWith("FULL-request Update pair"))!;
    const t = tHalfOf(c.bytes);
    const bad = c.bytes.slice();
    bad[t.to - 3] = bad[t.to - 3]! ^ 0x01;
    return { f, c, bad };
  }

  it("a pair whose T half fails is refused with a CryptoError", async () => {
    const { f, bad } = await brokenTHalf();
    expect(decodeApqMessage(bad).kind).toBe("pair");
    await expect(f.process(bad)).rejects.toBeInstanceOf(CryptoError);
  });

  // Regression: ApqSession.processPair processed the PQ half of a proposal pair first, and
  // MlsGroup.process consumed its sender-ratchet key before the T half was looked at; a T half
  // that then failed left the PQ generation burnt ("generation N was already used", RFC 9420
  // §9.2), so the valid pair could no longer be processed.
  it("a pair whose T half fails changes nothing; the valid pair still processes", async () => {
    const { f, c, bad } = await brokenTHalf();
    const before = f.state();
    await f.process(bad).catch(() => undefined);
    expect(sameBytes(f.state(), before)).toBe(true);
    expect(await f.process(c.bytes)).toBe("proposal");
  });

  it("the typed error classes are distinct (sanity for the checks above)", () => {
    const all = [CodecError, ValidationError, CryptoError, UsageError];
    expect(new Set(all).size).toBe(4);
  });
});
