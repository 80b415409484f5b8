import type { PqKem } from "./common.js";
import { ML_KEM_768, mlKemHpke } from "./mlkem.js";

/** ML-KEM-768 as an HPKE KEM, id 0x0041 (draft-ietf-hpke-pq): Npk 1184, Nenc 1088, Nsk 64. */
export const ML_KEM_768_ID = 0x0041;

export const mlKem768: PqKem = mlKemHpke(ML_KEM_768, ML_KEM_768_ID);
