// Bundles the console's browser scripts into dist/console/assets/ (run after tsc -b; see
// src/console/bundle.ts). The server also bundles them itself on first use when esbuild is
// installed, so this is for deployments without devDependencies.
import { writeConsoleBundles } from "../dist/console/bundle.js";

for (const file of await writeConsoleBundles()) console.log(`wrote ${file}`);
