/**
 * Conformance runner: `npm run vectors -- <file.json>...`
 *
 * Detects each file's vector type from its (official) name, runs every case and prints one line
 * per file: `<file>: N passed, M failed`. Exits 1 if any case failed or a file's type is unknown.
 * `--verbose` also prints each failure; `--backend auto|node|webcrypto|js` picks the crypto backend
 * (default auto).
 */
import type { CryptoBackendChoice } from "@hpqmls/mls-core";
import { runVectorFile } from "./file.js";
import { UnknownVectorTypeError } from "./runner.js";
import { setVectorBackend } from "./suite.js";

const BACKENDS: readonly CryptoBackendChoice[] = ["auto", "node", "webcrypto", "js"];

async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  const b = argv.indexOf("--backend");
  const backend = b < 0 ? "auto" : argv[b + 1];
  if (!BACKENDS.includes(backend as CryptoBackendChoice)) {
    console.error(`--backend must be one of ${BACKENDS.join(", ")}`);
    return 2;
  }
  setVectorBackend(backend as CryptoBackendChoice);
  const files = argv.filter((a, i) => !a.startsWith("-") && (b < 0 || i !== b + 1));
  if (files.length === 0) {
    console.error(
      "usage: npm run vectors -- [--verbose] [--backend auto|node|webcrypto|js] <vector-file.json>...",
    );
    return 2;
  }
  let bad = false;
  for (const file of files) {
    try {
      const r = await runVectorFile(file);
      console.log(`${file}: ${r.passed} passed, ${r.failed} failed`);
      if (r.failed > 0) bad = true;
      const shown = verbose ? r.failures : r.failures.slice(0, 3);
      for (const f of shown) {
        const suite = f.suite === undefined ? "" : ` (suite ${f.suite})`;
        console.log(`  case ${f.index}${suite}: ${f.message}`);
      }
      if (shown.length < r.failures.length)
        console.log(`  … ${r.failures.length - shown.length} more (use --verbose)`);
    } catch (e) {
      bad = true;
      if (e instanceof UnknownVectorTypeError) console.log(`${file}: ${e.message}`);
      else console.log(`${file}: could not be run: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return bad ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
