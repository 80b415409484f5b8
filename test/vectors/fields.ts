import { fromHex } from "@hpqmls/mls-core";

/**
 * Typed access to the fields of one JSON test case. A missing or mistyped field is a malformed
 * vector, reported as a failed case with the field's name.
 */
export class Fields {
  constructor(
    private readonly obj: unknown,
    private readonly path = "case",
  ) {
    if (typeof obj !== "object" || obj === null || Array.isArray(obj))
      throw new Error(`${path} is not an object`);
  }

  private get(key: string): unknown {
    const v = (this.obj as Record<string, unknown>)[key];
    if (v === undefined) throw new Error(`${this.path}.${key} is missing`);
    return v;
  }

  has(key: string): boolean {
    const v = (this.obj as Record<string, unknown>)[key];
    return v !== undefined && v !== null;
  }

  hex(key: string): Uint8Array {
    const v = this.get(key);
    if (typeof v !== "string") throw new Error(`${this.path}.${key} is not a hex string`);
    return fromHex(v);
  }

  optionalHex(key: string): Uint8Array | undefined {
    const v = (this.obj as Record<string, unknown>)[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw new Error(`${this.path}.${key} is not a hex string`);
    return fromHex(v);
  }

  str(key: string): string {
    const v = this.get(key);
    if (typeof v !== "string") throw new Error(`${this.path}.${key} is not a string`);
    return v;
  }

  num(key: string): number {
    const v = this.get(key);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new Error(`${this.path}.${key} is not a non-negative integer`);
    return v;
  }

  optionalNum(key: string): number | undefined {
    const v = (this.obj as Record<string, unknown>)[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new Error(`${this.path}.${key} is not a non-negative integer`);
    return v;
  }

  array(key: string): unknown[] {
    const v = this.get(key);
    if (!Array.isArray(v)) throw new Error(`${this.path}.${key} is not an array`);
    return v;
  }

  /** An array of objects, each wrapped as Fields. */
  objects(key: string): Fields[] {
    return this.array(key).map((o, i) => new Fields(o, `${this.path}.${key}[${i}]`));
  }

  obj_(key: string): Fields {
    return new Fields(this.get(key), `${this.path}.${key}`);
  }

  /** Array of `number | null`. */
  optionalNums(key: string): (number | null)[] {
    return this.array(key).map((v, i) => {
      if (v === null) return null;
      if (typeof v !== "number") throw new Error(`${this.path}.${key}[${i}] is not a number`);
      return v;
    });
  }
}

/** Throws a descriptive error unless `actual` equals `expected`. */
export function expectEqualBytes(what: string, actual: Uint8Array, expected: Uint8Array): void {
  if (actual.length !== expected.length || actual.some((b, i) => b !== expected[i]))
    throw new Error(`${what} differs from the vector`);
}

export function expectEqual<T>(what: string, actual: T, expected: T): void {
  if (actual !== expected)
    throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

export function expectTrue(what: string, cond: boolean): void {
  if (!cond) throw new Error(what);
}
