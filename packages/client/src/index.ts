/**
 * @hpqmls/client — the typed client of the hpqmls delivery service.
 */
export * from "./base64.js";
export * from "./indexedDb.js";
export * from "./member.js";
export * from "./memberRecord.js";
export * from "./serviceClient.js";
export * from "./signing.js";
export * from "./store.js";
