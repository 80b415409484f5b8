/** Pieces every subcommand shares: options, row building, JSON output. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { BenchArgs } from "./args.js";
import type { OpResult } from "./groupOps.js";
import { type Impl, type Row, roundSamples, type Tree } from "./rows.js";

/** Per-operation time budgets (ms): short with --quick. */
export function budgetFor(args: BenchArgs, quick: number, full: number): number {
  return args.budgetMs ?? (args.quick ? quick : full);
}

export function toRow(
  base: { impl: Impl; suite: number | string; n: number; tree: Tree },
  r: OpResult,
  extra: Record<string, unknown> = {},
): Row {
  return {
    ...base,
    op: r.op,
    medianMs: r.m.medianMs,
    bytes: r.bytes,
    ...extra,
    reps: r.m.reps,
    samples: roundSamples(r.m.samples),
  };
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Finds a row. */
export function findRow(
  rows: readonly Row[],
  q: Partial<Record<keyof Row | string, unknown>>,
): Row | undefined {
  return rows.find((r) => Object.entries(q).every(([k, v]) => r[k] === v));
}

export const out = (s = "") => process.stdout.write(`${s}\n`);
