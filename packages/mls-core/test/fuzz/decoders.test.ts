/**
 * Property-based fuzzing of every wire decoder (issue #9). For each decoder of corpus.ts:
 *
 *  (a) random bytes decode or fail with the decoder's typed error (CodecError; ValidationError only
 *      where the decoder validates by design), and never slowly;
 *  (b) mutations of valid encodings (bit flips, byte sets, truncation, insertion, deletion,
 *      duplication, tail replacement, and rewritten length headers found by tracing the decoder)
 *      behave the same, and whatever still decodes re-encodes to the same bytes;
 *  (c) every valid encoding decodes and re-encodes byte for byte;
 *  (d) a length header larger than the remaining input is refused at once: every header of every
 *      sample is set to 2^30 - 1 in turn, and the decoder must throw a typed error within
 *      milliseconds without allocating (Reader checks `need(len)` before it takes a subarray).
 *
 * Bounded to well under a minute on two cores; FUZZ_RUNS raises the runs per property and
 * FUZZ_SEED replays a failure. The long-running driver is test/fuzz/run.ts.
 */
import * as apq from "@hpqmls/pq-combiner";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as mls from "../../src/index.js";
import {
  CodecError,
  credentialCodec,
  decodeBytes,
  encodeBytes,
  keyPackageCodec,
  MAX_VARINT,
  mlsMessageCodec,
  ProtocolVersion,
  WireFormat,
} from "../../src/index.js";
import {
  applyMutations,
  checkDecoder,
  type DecoderTarget,
  decoderInputArb,
  FuzzFailure,
  fuzzRuns,
  fuzzSeed,
  isAllowed,
  mutatedArb,
  mutationsArb,
  randomBytesArb,
  seedsOf,
  type VarintSite,
} from "./arbitraries.js";
import { apqStateSamples, decoderTargets, nestedMultiCredential } from "./corpus.js";

const targets = await decoderTargets();
const RANDOM_RUNS = fuzzRuns(500);
const MUTATION_RUNS = fuzzRuns(2000);
const seed = fuzzSeed();
const params = (numRuns: number) => ({ numRuns, ...(seed === undefined ? {} : { seed }) });

/** Decode functions exported by name, and the target that fuzzes each. */
const FUNCTION_DECODERS: Record<string, string> = {
  decodeContentBody: "ContentBody(1)",
  decodeAuthData: "FramedContentAuthData(3)",
  decodePrivateMessageContent: "PrivateMessageContent(2)",
  parseAppAck: "parseAppAck",
  parseApplicationData: "parseApplicationData",
  parseSafeAAD: "parseSafeAAD",
  readVarint: "readVarint",
  decodeApqMessage: "decodeApqMessage",
  decodeKeyPackageBundle: "KeyPackageBundle",
};
/**
 * Exports that match the name pattern but are no wire decoders of their own: the generic entry
 * point every codec target goes through, and the combiner's policy validator (a zod schema over
 * JavaScript values, not bytes).
 */
const NOT_WIRE_DECODERS = new Set(["decodeBytes", "parsePolicy"]);

describe("decoder coverage", () => {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const codecs = new Set(targets.map((t) => t.codec).filter((c) => c !== undefined));

  it("fuzzes every exported *Codec that decodes (mls-core and pq-combiner)", () => {
    const missing: string[] = [];
    for (const [name, value] of [...Object.entries(mls), ...Object.entries(apq)]) {
      if (!name.endsWith("Codec") || typeof value !== "object" || value === null) continue;
      if (typeof (value as { decode?: unknown }).decode !== "function") continue;
      if (!codecs.has(value as mls.Codec<unknown>)) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it("fuzzes every exported decode/parse/read function", () => {
    const missing: string[] = [];
    for (const [name, value] of [...Object.entries(mls), ...Object.entries(apq)]) {
      if (typeof value !== "function" || !/^(decode|parse|read)[A-Z]/.test(name)) continue;
      if (NOT_WIRE_DECODERS.has(name)) continue;
      const target = FUNCTION_DECODERS[name];
      if (target === undefined || !byName.has(target)) missing.push(name);
    }
    expect(missing).toEqual([]);
  });

  it("has valid samples for every decoder that accepts anything", () => {
    for (const t of targets) if (!t.refusesAll) expect(t.samples.length, t.name).toBeGreaterThan(0);
    expect(targets.length).toBeGreaterThanOrEqual(70);
  });
});

/** Sites of a sample to overwrite with a huge length, at most `max` of them spread evenly. */
function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]!);
}

function withHugeLength(sample: Uint8Array, pos: number, size: number): Uint8Array {
  const header = Uint8Array.of(0xbf, 0xff, 0xff, 0xff); // 2^30 - 1, four-byte form
  const out = new Uint8Array(sample.length - size + 4);
  out.set(sample.subarray(0, pos), 0);
  out.set(header, pos);
  out.set(sample.subarray(pos + size), pos + 4);
  return out;
}

describe.each(targets.map((t) => [t.name, t] as const))("decoder %s", (_name, t: DecoderTarget) => {
  const seeds = seedsOf(t);

  it.skipIf(t.refusesAll === true)(
    "(c) accepts every valid sample and re-encodes it exactly",
    () => {
      for (const s of t.samples) checkDecoder(t, s, true);
    },
  );

  it("(a) random bytes give only typed errors", () => {
    fc.assert(
      fc.property(randomBytesArb(), (b) => checkDecoder(t, b)),
      params(RANDOM_RUNS),
    );
  });

  it.skipIf(seeds.length === 0)("(b) mutated valid encodings give only typed errors", () => {
    fc.assert(
      fc.property(mutatedArb(seeds), (b) => checkDecoder(t, b)),
      params(MUTATION_RUNS),
    );
  });

  it.skipIf(seeds.every((s) => s.sites.length === 0))(
    "(d) a length header past the end of the input is refused at once",
    () => {
      let checked = 0;
      for (const s of seeds) {
        for (const site of spread(s.sites, 64)) {
          const input = withHugeLength(s.bytes, site.pos, site.size);
          const before = process.memoryUsage().arrayBuffers;
          const start = performance.now();
          let thrown: unknown;
          try {
            t.decode(input);
          } catch (e) {
            thrown = e;
          }
          const ms = performance.now() - start;
          const grown = process.memoryUsage().arrayBuffers - before;
          expect(thrown, `${t.name}: header at ${site.pos} was accepted`).toBeDefined();
          expect(isAllowed(thrown, t.allowed), `${t.name}: ${String(thrown)}`).toBe(true);
          expect(ms, `${t.name}: header at ${site.pos} took ${ms} ms`).toBeLessThan(250);
          // Nothing near the declared 1 GiB is ever allocated.
          expect(grown).toBeLessThan(64 * 1024 * 1024);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    },
  );
});

describe("the mutation engine", () => {
  it("never throws, for any stack of mutations, sites and avoided region", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        mutationsArb,
        fc.array(fc.record({ pos: fc.nat(90), size: fc.constantFrom(1, 2, 4), value: fc.nat(70) })),
        fc.option(fc.tuple(fc.nat(90), fc.nat(90))),
        (bytes, ms, sites, region) => {
          const avoid =
            region === null ? undefined : { from: Math.min(...region), to: Math.max(...region) };
          const out = applyMutations(bytes, ms, sites as VarintSite[], avoid);
          expect(out).toBeInstanceOf(Uint8Array);
        },
      ),
      params(fuzzRuns(3000)),
    );
  });

  it("leaves an avoided region alone under single in-place edits", () => {
    const sample = Uint8Array.from({ length: 64 }, (_, i) => i);
    const avoid = { from: 10, to: 30 };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
          fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.nat(255) }),
        ),
        (m) => {
          const out = applyMutations(sample, [m], [], avoid);
          expect(out.subarray(avoid.from, avoid.to)).toEqual(sample.subarray(avoid.from, avoid.to));
        },
      ),
      params(fuzzRuns(500)),
    );
  });
});

describe("length headers at the maximum", () => {
  it("every codec refuses a lone 2^30 - 1 length header quickly (Reader.need before subarray)", () => {
    const huge = Uint8Array.of(0xbf, 0xff, 0xff, 0xff, 1, 2, 3);
    for (const t of targets) {
      const start = performance.now();
      try {
        t.decode(huge);
      } catch (e) {
        if (!isAllowed(e, t.allowed)) throw new FuzzFailure(`${t.name}: ${String(e)}`, huge);
      }
      expect(performance.now() - start, t.name).toBeLessThan(250);
    }
    expect(MAX_VARINT).toBe(2 ** 30 - 1);
  });

  it("a 4-byte header of 2^30 - 1 in front of 2^20 bytes is a CodecError, not an allocation", () => {
    const body = new Uint8Array(1 << 20);
    const input = new Uint8Array(4 + body.length);
    input.set([0xbf, 0xff, 0xff, 0xff], 0);
    expect(() => decodeBytes(mls.opaque, input)).toThrow(CodecError);
    expect(() => decodeBytes(mls.vectorOf(mls.uint8), input)).toThrow(CodecError);
  });
});

describe("mixed inputs (random and mutated, all decoders)", () => {
  it("any decoder, any input: typed errors only", () => {
    const withSeeds = targets.map((t) => ({ t, seeds: seedsOf(t) }));
    fc.assert(
      fc.property(
        fc
          .nat(withSeeds.length - 1)
          .chain((i) => decoderInputArb(withSeeds[i]!.seeds).map((b) => [i, b] as const)),
        ([i, b]) => checkDecoder(withSeeds[i]!.t, b),
      ),
      params(fuzzRuns(5000)),
    );
  });
});

/** A KeyPackage (and its MLSMessage) whose leaf carries the given encoded credential. */
function keyPackageWith(credential: Uint8Array): { kp: Uint8Array; msg: Uint8Array } {
  const template = encodeBytes(keyPackageCodec, {
    version: ProtocolVersion.mls10,
    cipherSuite: 1,
    initKey: new Uint8Array(32),
    leafNode: {
      encryptionKey: new Uint8Array(32),
      signatureKey: new Uint8Array(32),
      credential: mls.basicCredential(new Uint8Array(1)),
      capabilities: {
        versions: [],
        cipherSuites: [],
        extensions: [],
        proposals: [],
        credentials: [],
      },
      leafNodeSource: 2,
      extensions: [],
      signature: new Uint8Array(0),
    },
    extensions: [],
    signature: new Uint8Array(0),
  });
  // version, suite, init_key<V>, encryption_key<V>, signature_key<V>, then the 4-byte credential.
  const at = 2 + 2 + 33 + 33 + 33;
  const kp = mls.concat(template.subarray(0, at), credential, template.subarray(at + 4));
  const msg = mls.concat(Uint8Array.of(0, 1, 0, WireFormat.mls_key_package), kp);
  return { kp, msg };
}

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("multi-credential nesting (draft-ietf-mls-extensions §4.5)", () => {
  it("multi-credentials nested up to MAX_CREDENTIAL_NESTING decode and round-trip, alone and in messages", () => {
    const b = nestedMultiCredential(mls.MAX_CREDENTIAL_NESTING);
    expect(encodeBytes(credentialCodec, decodeBytes(credentialCodec, b))).toEqual(b);
    const { kp, msg } = keyPackageWith(b);
    expect(encodeBytes(keyPackageCodec, decodeBytes(keyPackageCodec, kp))).toEqual(kp);
    expect(encodeBytes(mlsMessageCodec, decodeBytes(mlsMessageCodec, msg))).toEqual(msg);
    expect(apq.decodeApqMessage(msg).kind).toBe("plain");
  });

  // Regression: the decoder recursed once per nesting level without a bound, so ~45 KB of nested
  // bindings (depth ~5000) overflowed the stack and escaped as a RangeError. Reachable from every
  // credential on the wire: KeyPackages, LeafNodes, ratchet trees, external senders.
  for (const depth of [mls.MAX_CREDENTIAL_NESTING + 1, 20_000]) {
    it(`a multi-credential nested ${depth} deep is a CodecError, not a RangeError`, () => {
      const deep = nestedMultiCredential(depth);
      const { kp, msg } = keyPackageWith(deep);
      expect(thrownBy(() => decodeBytes(credentialCodec, deep))).toBeInstanceOf(CodecError);
      expect(thrownBy(() => decodeBytes(keyPackageCodec, kp))).toBeInstanceOf(CodecError);
      expect(thrownBy(() => decodeBytes(mlsMessageCodec, msg))).toBeInstanceOf(CodecError);
      expect(thrownBy(() => apq.decodeApqMessage(msg))).toBeInstanceOf(CodecError);
    });
  }
});

describe("state blobs", () => {
  it("an APQ session blob restores, and its activity record is JSON at offset 9", async () => {
    const [blob] = await apqStateSamples();
    expect(apq.ApqSession.deserialize(blob!).isActive).toBe(true);
    const [length, headerSize] = mls.readVarint(blob!, 9, blob!.length);
    const json = new TextDecoder().decode(blob!.subarray(9 + headerSize, 9 + headerSize + length));
    expect(json.startsWith("{")).toBe(true);
    expect(() => JSON.parse(json)).not.toThrow();
  });

  // Regression: ApqSession.deserialize parsed the activity record with a bare JSON.parse, so a
  // corrupted blob threw SyntaxError (about 3% of random mutations of a real blob did) and a
  // well-formed but wrong JSON value (e.g. `null`) was taken unchecked.
  it("a corrupted activity record in an APQ session blob is a CodecError", async () => {
    const [blob] = await apqStateSamples();
    // magic u32, version u16, status u8, established bool, mustCommitFull bool, then the JSON.
    const [, headerSize] = mls.readVarint(blob!, 9, blob!.length);
    const bad = blob!.slice();
    bad[9 + headerSize] = 0x78; // "{" becomes "x"
    expect(thrownBy(() => apq.ApqSession.deserialize(bad))).toBeInstanceOf(CodecError);
  });

  it("a well-formed but wrong activity record is a CodecError", async () => {
    const [blob] = await apqStateSamples();
    const [length, headerSize] = mls.readVarint(blob!, 9, blob!.length);
    const start = 9 + headerSize;
    const good = JSON.parse(new TextDecoder().decode(blob!.subarray(start, start + length)));
    const withRecord = (json: string) => {
      const w = new mls.Writer(blob!.length + json.length);
      w.raw(blob!.subarray(0, 9));
      w.opaque(new TextEncoder().encode(json));
      w.raw(blob!.subarray(start + length));
      return w.finish();
    };
    // The blob rebuilt with the same record restores: the splice itself is right.
    expect(apq.ApqSession.deserialize(withRecord(JSON.stringify(good))).isActive).toBe(true);
    for (const wrong of [
      "null",
      "[]",
      JSON.stringify({ ...good, commitsSinceFull: -1 }),
      JSON.stringify({ ...good, messagesSinceUpdate: 1.5 }),
      JSON.stringify({ ...good, lastActive: { alice: "yesterday" } }),
      JSON.stringify({ ...good, extra: true }),
      JSON.stringify({ ...good, lastFullAt: undefined }),
    ])
      expect(
        thrownBy(() => apq.ApqSession.deserialize(withRecord(wrong))),
        wrong,
      ).toBeInstanceOf(CodecError);
  });
});
