import { mdTable, passMark } from "./report/markdown.js";

/** A performance target: reported as pass / MISS / n/a, never asserted. */
export interface Target {
  readonly id: string;
  readonly text: string;
  readonly measured: string;
  /** null: not measured in this run. */
  readonly pass: boolean | null;
}

export function targetsTable(targets: readonly Target[]): string {
  return mdTable(
    ["target", "measured", "result"],
    targets.map((t) => [t.text, t.measured, passMark(t.pass)]),
    ["l", "l", "l"],
  );
}
