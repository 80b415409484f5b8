import { build } from "esbuild";

/**
 * Bundles a browser entry the way an application's bundler would: ESM, platform "browser"
 * (package.json "browser" fields apply, Node built-ins do not resolve).
 */
export async function bundleForBrowser(
  entry: string,
  o: { fromSource?: boolean } = {},
): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // From source by default; `fromSource: false` takes the packages' built dist/ as a user's
    // bundler would.
    conditions: o.fromSource === false ? [] : ["source"],
    write: false,
    logLevel: "silent",
  });
  const out = r.outputFiles[0];
  if (out === undefined) throw new Error("esbuild produced no output");
  return out.text;
}
