import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The console's browser scripts: src/console/web/console.ts (the operator pages) and
 * src/console/web/chat.ts (the chat demo, which runs @hpqmls/client, @hpqmls/pq-combiner and
 * @hpqmls/mls-core in the page), bundled by esbuild for the browser (ESM, platform "browser" so
 * mls-core's package.json swaps in its WebCrypto platform module, workspace packages from their
 * TypeScript sources).
 *
 * When they are built:
 * - `npm run build -w @hpqmls/server` writes them to dist/console/assets/ (`writeConsoleBundles`);
 * - otherwise the server bundles them itself the first time a console page is requested (esbuild
 *   is a devDependency of the repository, so `npm ci && npm start` serves them) and keeps them in
 *   memory. Prebuilt files are the fallback when esbuild cannot be loaded (a deployment without
 *   devDependencies): the live build always matches the sources, a prebuilt file may be stale.
 */

export const BUNDLES = ["console", "chat"] as const;
export type BundleName = (typeof BUNDLES)[number];

/** packages/server, from src/console or dist/console alike. */
export const SERVER_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PUBLIC_DIR = join(SERVER_ROOT, "public", "console");
const WEB_DIR = join(SERVER_ROOT, "src", "console", "web");
export const PREBUILT_DIR = join(SERVER_ROOT, "dist", "console", "assets");

export interface Bundle {
  readonly code: string;
  /** How it was obtained (for the logs and the tests). */
  readonly source: "esbuild" | "prebuilt";
}

/** Bundles one entry with esbuild (throws if esbuild or the sources are missing). */
export async function buildBundle(name: BundleName, minify = true): Promise<string> {
  const entry = join(WEB_DIR, `${name}.ts`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing`);
  const esbuild = await import("esbuild");
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    minify,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const out = r.outputFiles[0];
  if (out === undefined) throw new Error("esbuild produced no output");
  return out.text;
}

/** Writes every bundle to dist/console/assets/ (the build script of the package). */
export async function writeConsoleBundles(dir = PREBUILT_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const name of BUNDLES) {
    const file = join(dir, `${name}.js`);
    await writeFile(file, await buildBundle(name));
    written.push(file);
  }
  return written;
}

/** Bundles built once per process, on first use. */
export class BundleCache {
  private readonly pending = new Map<BundleName, Promise<Bundle>>();

  constructor(private readonly prebuiltDir = PREBUILT_DIR) {}

  get(name: BundleName): Promise<Bundle> {
    let p = this.pending.get(name);
    if (p === undefined) {
      p = this.load(name);
      this.pending.set(name, p);
      // A failure is not cached: the next request tries again.
      p.catch(() => this.pending.delete(name));
    }
    return p;
  }

  /** Starts building every bundle (a console page was requested: its script will follow). */
  warm(): void {
    for (const name of BUNDLES) this.get(name).catch(() => {});
  }

  private async load(name: BundleName): Promise<Bundle> {
    try {
      return { code: await buildBundle(name), source: "esbuild" };
    } catch (buildError) {
      const file = join(this.prebuiltDir, `${name}.js`);
      if (existsSync(file)) return { code: await readFile(file, "utf8"), source: "prebuilt" };
      throw new Error(
        `cannot build the console's ${name}.js (${(buildError as Error).message}) and there is no prebuilt ${file}: run npm run build -w @hpqmls/server`,
        { cause: buildError },
      );
    }
  }
}
