/**
 * A multiset of public keys with cheap copies, for the uniqueness rules of RFC 9420 §7.3 and
 * §12.4.2 (no encryption or signature key may appear twice in the tree).
 *
 * Keys are bucketed by a short fingerprint and compared in full inside a bucket, so crafted keys
 * cannot cause false matches. A copy shares the large `base` map and copies only the small
 * `delta` of changes since; the delta is folded into a fresh base once it grows, so commits stay
 * O(log n) amortised even for very large groups.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function fingerprint(key: Uint8Array): string {
  let s = `${key.length}:`;
  const n = Math.min(key.length, 20);
  for (let i = 0; i < n; i++) s += HEX[key[i]!];
  return s;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type Bucket = readonly Uint8Array[];

export class KeyIndex {
  private constructor(
    private base: ReadonlyMap<string, Bucket>,
    private delta: Map<string, Bucket>,
  ) {}

  static empty(): KeyIndex {
    return new KeyIndex(new Map(), new Map());
  }

  private bucket(fp: string): Bucket {
    return this.delta.get(fp) ?? this.base.get(fp) ?? [];
  }

  has(key: Uint8Array): boolean {
    return this.count(key) > 0;
  }

  count(key: Uint8Array): number {
    let c = 0;
    for (const k of this.bucket(fingerprint(key))) if (sameBytes(k, key)) c++;
    return c;
  }

  add(key: Uint8Array): void {
    const fp = fingerprint(key);
    this.delta.set(fp, [...this.bucket(fp), key]);
  }

  remove(key: Uint8Array): void {
    const fp = fingerprint(key);
    const b = this.bucket(fp);
    const i = b.findIndex((k) => sameBytes(k, key));
    if (i < 0) return;
    this.delta.set(fp, [...b.slice(0, i), ...b.slice(i + 1)]);
  }

  clone(): KeyIndex {
    if (this.delta.size > 256 && this.delta.size * 8 > this.base.size) this.fold();
    return new KeyIndex(this.base, new Map(this.delta));
  }

  /** Folds the delta into a new base map (the old base may be shared, so it is not mutated). */
  private fold(): void {
    const merged = new Map(this.base);
    for (const [fp, b] of this.delta) {
      if (b.length === 0) merged.delete(fp);
      else merged.set(fp, b);
    }
    this.base = merged;
    this.delta = new Map();
  }
}
