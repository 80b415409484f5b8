import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The official vectors: `MLS_VECTORS_DIR`, or `../shared/mls-vectors` beside the repository. */
export function vectorsDir(): string {
  const fromEnv = process.env.MLS_VECTORS_DIR;
  if (fromEnv) return resolve(fromEnv);
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const dir = join(repoRoot, "..", "shared", "mls-vectors");
  if (!existsSync(dir))
    throw new Error(
      `official test vectors not found at ${dir}; set MLS_VECTORS_DIR to the folder that holds them`,
    );
  return dir;
}
