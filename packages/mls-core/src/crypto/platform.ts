import type { CryptoBackend } from "./backend.js";
import { nodeBackend } from "./node/index.js";

/**
 * The platform's native crypto backend: the one module outside ./node/ that reaches `node:`
 * code. A browser build replaces this file with one exporting `undefined` (or, later, a WebCrypto
 * backend), and "auto" then falls back to the pure-JS primitives.
 */
export const nativeBackend: CryptoBackend | undefined = nodeBackend;
