export * from "./synthetic.js";
