import { parseArgs, UsageError } from "./args.js";
import { demo } from "./demo.js";
import { serve } from "./serve.js";

const USAGE = `usage: hpqmls <command> [options]

commands
  serve                      run the delivery service (PORT, HOST, HPQMLS_DATA_DIR, DATABASE_URL)
  demo [--server <url>] [--clients N]
                             N simulated clients (default 3) run a scripted conversation through
                             the service (an embedded one when --server is not given)
  bench [args…]              the benchmarks (same arguments as \`npm run bench --\`)
`;

/** Runs the command line; returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const [command, ...rest] = args.positional;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (command) {
      case "serve":
        return await serve(args, out);
      case "demo":
        return await demo(args, out);
      case "bench": {
        const { spawnSync } = await import("node:child_process");
        const r = spawnSync("npm", ["run", "bench", "--", ...argv.slice(1)], { stdio: "inherit" });
        return r.status ?? 1;
      }
      case undefined:
      case "help":
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`hpqmls: unknown command ${command}\n${USAGE}`);
        void rest;
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`hpqmls: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
