export * from "./keyPackageBundle.js";
export * from "./storage.js";
