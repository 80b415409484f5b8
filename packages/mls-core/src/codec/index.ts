export * from "./codec.js";
export { Reader } from "./reader.js";
export { MAX_VARINT, readVarint, varintSize } from "./varint.js";
export { Writer } from "./writer.js";
