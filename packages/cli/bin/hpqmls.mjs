#!/usr/bin/env node
// The hpqmls command. `npm ci` builds the workspace (root "prepare"), so dist/ exists.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("hpqmls: the packages are not built; run `npm run build` in the repository root");
  process.exit(2);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
