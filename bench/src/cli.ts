/** `npm run bench -- [subcommand] [options]`; see USAGE in index.ts. */
import { runBench } from "./index.js";

process.exitCode = await runBench(process.argv.slice(2));
