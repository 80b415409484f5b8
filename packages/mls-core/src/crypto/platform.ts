import type { CryptoBackend } from "./backend.js";
import { nodeBackend } from "./node/index.js";

/**
 * The platform's native crypto backend: the one module outside ./node/ that reaches `node:`
 * code. Browser bundlers replace this file with ./platform.browser.ts (the "browser" field of
 * package.json), whose native backend is WebCrypto; "auto" then follows the WebCrypto table.
 */
export const nativeBackend: CryptoBackend | undefined = nodeBackend;
