import { build } from "esbuild";

/**
 * Bundles a browser entry the way an application's bundler would: ESM, platform "browser"
 * (package.json "browser" fields apply, Node built-ins do not resolve), workspace packages from
 * their TypeScript sources.
 */
export async function bundleForBrowser(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    write: false,
    logLevel: "silent",
  });
  const out = r.outputFiles[0];
  if (out === undefined) throw new Error("esbuild produced no output");
  return out.text;
}
