/**
 * Command-line flags shared by every subcommand:
 *   --quick            small sizes and short time budgets
 *   --json <path>      write the result as JSON there
 *   --sizes a,b,c      group sizes instead of the subcommand's defaults
 * and a few more (see USAGE in index.ts).
 */
export class ArgError extends Error {}

export interface BenchArgs {
  readonly command: string | undefined;
  readonly quick: boolean;
  readonly json: string | undefined;
  readonly sizes: readonly number[] | undefined;
  /** Directory for the PQ-overhead report (default bench/results). */
  readonly out: string | undefined;
  /** Machine name used in result file names (default: a slug of the CPU model). */
  readonly machine: string | undefined;
  /** Time budget per measured operation, in ms. */
  readonly budgetMs: number | undefined;
  /** Skip the ts-mls comparison. */
  readonly noTsMls: boolean;
  /** Largest N for which ts-mls groups are built (they are slow to join). */
  readonly tsMlsMaxN: number | undefined;
  /** Tree shapes (suites, core). */
  readonly trees: readonly ("sparse" | "dense")[] | undefined;
  /** Skip the 10 000-member demonstration (core). */
  readonly noDemo: boolean;
  readonly help: boolean;
}

const SUBCOMMANDS = new Set(["core", "suites", "primitives", "browser", "pq"]);

function intList(flag: string, v: string | undefined): number[] {
  if (v === undefined || v.startsWith("--")) throw new ArgError(`${flag} needs a value`);
  const out = v.split(",").map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((x) => !Number.isInteger(x) || x < 1))
    throw new ArgError(`${flag} takes positive integers separated by commas, got "${v}"`);
  return out;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let command: string | undefined;
  let quick = false;
  let json: string | undefined;
  let sizes: number[] | undefined;
  let out: string | undefined;
  let machine: string | undefined;
  let budgetMs: number | undefined;
  let noTsMls = false;
  let tsMlsMaxN: number | undefined;
  let trees: ("sparse" | "dense")[] | undefined;
  let noDemo = false;
  let help = false;
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new ArgError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--quick":
        quick = true;
        break;
      case "--json":
        json = value(i++, a);
        break;
      case "--sizes":
        sizes = intList(a, argv[++i]);
        break;
      case "--out":
        out = value(i++, a);
        break;
      case "--machine":
        machine = value(i++, a);
        break;
      case "--budget": {
        budgetMs = Number(value(i++, a));
        if (!(budgetMs > 0)) throw new ArgError("--budget takes a positive number of ms");
        break;
      }
      case "--no-ts-mls":
        noTsMls = true;
        break;
      case "--ts-mls-max-n": {
        const v = intList(a, argv[++i]);
        tsMlsMaxN = v[0];
        break;
      }
      case "--tree": {
        const v = value(i++, a);
        if (v === "both") trees = ["sparse", "dense"];
        else if (v === "sparse" || v === "dense") trees = [v];
        else throw new ArgError(`--tree takes sparse, dense or both, got "${v}"`);
        break;
      }
      case "--no-demo":
        noDemo = true;
        break;
      case "--help":
      case "-h":
        help = true;
        break;
      default:
        if (a.startsWith("-")) throw new ArgError(`unknown flag ${a}`);
        if (command !== undefined || i > 0 || !SUBCOMMANDS.has(a))
          throw new ArgError(`unknown subcommand or argument "${a}"`);
        command = a;
    }
  }
  return {
    command,
    quick,
    json,
    sizes,
    out,
    machine,
    budgetMs,
    noTsMls,
    tsMlsMaxN,
    trees,
    noDemo,
    help,
  };
}
