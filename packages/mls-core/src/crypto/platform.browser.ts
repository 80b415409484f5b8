import type { CryptoBackend } from "./backend.js";
import { webCryptoBackend } from "./webcrypto/index.js";

/**
 * The browser's stand-in for ./platform.ts, swapped in by the "browser" field of package.json
 * (esbuild with `platform: "browser"`, Vite, webpack, Rollup's node-resolve with
 * `browser: true`): no `node:` module is reached. The native backend is WebCrypto; each of its
 * primitives falls back to noble where the browser lacks the algorithm (or `crypto.subtle`
 * altogether, outside a secure context), and "auto" follows `WEBCRYPTO_AUTO` in ./suites.ts.
 */
export const nativeBackend: CryptoBackend | undefined = webCryptoBackend;
