import { CodecError } from "../errors.js";
import { Reader } from "./reader.js";
import { Writer } from "./writer.js";

/**
 * The one pattern every wire struct follows: a `Codec<T>` value with `encode` and `decode`,
 * composed from the same few primitives. `encodeBytes`/`decodeBytes` are the only entry points
 * from raw bytes, and `decodeBytes` insists that the value uses all of them.
 */
export interface Codec<T> {
  encode(w: Writer, value: T): void;
  decode(r: Reader): T;
}

export function encodeBytes<T>(codec: Codec<T>, value: T, sizeHint = 256): Uint8Array {
  const w = new Writer(sizeHint);
  codec.encode(w, value);
  return w.finish();
}

/** Decodes exactly one `T` from `bytes`; trailing bytes are a `CodecError`. */
export function decodeBytes<T>(codec: Codec<T>, bytes: Uint8Array): T {
  const r = new Reader(bytes);
  const v = codec.decode(r);
  r.expectEnd();
  return v;
}

export const uint8: Codec<number> = { encode: (w, v) => w.u8(v), decode: (r) => r.u8() };
export const uint16: Codec<number> = { encode: (w, v) => w.u16(v), decode: (r) => r.u16() };
export const uint32: Codec<number> = { encode: (w, v) => w.u32(v), decode: (r) => r.u32() };
export const uint64: Codec<bigint> = { encode: (w, v) => w.u64(v), decode: (r) => r.u64() };
export const bool: Codec<boolean> = { encode: (w, v) => w.bool(v), decode: (r) => r.bool() };
/** `opaque data<V>` */
export const opaque: Codec<Uint8Array> = {
  encode: (w, v) => w.opaque(v),
  decode: (r) => r.opaque(),
};

/** `T items<V>` */
export function vectorOf<T>(item: Codec<T>): Codec<T[]> {
  return {
    encode: (w, v) => w.vector(v, item.encode),
    decode: (r) => r.vector(item.decode),
  };
}

/** `optional<T>` */
export function optionalOf<T>(item: Codec<T>): Codec<T | undefined> {
  return {
    encode: (w, v) => w.optional(v, item.encode),
    decode: (r) => r.optional(item.decode),
  };
}

/** Fixed-size opaque field `opaque data[n]`. */
export function fixed(n: number): Codec<Uint8Array> {
  return {
    encode: (w, v) => {
      if (v.length !== n) throw new CodecError(`expected ${n} bytes, got ${v.length}`);
      w.raw(v);
    },
    decode: (r) => r.raw(n),
  };
}
