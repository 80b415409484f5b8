/**
 * The row every benchmark emits (bench/README.md, "Rows"). Scripts depend on these field names:
 * add fields, never rename or remove one.
 */
export type Impl = "hpqmls" | "ts-mls";
export type Tree = "sparse" | "dense";

export interface Row {
  readonly impl: Impl;
  /**
   * Cipher suite id; for an APQ-MLS session, the pair as "0x0001+0xF00A" (with `tSuite`,
   * `pqSuite` and `mode` beside it).
   */
  readonly suite: number | string;
  /** Group size; 0 for operations that do not depend on a group (key packages). */
  readonly n: number;
  readonly tree: Tree;
  readonly op: string;
  /** Median over the samples after warm-up (null when the row was not measured). */
  readonly medianMs: number | null;
  /** Size of what the operation produced (message, key package, state), or null. */
  readonly bytes: number | null;
  /** Extra fields (config, samples, reps, ratios, notes …) are allowed. */
  readonly [extra: string]: unknown;
}

/** Timing samples kept with a row: milliseconds per operation, rounded to 0.1 µs. */
export function roundSamples(samples: readonly number[]): number[] {
  return samples.map((s) => Math.round(s * 1e4) / 1e4);
}

/** "0x0001", "0xF00A". */
export function hexSuite(id: number): string {
  return `0x${id.toString(16).toUpperCase().padStart(4, "0")}`;
}
