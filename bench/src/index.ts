/**
 * @hpqmls/bench — the benchmarks behind `npm run bench` and `hpqmls bench`.
 *
 *   runBench(argv)   parses the command line and runs a subcommand (default: the PQ-overhead
 *                    benchmark); resolves to the process exit status
 */
import { ArgError, type BenchArgs, parseBenchArgs } from "./args.js";
import { runBrowser } from "./browser.js";
import { runCore } from "./core.js";
import { installKeygenShim } from "./keygenShim.js";
import { runPq } from "./pq.js";
import { runPrimitives } from "./primitives.js";
import { runSuites } from "./suites.js";
import { startWatchdog } from "./watchdog.js";

export type { BenchArgs } from "./args.js";
export { parseBenchArgs } from "./args.js";
export { runCore } from "./core.js";
export { runPq } from "./pq.js";
export { runPrimitives } from "./primitives.js";
export type { PqResult } from "./report/pq.js";
export { buildPqReport, writePqReport } from "./report/pq.js";
export type { Row } from "./rows.js";
export { runSuites } from "./suites.js";

export const USAGE = `usage: npm run bench -- [subcommand] [options]

subcommands
  (none), pq   PQ overhead of APQ-MLS: T-only, PQ-only, APQ PARTIAL / FULL and FULL every r
               commits, N = 2,8,32,128,512,1024 (--quick: up to 128); writes
               bench/results/<date>-<machine>.{json,md} and SVG charts
  core         MLS core against ts-mls, suite 0x0001, sparse and dense trees,
               N = 2,32,256,1024,4096 (--quick: 2,32,256), and a 10 000-member demonstration
  suites       every registered cipher suite (and ts-mls's matching one), N = 2,32,256
               (--quick: 2,32)
  primitives   cipher-suite primitives, Node crypto against pure JS
  browser      cipher-suite primitives in Chromium, WebCrypto against pure JS

options
  --quick              small sizes, short time budgets (each subcommand < 5 min on 2 cores)
  --json <path>        write the JSON result there (core, suites: an array of rows)
  --sizes a,b,c        group sizes
  --budget <ms>        sampling time per operation
  --tree sparse|dense|both   tree shapes (core: both; suites: dense)
  --no-ts-mls          skip the ts-mls comparison
  --ts-mls-max-n <n>   largest N with ts-mls (default 1024 sparse, 4096 dense; its joins are slow)
  --no-demo            core: skip the 10 000-member demonstration
  --out <dir>          pq: directory of the report (default bench/results)
  --machine <name>     pq: machine name in the report's file names (default: CPU model)
  -h, --help           this text

Markdown goes to stdout, the progress bar to stderr. Rows: bench/README.md.
`;

/** Runs the benchmark command line `argv` (without "node script"); returns the exit status. */
export async function runBench(argv: readonly string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof ArgError) {
      process.stderr.write(`bench: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  installKeygenShim();
  startWatchdog();
  switch (args.command) {
    case "core":
      return runCore(args);
    case "suites":
      return runSuites(args);
    case "primitives":
      return runPrimitives(args);
    case "browser":
      return runBrowser(args);
    default:
      return runPq(args);
  }
}
