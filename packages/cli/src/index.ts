/** @hpqmls/cli — the `hpqmls` command line (serve, demo, bench). */
export { run } from "./main.js";
