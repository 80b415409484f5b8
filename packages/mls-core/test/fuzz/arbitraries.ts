/**
 * Shared fuzzing machinery (issue #9): the decoder target description, the input generators
 * (random bytes and structure-aware mutations of valid encodings) and the checks every fuzzed
 * input must pass. Used by the vitest suites next to this file and by the long-running driver
 * `test/fuzz/run.ts`, so both exercise exactly the same properties.
 *
 * Checks throw `FuzzFailure` (a plain Error, not an `MlsError`) so that they work with
 * `fc.assert` inside vitest and with `fc.check` in the driver alike.
 */
import fc from "fast-check";
import {
  type Codec,
  CodecError,
  CryptoError,
  decodeBytes,
  encodeBytes,
  MAX_VARINT,
  Reader,
  UsageError,
  ValidationError,
} from "../../src/index.js";

// ------------------------------------------------------------------ targets

/** An error class a decoder may throw by design. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** One length header found in a valid encoding (RFC 9420 §2.1.2 varint). */
export interface VarintSite {
  /** Offset of the header's first byte. */
  readonly pos: number;
  readonly size: 1 | 2 | 4;
  readonly value: number;
}

/** A decoder under test, with valid samples to mutate. */
export interface DecoderTarget {
  readonly name: string;
  decode(bytes: Uint8Array): unknown;
  /** Re-encodes a decoded value; absent for decoders whose result is not an encoding. */
  encode?(value: unknown): Uint8Array;
  /** What the decoder may throw on bad input (`CodecError` for every pure codec). */
  readonly allowed: readonly ErrorClass[];
  /**
   * Every input the decoder accepts re-encodes to the same bytes (not only the valid samples):
   * true for the wire codecs, which refuse non-minimal and ambiguous encodings.
   */
  readonly canonical: boolean;
  /** Valid encodings (possibly empty for decode-only targets that always refuse). */
  readonly samples: readonly Uint8Array[];
  /** Length headers of a sample, for length-prefix mutations (empty if not traceable). */
  sites(sample: Uint8Array): readonly VarintSite[];
  /** The codec this target decodes with, if it is a plain codec target. */
  readonly codec?: Codec<unknown>;
  /** Only ever encoded: decoding refuses every input (the samples are mutation seeds only). */
  readonly refusesAll?: boolean;
}

/** A `Reader` that records where every varint length header is. */
class TracingReader extends Reader {
  readonly found: VarintSite[] = [];
  override varint(): number {
    const pos = this.offset;
    const value = super.varint();
    this.found.push({ pos, size: (this.offset - pos) as 1 | 2 | 4, value });
    return value;
  }
}

/** The length headers a codec reads when decoding `bytes` (which must be valid). */
export function traceSites(decode: (r: Reader) => unknown, bytes: Uint8Array): VarintSite[] {
  const r = new TracingReader(bytes);
  try {
    decode(r);
  } catch {
    // Partially valid input: the headers read so far are still useful.
  }
  return r.found;
}

export interface TargetOptions {
  readonly allowed?: readonly ErrorClass[];
  readonly canonical?: boolean;
}

/** A target over a `Codec`: `decodeBytes` (whole input) and `encodeBytes`. */
export function codecTarget<T>(
  name: string,
  codec: Codec<T>,
  samples: readonly Uint8Array[],
  o: TargetOptions = {},
): DecoderTarget {
  return {
    name,
    decode: (b) => decodeBytes(codec, b),
    encode: (v) => encodeBytes(codec, v as T),
    allowed: o.allowed ?? [CodecError],
    canonical: o.canonical ?? true,
    samples,
    sites: (s) => traceSites((r) => codec.decode(r), s),
    codec: codec as Codec<unknown>,
  };
}

/** A target over a function of the bytes, traced through the codec it decodes with. */
export function functionTarget<T>(
  name: string,
  decode: (bytes: Uint8Array) => T,
  encode: ((value: T) => Uint8Array) | undefined,
  tracer: Codec<unknown> | undefined,
  samples: readonly Uint8Array[],
  o: TargetOptions = {},
): DecoderTarget {
  return {
    name,
    decode,
    ...(encode === undefined ? {} : { encode: (v: unknown) => encode(v as T) }),
    allowed: o.allowed ?? [CodecError],
    canonical: o.canonical ?? true,
    samples,
    sites: (s) => (tracer === undefined ? [] : traceSites((r) => tracer.decode(r), s)),
  };
}

// ------------------------------------------------------------------ failures and checks

/** A broken property. Deliberately not an `MlsError`. */
export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly input?: Uint8Array,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "FuzzFailure";
  }
}

export const TYPED_ERRORS: readonly ErrorClass[] = [
  CodecError,
  ValidationError,
  CryptoError,
  UsageError,
];

export function isAllowed(e: unknown, allowed: readonly ErrorClass[]): boolean {
  return allowed.some((c) => e instanceof c);
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `non-Error thrown: ${String(e)}`;
}

export function toHexString(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function fromHexString(h: string): Uint8Array {
  const clean = h.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error("not a hex string");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The decoder's time budget for one input. Every decoder is linear in its input and the inputs
 * are at most a few tens of kilobytes, so anything near this is a hang, not a slow machine.
 */
export const SLOW_DECODE_MS = 2_000;

/**
 * The decoder property: the input decodes, or fails with one of the target's error types (never
 * anything else, never slowly); what decodes re-encodes byte for byte (for canonical targets, or
 * for a known-valid input). `valid` asserts that the input must be accepted.
 */
export function checkDecoder(t: DecoderTarget, bytes: Uint8Array, valid = false): void {
  const start = performance.now();
  let value: unknown;
  try {
    value = t.decode(bytes);
  } catch (e) {
    const ms = performance.now() - start;
    if (ms > SLOW_DECODE_MS)
      throw new FuzzFailure(`${t.name}: refusing ${bytes.length} bytes took ${ms | 0} ms`, bytes);
    if (valid)
      throw new FuzzFailure(`${t.name}: a valid encoding was refused: ${describeError(e)}`, bytes, {
        cause: e,
      });
    if (!isAllowed(e, t.allowed))
      throw new FuzzFailure(`${t.name}: untyped error ${describeError(e)}`, bytes, { cause: e });
    return;
  }
  const ms = performance.now() - start;
  if (ms > SLOW_DECODE_MS)
    throw new FuzzFailure(`${t.name}: decoding ${bytes.length} bytes took ${ms | 0} ms`, bytes);
  if (t.encode === undefined || !(t.canonical || valid)) return;
  let again: Uint8Array;
  try {
    again = t.encode(value);
  } catch (e) {
    throw new FuzzFailure(
      `${t.name}: a decoded value does not re-encode: ${describeError(e)}`,
      bytes,
      { cause: e },
    );
  }
  if (!sameBytes(again, bytes))
    throw new FuzzFailure(
      `${t.name}: decode/encode is not the identity (${bytes.length} bytes in, ${again.length} out)`,
      bytes,
    );
}

// ------------------------------------------------------------------ generators

/** Uniformly random input (mostly refused at the first field). */
export function randomBytesArb(maxLength = 256): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength });
}

/** How a length header is rewritten. */
export type LengthChange =
  | "plus"
  | "minus"
  | "zero"
  | "huge"
  | "pastEnd"
  | "nonMinimal"
  | "badPrefix";

/** One edit of an input. Positions are taken modulo the current length when applied. */
export type Mutation =
  | { readonly op: "flip"; readonly at: number; readonly bit: number }
  | { readonly op: "set"; readonly at: number; readonly value: number }
  | { readonly op: "truncate"; readonly keep: number }
  | { readonly op: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: "delete"; readonly at: number; readonly count: number }
  | { readonly op: "duplicate"; readonly from: number; readonly count: number; readonly to: number }
  | { readonly op: "tail"; readonly at: number; readonly bytes: Uint8Array }
  | {
      readonly op: "length";
      readonly site: number;
      readonly change: LengthChange;
      readonly delta: number;
    };

/** Bytes that often sit on a decision boundary of the TLS codec. */
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xfe, 0xff];

/** A region of the sample that position-based mutations must leave alone. */
export interface Region {
  readonly from: number;
  readonly to: number;
}

function encodeVarint(value: number, width: 1 | 2 | 4): Uint8Array {
  if (width === 1) return Uint8Array.of(value & 0x3f);
  if (width === 2) return Uint8Array.of(0x40 | ((value >> 8) & 0x3f), value & 0xff);
  return Uint8Array.of(
    0x80 | ((value >>> 24) & 0x3f),
    (value >>> 16) & 0xff,
    (value >>> 8) & 0xff,
    value & 0xff,
  );
}

function minimalWidth(v: number): 1 | 2 | 4 {
  return v < 0x40 ? 1 : v < 0x4000 ? 2 : 4;
}

function splice(b: Uint8Array, start: number, count: number, insert: Uint8Array): Uint8Array {
  const at = Math.max(0, Math.min(start, b.length));
  const remove = Math.max(0, Math.min(count, b.length - at));
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

/**
 * Maps a position onto [0, len) while skipping the avoided region (if any, and if the input
 * still holds it: earlier stacked mutations may have shortened it).
 */
function place(at: number, len: number, avoid: Region | undefined): number {
  if (len <= 0) return 0;
  if (avoid === undefined || avoid.to > len) return at % len;
  const free = len - (avoid.to - avoid.from);
  if (free <= 0) return len - 1;
  const p = at % free;
  return p < avoid.from ? p : p + (avoid.to - avoid.from);
}

function applyOne(
  b: Uint8Array,
  m: Mutation,
  sites: readonly VarintSite[],
  avoid: Region | undefined,
): Uint8Array {
  switch (m.op) {
    case "flip": {
      if (b.length === 0) return b;
      const out = b.slice();
      const i = place(m.at, b.length, avoid);
      if (i < out.length) out[i] = out[i]! ^ (1 << m.bit);
      return out;
    }
    case "set": {
      if (b.length === 0) return b;
      const out = b.slice();
      const i = place(m.at, b.length, avoid);
      if (i < out.length) out[i] = m.value;
      return out;
    }
    case "truncate":
      return b.length === 0 ? b : b.slice(0, m.keep % b.length);
    case "insert":
      return splice(b, place(m.at, b.length + 1, avoid), 0, m.bytes);
    case "delete": {
      if (b.length === 0) return b;
      const i = place(m.at, b.length, avoid);
      let n = Math.min(m.count, b.length - i);
      if (avoid !== undefined && i < avoid.from) n = Math.min(n, avoid.from - i);
      return splice(b, i, n, new Uint8Array(0));
    }
    case "duplicate": {
      if (b.length === 0) return b;
      const from = m.from % b.length;
      const chunk = b.slice(from, Math.min(b.length, from + m.count));
      return splice(b, place(m.to, b.length + 1, avoid), 0, chunk);
    }
    case "tail": {
      const i = place(m.at, b.length + 1, avoid);
      const keep = Math.min(
        b.length,
        avoid !== undefined && i < avoid.to && i >= avoid.from ? avoid.to : i,
      );
      return splice(b, keep, b.length - keep, m.bytes);
    }
    case "length": {
      const usable = sites.filter(
        (s) => avoid === undefined || s.pos + s.size <= avoid.from || s.pos >= avoid.to,
      );
      if (usable.length === 0) return b;
      const s = usable[m.site % usable.length]!;
      if (s.pos + s.size > b.length) return b;
      let header: Uint8Array;
      switch (m.change) {
        case "plus": {
          const v = Math.min(MAX_VARINT, s.value + m.delta);
          header = encodeVarint(v, minimalWidth(v));
          break;
        }
        case "minus": {
          const v = Math.max(0, s.value - m.delta);
          header = encodeVarint(v, minimalWidth(v));
          break;
        }
        case "zero":
          header = encodeVarint(0, 1);
          break;
        case "huge":
          header = encodeVarint(MAX_VARINT, 4);
          break;
        case "pastEnd": {
          const v = Math.min(MAX_VARINT, b.length - s.pos - s.size + 1 + (m.delta % 8));
          header = encodeVarint(v, minimalWidth(v));
          break;
        }
        case "nonMinimal":
          header = encodeVarint(s.value, s.size === 4 ? 4 : s.size === 2 ? 4 : 2);
          if (s.size === 4) header[0] = 0xc0 | header[0]!; // no wider form: an invalid prefix
          break;
        case "badPrefix":
          header = b.slice(s.pos, s.pos + s.size);
          header[0] = 0xc0 | header[0]!;
          break;
      }
      return splice(b, s.pos, s.size, header);
    }
  }
}

/** Applies a stack of mutations, in order. */
export function applyMutations(
  sample: Uint8Array,
  mutations: readonly Mutation[],
  sites: readonly VarintSite[],
  avoid?: Region,
): Uint8Array {
  let b = sample;
  for (const m of mutations) b = applyOne(b, m, sites, avoid);
  return b === sample ? sample.slice() : b;
}

const position = fc.nat({ max: 1 << 20 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constant("flip" as const), at: position, bit: fc.nat(7) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      at: position,
      value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(255)),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant("truncate" as const), keep: position }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant("insert" as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      at: position,
      count: fc.integer({ min: 1, max: 16 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("duplicate" as const),
      from: position,
      count: fc.integer({ min: 1, max: 32 }),
      to: position,
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("tail" as const),
      at: position,
      bytes: fc.uint8Array({ maxLength: 48 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("length" as const),
      site: position,
      change: fc.constantFrom<LengthChange>(
        "plus",
        "minus",
        "zero",
        "huge",
        "pastEnd",
        "nonMinimal",
        "badPrefix",
      ),
      delta: fc.integer({ min: 1, max: 70 }),
    }),
    weight: 4,
  },
);

/** One to three stacked mutations (mostly one). */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.oneof(
  { arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 1 }), weight: 3 },
  { arbitrary: fc.array(mutationArb, { minLength: 2, maxLength: 3 }), weight: 1 },
);

/** A sample with the length headers it contains. */
export interface Seed {
  readonly bytes: Uint8Array;
  readonly sites: readonly VarintSite[];
}

export function seedsOf(t: DecoderTarget): Seed[] {
  return t.samples.map((bytes) => ({ bytes, sites: t.sites(bytes) }));
}

/** Mutated versions of the given valid encodings (positions outside `avoid`, if given). */
export function mutatedArb(seeds: readonly Seed[], avoid?: Region): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error("mutatedArb needs at least one seed");
  return fc
    .tuple(fc.nat(seeds.length - 1), mutationsArb)
    .map(([i, ms]) => applyMutations(seeds[i]!.bytes, ms, seeds[i]!.sites, avoid));
}

/** The decoder property over random bytes and over mutations of the target's samples. */
export function decoderInputArb(seeds: readonly Seed[]): fc.Arbitrary<Uint8Array> {
  return seeds.length === 0
    ? randomBytesArb()
    : fc.oneof(
        { arbitrary: randomBytesArb(), weight: 1 },
        { arbitrary: mutatedArb(seeds), weight: 3 },
      );
}

/** Runs per property: `FUZZ_RUNS` if set, else the default given. */
export function fuzzRuns(fallback: number): number {
  const env = typeof process === "undefined" ? undefined : process.env.FUZZ_RUNS;
  const n = env === undefined ? Number.NaN : Number.parseInt(env, 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** `FUZZ_SEED` to replay a failing vitest run (fast-check prints the seed). */
export function fuzzSeed(): number | undefined {
  const env = typeof process === "undefined" ? undefined : process.env.FUZZ_SEED;
  const n = env === undefined ? Number.NaN : Number.parseInt(env, 10);
  return Number.isFinite(n) ? n : undefined;
}
