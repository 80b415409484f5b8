/**
 * Post-quantum KEMs of draft-ietf-hpke-pq and ML-DSA signatures, as the primitives of the cipher
 * suites of draft-ietf-mls-pq-ciphersuites (table in ../suites.ts).
 */
export {
  DecapError,
  EncapError,
  kemSuiteId,
  type PqKem,
  setPqKeyCaching,
  shake256LabeledDerive,
} from "./common.js";
export {
  type HybridKemParams,
  hybridKem,
  type NominalGroup,
  nistGroup,
  x25519Group,
} from "./hybrid.js";
export { isMlDsaName, MLDSA_SIGNATURE_ID, type MlDsa, type MlDsaName, mlDsa } from "./mldsa.js";
export {
  ML_KEM_768,
  ML_KEM_1024,
  type MlKemName,
  type MlKemPrimitive,
  mlKemHpke,
} from "./mlkem.js";
export { ML_KEM_768_ID, mlKem768 } from "./mlkem768.js";
export { MLKEM768_P256_ID, mlKem768P256 } from "./mlkem768p256.js";
export { ML_KEM_1024_ID, mlKem1024 } from "./mlkem1024.js";
export { MLKEM1024_P384_ID, mlKem1024P384 } from "./mlkem1024p384.js";
export { MLKEM768_X25519_ID, mlKem768X25519 } from "./xwing.js";
