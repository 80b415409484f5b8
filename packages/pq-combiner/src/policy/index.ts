export * from "./engine.js";
export * from "./schema.js";
