import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Vitest runs the workers with `--conditions import` (vitest.config.ts), so inside node-postgres
 * `require("pg-pool")` resolves to pg-pool's ESM wrapper and `class BoundPool extends Pool`
 * fails. Outside vitest nothing of this happens. Seeding the require cache with the CommonJS
 * build under the wrapper's path makes pg load; call before the first use of PostgreSQL.
 */
export function installPgInterop(): void {
  const require = createRequire(import.meta.url);
  const resolved = require.resolve("pg-pool");
  if (!resolved.endsWith(".mjs") || require.cache[resolved] !== undefined) return;
  const cjs = join(dirname(resolved), "..", "index.js");
  const Pool = require(cjs);
  const module = { id: resolved, filename: resolved, loaded: true, exports: Pool, children: [] };
  require.cache[resolved] = module as unknown as NodeJS.Module;
}
