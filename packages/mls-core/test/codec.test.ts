import { describe, expect, it } from "vitest";
import {
  type Codec,
  decodeBytes,
  encodeBytes,
  opaque,
  optionalOf,
  Reader,
  uint16,
  vectorOf,
  Writer,
} from "../src/codec/index.js";
import { CodecError } from "../src/errors.js";
import { fromHex, toHex } from "../src/util/bytes.js";

function varintBytes(v: number): Uint8Array {
  const w = new Writer(1);
  w.varint(v);
  return w.finish();
}

describe("variable-size length headers (RFC 9420 §2.1.2)", () => {
  it.each([
    [0, "00"],
    [37, "25"],
    [63, "3f"],
    [64, "4040"],
    [15293, "7bbd"],
    [16383, "7fff"],
    [16384, "80004000"],
    [494878333, "9d7f3e7d"],
    [0x3fffffff, "bfffffff"],
  ])("%i encodes minimally as %s and decodes back", (v, hex) => {
    expect(toHex(varintBytes(v))).toBe(hex);
    const r = new Reader(fromHex(hex));
    expect(r.varint()).toBe(v);
    r.expectEnd();
  });

  it.each(["4000", "403f", "80000000", "80003fff"])("rejects non-minimal encoding %s", (hex) => {
    expect(() => new Reader(fromHex(hex)).varint()).toThrow(CodecError);
  });

  it.each(["c0", "c000000000000000", "ff"])("rejects the invalid 0b11 prefix %s", (hex) => {
    expect(() => new Reader(fromHex(hex)).varint()).toThrow(/0b11/);
  });

  it("rejects a truncated header", () => {
    expect(() => new Reader(fromHex("40")).varint()).toThrow(CodecError);
    expect(() => new Reader(fromHex("800000")).varint()).toThrow(CodecError);
    expect(() => new Reader(new Uint8Array(0)).varint()).toThrow(CodecError);
  });

  it("refuses to encode a length of 2^30 or more", () => {
    expect(() => varintBytes(0x40000000)).toThrow(CodecError);
  });
});

describe("vectors", () => {
  const u16s = vectorOf(uint16);

  it("round-trips vectors whose bodies need 1, 2 and 4 byte headers", () => {
    for (const n of [0, 1, 31, 32, 100, 8191, 8192, 20000]) {
      const items = Array.from({ length: n }, (_, i) => i & 0xffff);
      const bytes = encodeBytes(u16s, items, 1);
      const headerLen = 2 * n < 64 ? 1 : 2 * n < 16384 ? 2 : 4;
      expect(bytes.length).toBe(headerLen + 2 * n);
      expect(decodeBytes(u16s, bytes)).toEqual(items);
    }
  });

  it("round-trips nested vectors that grow their headers", () => {
    const nested = vectorOf(vectorOf(opaque));
    const value = [[new Uint8Array(70), new Uint8Array(3)], [], [new Uint8Array(17000).fill(7)]];
    expect(decodeBytes(nested, encodeBytes(nested, value, 1))).toEqual(value);
  });

  it("refuses a length larger than the remaining input before allocating", () => {
    // Header claims 2^30 - 1 bytes, but only 3 follow.
    expect(() => decodeBytes(opaque, fromHex("bfffffff010203"))).toThrow(/truncated/);
  });

  it("rejects an item that runs past the end of its vector", () => {
    // vector of uint16 with a 3-byte body: the second item crosses the boundary.
    expect(() => decodeBytes(u16s, fromHex("03000100"))).toThrow(CodecError);
    // a 1-byte body cannot hold a uint16 even though more input follows the vector
    expect(() => decodeBytes(vectorOf(uint16), fromHex("01000000"))).toThrow(CodecError);
  });

  it("rejects trailing bytes after a value", () => {
    expect(() => decodeBytes(opaque, fromHex("0102030405"))).toThrow(/trailing/);
  });
});

describe("optional<T> (RFC 9420 §2.1.1)", () => {
  const opt = optionalOf(uint16);
  it("round-trips present and absent values", () => {
    expect(toHex(encodeBytes(opt, undefined))).toBe("00");
    expect(toHex(encodeBytes(opt, 0x1234))).toBe("011234");
    expect(decodeBytes(opt, fromHex("00"))).toBeUndefined();
    expect(decodeBytes(opt, fromHex("011234"))).toBe(0x1234);
  });
  it("rejects a presence octet other than 0 or 1", () => {
    expect(() => decodeBytes(opt, fromHex("021234"))).toThrow(/presence/);
  });
});

describe("integers and booleans", () => {
  it("decodes big-endian integers and rejects short input", () => {
    const r = new Reader(fromHex("01020304050607080910111213141516"));
    expect(r.u8()).toBe(1);
    expect(r.u16()).toBe(0x0203);
    expect(r.u32()).toBe(0x04050607);
    expect(r.u64()).toBe(0x0809101112131415n);
    expect(() => r.u16()).toThrow(CodecError);
  });
  it("rejects a boolean other than 0 or 1", () => {
    expect(() => new Reader(fromHex("02")).bool()).toThrow(CodecError);
  });
  it("refuses to encode a uint64 out of range", () => {
    expect(() => new Writer().u64(1n << 64n)).toThrow(CodecError);
    expect(() => new Writer().u64(-1n)).toThrow(CodecError);
  });
});

describe("Writer growth", () => {
  it("keeps earlier bytes when the buffer grows", () => {
    const codec: Codec<Uint8Array[]> = vectorOf(opaque);
    const parts = Array.from({ length: 50 }, (_, i) => new Uint8Array(i * 13).fill(i));
    expect(decodeBytes(codec, encodeBytes(codec, parts, 1))).toEqual(parts);
  });
});
