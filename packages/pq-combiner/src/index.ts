/**
 * @hpqmls/pq-combiner — APQ-MLS (draft-ietf-mls-combiner, editor's copy 70d6be0).
 */
export * from "./apqInfo.js";
export * from "./apqPsk.js";
export * from "./codepoints.js";
export * from "./groupSetup.js";
export * from "./membership.js";
export * from "./messagePair.js";
export * from "./policy/index.js";
export * from "./session.js";
export * from "./suitePair.js";
