import { RUNNERS } from "./runners/index.js";

/* Runs official vector cases; no Node built-ins, so the browser tests bundle it too (file
 * reading is in ./file.ts). */

/** One kind of official test vector (named as in mlswg/mls-implementations/test-vectors). */
export interface VectorRunner {
  /** Official file name without `.json`, e.g. "tree-math". */
  readonly name: string;
  /** Checks one case; throws an Error that says what differs. */
  runCase(testCase: unknown): Promise<void>;
}

export interface CaseFailure {
  readonly index: number;
  readonly suite: number | undefined;
  readonly message: string;
}

export interface FileResult {
  readonly file: string;
  readonly type: string;
  readonly passed: number;
  readonly failed: number;
  readonly failures: CaseFailure[];
}

/**
 * The vector type of a file, from its name: the official name itself (`tree-math.json`), or the
 * official name followed by a separator (`tree-math.v2.json`, `treekem-extra.json` is not one).
 */
export function detectVectorType(path: string): VectorRunner | undefined {
  const base = path.replace(/^.*[\\/]/, "").replace(/\.json$/i, "");
  const exact = RUNNERS.get(base);
  if (exact) return exact;
  let best: VectorRunner | undefined;
  for (const [name, runner] of RUNNERS) {
    if (base.startsWith(name) && /^[._\s]/.test(base.slice(name.length))) {
      if (!best || name.length > best.name.length) best = runner;
    }
  }
  return best;
}

export async function runCases(
  file: string,
  runner: VectorRunner,
  cases: readonly unknown[],
): Promise<FileResult> {
  const failures: CaseFailure[] = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    try {
      await runner.runCase(c);
    } catch (e) {
      const suite =
        typeof c === "object" && c !== null && "cipher_suite" in c
          ? Number((c as { cipher_suite: unknown }).cipher_suite)
          : undefined;
      failures.push({ index: i, suite, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return {
    file,
    type: runner.name,
    passed: cases.length - failures.length,
    failed: failures.length,
    failures,
  };
}

export class UnknownVectorTypeError extends Error {
  constructor(readonly path: string) {
    super(
      `unknown test-vector type; the file name must be one of the official names (${[
        ...RUNNERS.keys(),
      ].join(", ")})`,
    );
  }
}
