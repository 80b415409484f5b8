export * from "./codepoints.js";
export * from "./components.js";
export * from "./grease.js";
export * from "./multiCredential.js";
export * from "./operational.js";
export * from "./safe.js";
export * from "./validation.js";
export * from "./wire.js";
