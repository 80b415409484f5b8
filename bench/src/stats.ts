/**
 * Timing: warm-up, then adaptive repetitions bounded by a time budget; the figure reported is
 * the median. Cheap operations are batched so that one sample lasts about TARGET_SAMPLE_MS (the
 * sample is the batch's mean); operations with an untimed `setup` are timed one by one.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
export interface MeasureOptions {
  /** Time to spend sampling (not counting warm-up and setup), in ms. */
  readonly budgetMs: number;
  /** Untimed preparation before every single run (e.g. restoring a receiver's state). */
  readonly setup?: () => unknown;
  /** Warm up first (default true); false when the caller has just run the operation. */
  readonly warm?: boolean;
  /** At most this many samples (default 200). */
  readonly maxSamples?: number;
  /** At least this many samples, unless one run alone exceeds the budget (default 3). */
  readonly minSamples?: number;
  /** At most this many runs in all, warm-up included (an operation that consumes inputs). */
  readonly maxReps?: number;
  /** Samples the caller already took (e.g. during setup); they count toward the budget. */
  readonly preSamples?: readonly number[];
}

export interface Measurement {
  readonly medianMs: number;
  /** Per-operation time of each sample (a batch's mean when batched). */
  readonly samples: number[];
  /** Timed runs in total. */
  readonly reps: number;
  /** What the last run returned. */
  readonly last: unknown;
}

const TARGET_SAMPLE_MS = 4;

let gcFn: (() => void) | null | undefined;

/**
 * A full garbage collection, if the runtime lets us ask for one: each measurement then starts
 * from a clean heap instead of paying for the garbage of whatever ran before it (building a
 * group makes a lot).
 */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      gcFn = runInNewContext("gc") as () => void;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
}
const MAX_WARMUP_RUNS = 20;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function measure<T>(
  op: () => Promise<T> | T,
  o: MeasureOptions,
): Promise<Measurement & { last: T }> {
  const maxSamples = o.maxSamples ?? 200;
  const minSamples = o.minSamples ?? 3;
  const maxReps = o.maxReps ?? Number.POSITIVE_INFINITY;
  let last!: T;
  let one = 0;
  let runs = 0;
  const runOnce = async (): Promise<number> => {
    if (o.setup !== undefined) await o.setup();
    const t = performance.now();
    last = await op();
    runs++;
    return performance.now() - t;
  };
  const samples: number[] = [...(o.preSamples ?? [])];
  const pre = samples.reduce((a, b) => a + b, 0);
  if (samples.length > 0 && (pre >= o.budgetMs || samples.length >= maxSamples))
    return { medianMs: median(samples), samples, reps: 0, last: undefined as T };
  if (o.warm !== false && samples.length === 0) {
    const end = performance.now() + o.budgetMs / 4;
    do {
      one = await runOnce();
    } while (
      performance.now() < end &&
      runs < MAX_WARMUP_RUNS &&
      one < o.budgetMs / 4 &&
      runs < maxReps / 4
    );
  }
  collectGarbage();
  let batch =
    o.setup === undefined && one > 0 ? Math.max(1, Math.floor(TARGET_SAMPLE_MS / one)) : 1;
  let reps = 0;
  const start = performance.now() - pre;
  while (runs < maxReps) {
    batch = Math.min(batch, maxReps - runs);
    if (batch === 1) samples.push(await runOnce());
    else {
      const t = performance.now();
      for (let i = 0; i < batch; i++) last = await op();
      runs += batch;
      samples.push((performance.now() - t) / batch);
    }
    reps += batch;
    const elapsed = performance.now() - start;
    const slow = samples[0]! > o.budgetMs;
    if (samples.length >= maxSamples) break;
    if (slow) break;
    if (elapsed >= o.budgetMs && samples.length >= minSamples) break;
    // Hard stop: never more than 4 budgets for a slow-ish operation.
    if (elapsed >= 4 * o.budgetMs && samples.length >= 1) break;
  }
  return { medianMs: median(samples), samples, reps, last };
}
