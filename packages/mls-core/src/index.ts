/**
 * @hpqmls/mls-core — Messaging Layer Security (RFC 9420).
 */
export * from "./codec/index.js";
export * from "./crypto/labeled.js";
export type * from "./crypto/provider.js";
export * from "./crypto/suites.js";
export * from "./errors.js";
export * from "./framing/contentAuth.js";
export * from "./framing/privateMessage.js";
export * from "./framing/publicMessage.js";
export * from "./schedule/keySchedule.js";
export * from "./schedule/pskSecret.js";
export * from "./schedule/secretTree.js";
export * from "./schedule/transcript.js";
export * from "./treemath.js";
export * from "./util/base64url.js";
export * from "./util/bytes.js";
export * from "./wire/index.js";

/** The revision of MLS this package implements. */
export const MLS_SPEC = "RFC 9420" as const;
export * from "./extensions/index.js";
export * from "./group/commit.js";
export * from "./group/config.js";
export * from "./group/epoch.js";
export * from "./group/groupInfo.js";
export * from "./group/identity.js";
export * from "./group/join.js";
export * from "./group/keyPackage.js";
export * from "./group/mlsGroup.js";
export * from "./group/proposals.js";
export * from "./group/psk.js";
export * from "./group/receive.js";
export * from "./schedule/derivationTree.js";
export * from "./schedule/exporterTree.js";
export * from "./storage/index.js";
export * from "./tree/keyIndex.js";
export * from "./tree/leafNodeValidation.js";
export * from "./tree/parentHash.js";
export * from "./tree/ratchetTree.js";
export * from "./tree/treekem.js";
export * from "./tree/treeValidation.js";
