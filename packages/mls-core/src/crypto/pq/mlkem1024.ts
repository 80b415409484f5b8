import type { PqKem } from "./common.js";
import { ML_KEM_1024, mlKemHpke } from "./mlkem.js";

/** ML-KEM-1024 as an HPKE KEM, id 0x0042 (draft-ietf-hpke-pq): Npk 1568, Nenc 1568, Nsk 64. */
export const ML_KEM_1024_ID = 0x0042;

export const mlKem1024: PqKem = mlKemHpke(ML_KEM_1024, ML_KEM_1024_ID);
