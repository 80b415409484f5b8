import { CodecError } from "../errors.js";
import { varintSize } from "./varint.js";

/**
 * An append-only TLS presentation-language encoder (RFC 8446 §3, RFC 9420 §2.1) over one
 * growable buffer. Vectors are written in place: `beginVector` reserves one header byte and
 * `endVector` widens the header (moving the body) only when the body turned out longer than 63
 * bytes, so nothing is encoded twice and no intermediate arrays are built.
 */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  u64(v: bigint): void {
    if (v < 0n || v > 0xffffffffffffffffn) throw new CodecError("uint64 out of range");
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  /** Raw bytes with no length prefix (fixed-size fields). */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  varint(v: number): void {
    const size = varintSize(v);
    this.ensure(size);
    if (size === 1) this.buf[this.pos++] = v;
    else if (size === 2) {
      this.view.setUint16(this.pos, v | 0x4000);
      this.pos += 2;
    } else {
      this.view.setUint32(this.pos, (v | 0x80000000) >>> 0);
      this.pos += 4;
    }
  }

  /** `opaque data<V>`. */
  opaque(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  /** Starts a `<V>` vector; returns a mark for `endVector`. */
  beginVector(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Closes the vector opened at `mark`, writing its minimal length header. */
  endVector(mark: number): void {
    const bodyStart = mark + 1;
    const len = this.pos - bodyStart;
    const size = varintSize(len);
    if (size > 1) {
      const shift = size - 1;
      this.ensure(shift);
      this.buf.copyWithin(bodyStart + shift, bodyStart, this.pos);
      this.pos += shift;
    }
    if (size === 1) this.buf[mark] = len;
    else if (size === 2) this.view.setUint16(mark, len | 0x4000);
    else this.view.setUint32(mark, (len | 0x80000000) >>> 0);
  }

  /** `T items<V>` with one encoder per item. */
  vector<T>(items: readonly T[], encodeItem: (w: Writer, item: T) => void): void {
    const mark = this.beginVector();
    for (let i = 0; i < items.length; i++) encodeItem(this, items[i]!);
    this.endVector(mark);
  }

  /** `optional<T>` (RFC 9420 §2.1.1). */
  optional<T>(value: T | undefined, encodeValue: (w: Writer, v: T) => void): void {
    if (value === undefined) this.u8(0);
    else {
      this.u8(1);
      encodeValue(this, value);
    }
  }

  /** The encoded bytes (a copy the caller owns). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
