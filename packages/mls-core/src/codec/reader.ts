import { CodecError } from "../errors.js";
import { readVarint } from "./varint.js";

/**
 * A bounds-checked TLS presentation-language decoder over untrusted bytes. Every read checks the
 * remaining length first, so nothing reads past the buffer and no allocation is larger than the
 * input; the only error it throws is `CodecError`. Byte strings are returned as views into the
 * input (no copy): callers that keep them must not mutate the input buffer afterwards.
 */
export class Reader {
  private readonly view: DataView;
  private pos: number;
  private end: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) throw new CodecError(`truncated input: expected ${what}`);
  }

  u8(): number {
    this.need(1, "uint8");
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2, "uint16");
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, "uint32");
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, "uint64");
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** TLS `bool`: one byte, 0 or 1. */
  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new CodecError(`invalid boolean value ${v}`);
    return v === 1;
  }

  /** The next `n` bytes without consuming them. */
  peek(n: number): Uint8Array {
    this.need(n, `${n} bytes`);
    return this.buf.subarray(this.pos, this.pos + n);
  }

  /** `n` raw bytes (a fixed-size field). */
  raw(n: number): Uint8Array {
    this.need(n, `${n} bytes`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varint(): number {
    const [v, size] = readVarint(this.buf, this.pos, this.end);
    this.pos += size;
    return v;
  }

  /** `opaque data<V>`. */
  opaque(): Uint8Array {
    const len = this.varint();
    this.need(len, `${len} bytes of vector data`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /**
   * `T items<V>`: reads the byte length, then items until exactly that many bytes are consumed.
   * An item that runs past the vector's end is a codec error.
   */
  vector<T>(decodeItem: (r: Reader) => T): T[] {
    const len = this.varint();
    this.need(len, `${len} bytes of vector data`);
    const outerEnd = this.end;
    const vecEnd = this.pos + len;
    this.end = vecEnd;
    const items: T[] = [];
    try {
      while (this.pos < vecEnd) items.push(decodeItem(this));
    } finally {
      this.end = outerEnd;
    }
    return items;
  }

  /**
   * Runs `decode` over the next `<V>` vector's bytes as one value (for a struct wrapped in an
   * opaque field); the value must use the whole vector.
   */
  nested<T>(decode: (r: Reader) => T): T {
    const len = this.varint();
    this.need(len, `${len} bytes of vector data`);
    const outerEnd = this.end;
    const vecEnd = this.pos + len;
    this.end = vecEnd;
    try {
      const v = decode(this);
      if (this.pos !== vecEnd)
        throw new CodecError("trailing bytes inside a length-prefixed value");
      return v;
    } finally {
      this.end = outerEnd;
    }
  }

  /** `optional<T>` (RFC 9420 §2.1.1): presence octet 0 or 1, anything else is malformed. */
  optional<T>(decodeValue: (r: Reader) => T): T | undefined {
    const present = this.u8();
    if (present === 0) return undefined;
    if (present !== 1) throw new CodecError(`invalid optional presence octet ${present}`);
    return decodeValue(this);
  }

  /** Bytes between `start` and the current position (for signing over exact input bytes). */
  since(start: number): Uint8Array {
    return this.buf.subarray(start, this.pos);
  }

  expectEnd(): void {
    if (this.pos !== this.end)
      throw new CodecError(`${this.end - this.pos} trailing bytes after the encoded value`);
  }
}
